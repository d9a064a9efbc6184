import type {Notification} from '../types.js'
import {plainText} from '../format.js'
import {alertActions, pagerAccepts} from './alerting.js'
import {envRefSchema, envValue, httpUrl, type NotifierProvider} from './provider.js'

export interface PagerDutySettings {
  routingKey: string
  keyEnv: string
  /** Base URL; the Events API v2 path is added. */
  apiUrl: string
  dedup: 'check' | 'incident'
}

export const PAGERDUTY_API = 'https://events.pagerduty.com'

/** PagerDuty's four severities (Events API v2 `payload.severity`). */
const SEVERITY: Record<Notification['severity'], 'critical' | 'error' | 'warning' | 'info'> = {crit: 'critical', warn: 'warning', ok: 'info', info: 'info'}

/** One Events API v2 event (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). */
export function pagerDutyEvent(s: PagerDutySettings, n: Notification, action: 'trigger' | 'resolve', key: string): Record<string, unknown> {
  if (action === 'resolve') return {routing_key: s.routingKey, event_action: 'resolve', dedup_key: key}
  const details: Record<string, unknown> = {event: n.event, text: n.text}
  if (n.check) Object.assign(details, {check: n.check.id, target: n.check.target, state: n.check.state, ...(n.check.tier ? {tier: n.check.tier} : {})})
  if (n.incident) details.incident = `#${n.incident.id} ${n.incident.title}`
  if (n.respond) details.respond = n.respond
  if (n.resultId !== undefined) details.result_id = n.resultId
  details.message = plainText(n)
  return {
    routing_key: s.routingKey,
    event_action: 'trigger',
    dedup_key: key,
    payload: {
      summary: n.title.slice(0, 1024),
      source: n.check?.target ?? n.instance ?? 'watchkeeper',
      severity: SEVERITY[n.severity],
      timestamp: new Date(n.at).toISOString(),
      ...(n.check ? {component: n.check.id} : {}),
      ...(n.check?.service ? {group: n.check.service} : {}),
      class: n.event,
      custom_details: details,
    },
    client: n.instance ? `watchkeeper (${n.instance})` : 'watchkeeper',
    ...(n.runbook && /^https?:\/\//.test(n.runbook) ? {links: [{href: n.runbook, text: 'Runbook'}]} : {}),
  }
}

export const pagerDutyProvider: NotifierProvider<PagerDutySettings> = {
  type: 'pagerduty',
  description: 'PagerDuty Events API v2: triggers an alert per check (or incident) and resolves it on recovery',
  properties: {
    routing_key: envRefSchema('the integration (routing) key of a PagerDuty service'),
    api_url: {type: 'string', pattern: '^https?://', description: `Events API base URL (default ${PAGERDUTY_API})`},
    dedup: {enum: ['check', 'incident'], description: 'one alert per check (default), or one per incident for incident messages'},
  },
  required: ['routing_key'],
  accepts: pagerAccepts,
  parse(raw, env, complain) {
    const key = envValue(raw.routing_key, 'routing_key', env, complain, 'the routing key of this notifier')
    const api = typeof raw.api_url === 'string' ? raw.api_url : PAGERDUTY_API
    if (!httpUrl(api, 'api_url', complain, 'api_url') || !key) return undefined
    return {routingKey: key.value, keyEnv: key.name, apiUrl: api.replace(/\/+$/, ''), dedup: (raw.dedup as 'check' | 'incident' | undefined) ?? 'check'}
  },
  from: (s) => `\${env:${s.keyEnv}}`,
  secrets: (s) => [s.routingKey],
  requests: (s, n) => alertActions(n, s.dedup).map(({action, key}) => ({
    url: `${s.apiUrl}/v2/enqueue`, headers: {}, label: action, body: JSON.stringify(pagerDutyEvent(s, n, action, key)),
  })),
}
