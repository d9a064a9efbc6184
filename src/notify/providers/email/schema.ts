import {type Static, Type} from '@sinclair/typebox'

import {EnvRef, type ProviderSchema, StringEnum} from '../schema-kit.js'
import {TLS_MODES} from './email.js'

const ADDRESS = String.raw`^[^\s@<>,;]+@[^\s@<>,;]+$`

const keys = Type.Object({
  host: Type.String({minLength: 1, description: 'SMTP server (submission) host name'}),
  port: Type.Optional(
    Type.Integer({minimum: 1, maximum: 65_535, description: 'SMTP port (default 587; 465 with tls: tls)'}),
  ),
  tls: Type.Optional(
    StringEnum(TLS_MODES, {
      description:
        'starttls (default: STARTTLS is required, the message is never sent in the clear), tls (TLS from the start, port 465) or optional (STARTTLS when offered; for a relay on a private network)',
    }),
  ),
  username: Type.Optional(EnvRef('SMTP AUTH user name')),
  password: Type.Optional(EnvRef('SMTP AUTH password')),
  from: Type.String({pattern: ADDRESS, description: 'sender address'}),
  to: Type.Array(Type.String({pattern: ADDRESS}), {minItems: 1, uniqueItems: true, description: 'recipient addresses'}),
  subject_prefix: Type.Optional(
    Type.String({maxLength: 50, description: 'put before every subject (default "[watchkeeper]")'}),
  ),
  ca_file: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'PEM file of CA certificates to trust besides the system ones (a private relay)',
    }),
  ),
})

export type EmailConfig = Static<typeof keys>

export default {
  description: 'email over SMTP (STARTTLS required by default), plain-text and HTML parts',
  keys,
} satisfies ProviderSchema
