import {type Static, Type} from '@sinclair/typebox'

import {DEDUP} from '../alerting.js'
import {EnvRef, type ProviderSchema, StringEnum} from '../schema-kit.js'
import {OPSGENIE_API} from './opsgenie.js'

const keys = Type.Object({
  api_key: EnvRef('an Opsgenie API integration key (sent as Authorization: GenieKey …)'),
  api_url: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: `Alert API base URL (default ${OPSGENIE_API}; EU accounts https://api.eu.opsgenie.com)`,
    }),
  ),
  dedup: Type.Optional(
    StringEnum(DEDUP, {description: 'one alert per check (default), or one per incident for incident messages'}),
  ),
  tags: Type.Optional(
    Type.Array(Type.String({minLength: 1, maxLength: 50}), {
      uniqueItems: true,
      description: 'tags added to every alert',
    }),
  ),
})

export type OpsgenieConfig = Static<typeof keys>

export default {
  description:
    'Opsgenie Alert API: creates an alert per check (or incident), alias as the key, and closes it on recovery',
  keys,
} satisfies ProviderSchema
