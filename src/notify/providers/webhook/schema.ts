import {type Static, Type} from '@sinclair/typebox'

import {EnvRef, type ProviderSchema} from '../schema-kit.js'

const keys = Type.Object({
  url: EnvRef('the receiver URL'),
  headers: Type.Optional(
    Type.Unsafe<Record<string, string>>({
      type: 'object',
      description: 'extra request headers; a value is text, or ${env:NAME} for a secret (e.g. Authorization)',
      propertyNames: {pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},
      additionalProperties: {type: 'string', maxLength: 4096},
    }),
  ),
  secret: Type.Optional(
    EnvRef('signing key: each request carries X-Watchkeeper-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">'),
  ),
})

export type WebhookConfig = Static<typeof keys>

export default {
  description: 'generic JSON POST, with optional custom headers and an HMAC-SHA256 signature header',
  keys,
} satisfies ProviderSchema
