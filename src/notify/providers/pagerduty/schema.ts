import {type Static, Type} from '@sinclair/typebox'

import {DEDUP} from '../alerting.js'
import {EnvRef, type ProviderSchema, StringEnum} from '../schema-kit.js'
import {PAGERDUTY_API} from './pagerduty.js'

const keys = Type.Object({
  routing_key: EnvRef('the integration (routing) key of a PagerDuty service'),
  api_url: Type.Optional(
    Type.String({pattern: '^https?://', description: `Events API base URL (default ${PAGERDUTY_API})`}),
  ),
  dedup: Type.Optional(
    StringEnum(DEDUP, {description: 'one alert per check (default), or one per incident for incident messages'}),
  ),
})

export type PagerDutyConfig = Static<typeof keys>

export default {
  description: 'PagerDuty Events API v2: triggers an alert per check (or incident) and resolves it on recovery',
  keys,
} satisfies ProviderSchema
