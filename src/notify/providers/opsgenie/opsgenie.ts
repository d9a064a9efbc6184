import type {Notification} from '../../types.js'
import type {OpsgenieConfig} from './schema.js'
import {plainText} from '../../format.js'
import {alertActions, type Dedup, pagerAccepts} from '../alerting.js'
import {envRefs, envValue, httpUrl, type NotifierProvider} from '../provider.js'

export interface OpsgenieSettings {
  apiKey: string
  keyEnv: string
  apiUrl: string
  dedup: Dedup
  tags: string[]
}

export const OPSGENIE_API = 'https://api.opsgenie.com'

const TIER_PRIORITY: Record<string, number> = {platinum: 1, gold: 2, silver: 3, bronze: 4}

/**
 * Priority from the check's tier (platinum P1, gold P2, silver P3, bronze P4, none P3); a warning is one
 * step lower, information P5.
 */
export function opsgeniePriority(n: Notification): string {
  if (n.severity === 'info' || n.severity === 'ok') return 'P5'
  const base = TIER_PRIORITY[n.check?.tier ?? ''] ?? 3
  return `P${Math.min(5, base + (n.severity === 'warn' ? 1 : 0))}`
}

/** Create Alert body (https://docs.opsgenie.com/docs/alert-api#create-alert); Opsgenie dedups on `alias`. */
export function opsgenieAlert(s: OpsgenieSettings, n: Notification, alias: string): Record<string, unknown> {
  const details: Record<string, string> = {event: n.event}
  if (n.check)
    Object.assign(details, {
      check: n.check.id,
      target: n.check.target,
      ...(n.check.state ? {state: n.check.state} : {}),
      ...(n.check.tier ? {tier: n.check.tier} : {}),
    })
  if (n.incident) details.incident = `#${n.incident.id}`
  if (n.respond) details.respond = n.respond
  if (n.runbook) details.runbook = n.runbook
  return {
    message: n.title.slice(0, 130),
    alias: alias.slice(0, 512),
    description: plainText(n).slice(0, 15_000),
    priority: opsgeniePriority(n),
    source: n.instance ?? 'watchkeeper',
    ...(n.check ? {entity: n.check.id} : {}),
    tags: [...new Set(['watchkeeper', n.event, ...(n.check?.service ? [n.check.service] : []), ...s.tags])].slice(
      0,
      20,
    ),
    details,
  }
}

export const opsgenieProvider: NotifierProvider<OpsgenieConfig, OpsgenieSettings> = {
  type: 'opsgenie',
  schema: () => import('./schema.js'),
  accepts: pagerAccepts,
  parse(config, env, complain) {
    const key = envValue(config.api_key, 'api_key', env, complain, 'the API key of this notifier')
    const api = config.api_url ?? OPSGENIE_API
    if (!httpUrl(api, 'api_url', complain, 'api_url') || !key) return undefined
    return {
      apiKey: key.value,
      keyEnv: key.name,
      apiUrl: api.replace(/\/+$/, ''),
      dedup: config.dedup ?? 'check',
      tags: config.tags ?? [],
    }
  },
  from: (s) => envRefs(s.keyEnv),
  secrets: (s) => [s.apiKey],
  requests: (s, n) =>
    alertActions(n, s.dedup).map(({action, key}) => {
      const headers = {authorization: `GenieKey ${s.apiKey}`}
      if (action === 'trigger')
        return {url: `${s.apiUrl}/v2/alerts`, headers, label: 'create', body: JSON.stringify(opsgenieAlert(s, n, key))}
      return {
        url: `${s.apiUrl}/v2/alerts/${encodeURIComponent(key)}/close?identifierType=alias`,
        headers,
        label: 'close',
        body: JSON.stringify({source: n.instance ?? 'watchkeeper', note: n.title.slice(0, 25_000)}),
      }
    }),
}
