import type {JsonSchema} from '../../probes/types.js'
import {emailProvider} from './email.js'
import {opsgenieProvider} from './opsgenie.js'
import {pagerDutyProvider} from './pagerduty.js'
import type {NotifierProvider} from './provider.js'
import {slackProvider} from './slack.js'
import {teamsProvider} from './teams.js'
import {webhookProvider} from './webhook.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyProvider = NotifierProvider<any>

/** Every notifier provider, one line each; the catalogue schema and the loader follow this list. */
export const PROVIDERS: ReadonlyMap<string, AnyProvider> = new Map<string, AnyProvider>([
  webhookProvider, slackProvider, teamsProvider, pagerDutyProvider, opsgenieProvider, emailProvider,
].map((p) => [p.type, p]))

/** The JSON Schema of one notifier of each provider, keyed by type (as `checkSchemas()` does for probes). */
export function notifierSchemas(common: Record<string, JsonSchema>): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>()
  for (const p of PROVIDERS.values()) {
    out.set(p.type, {
      type: 'object',
      title: `${p.type} notifier`,
      description: p.description,
      properties: {type: {const: p.type}, ...p.properties, ...common},
      required: ['type', ...p.required],
      additionalProperties: false,
    })
  }
  return out
}
