import type {Notification} from '../../types.js'
import type {PagerDutyConfig} from './schema.js'
import {plainText} from '../../format.js'
import {alertActions, type Dedup, pagerAccepts} from '../alerting.js'
import {envRefs, envValue, httpUrl, type NotifierProvider} from '../provider.js'

export interface PagerDutySettings {
  routingKey: string
  keyEnv: string
  /** Base URL; the Events API v2 path is added. */
  apiUrl: string
  dedup: Dedup
}

export const PAGERDUTY_API = 'https://events.pagerduty.com'

/** PagerDuty's four severities (Events API v2 `payload.severity`). */
const SEVERITY: Record<Notification['severity'], 'critical' | 'error' | 'warning' | 'info'> = {
  crit: 'critical',
  warn: 'warning',
  ok: 'info',
  info: 'info',
}

/** One Events API v2 event (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). */
export function pagerDutyEvent(
  s: PagerDutySettings,
  n: Notification,
  action: 'trigger' | 'resolve',
  key: string,
): Record<string, unknown> {
  if (action === 'resolve') return {routing_key: s.routingKey, event_action: 'resolve', dedup_key: key}
  const details: Record<string, unknown> = {event: n.event, text: n.text}
  if (n.check)
    Object.assign(details, {
      check: n.check.id,
      target: n.check.target,
      state: n.check.state,
      ...(n.check.tier ? {tier: n.check.tier} : {}),
    })
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

export const pagerDutyProvider: NotifierProvider<PagerDutyConfig, PagerDutySettings> = {
  type: 'pagerduty',
  schema: () => import('./schema.js'),
  accepts: pagerAccepts,
  parse(config, env, complain) {
    const key = envValue(config.routing_key, 'routing_key', env, complain, 'the routing key of this notifier')
    const api = config.api_url ?? PAGERDUTY_API
    if (!httpUrl(api, 'api_url', complain, 'api_url') || !key) return undefined
    return {routingKey: key.value, keyEnv: key.name, apiUrl: api.replace(/\/+$/, ''), dedup: config.dedup ?? 'check'}
  },
  from: (s) => envRefs(s.keyEnv),
  secrets: (s) => [s.routingKey],
  requests: (s, n) =>
    alertActions(n, s.dedup).map(({action, key}) => ({
      url: `${s.apiUrl}/v2/enqueue`,
      headers: {},
      label: action,
      body: JSON.stringify(pagerDutyEvent(s, n, action, key)),
    })),
}
