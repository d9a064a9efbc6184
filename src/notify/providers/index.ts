import type {AnyProvider} from './provider.js'
import {emailProvider} from './email/email.js'
import {opsgenieProvider} from './opsgenie/opsgenie.js'
import {pagerDutyProvider} from './pagerduty/pagerduty.js'
import {slackProvider} from './slack/slack.js'
import {teamsProvider} from './teams/teams.js'
import {webhookProvider} from './webhook/webhook.js'

/**
 * Every notifier provider, one entry each (a folder `<type>/` with the provider, its schema.ts and docs.md;
 * see docs/dev/notifiers.md). The catalogue schema, the loader, the docs and the registry test follow this list.
 */
export const PROVIDERS: ReadonlyMap<string, AnyProvider> = new Map<string, AnyProvider>(
  [webhookProvider, slackProvider, teamsProvider, pagerDutyProvider, opsgenieProvider, emailProvider].map((p) => [
    p.type,
    p,
  ]),
)
