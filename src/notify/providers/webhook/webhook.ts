import {createHmac} from 'node:crypto'

import type {Notification} from '../../types.js'
import type {WebhookConfig} from './schema.js'
import {type Complain, ENV_REF, envRefs, envUrl, envValue, type NotifierProvider} from '../provider.js'

export interface WebhookSettings {
  url: string
  urlEnv: string
  /** Extra request headers, values resolved. */
  headers: Record<string, string>
  /** Variables the secret header values came from, and those values. */
  headerEnv: string[]
  headerSecrets: string[]
  secret?: string
  secretEnv?: string
}

export const SIGNATURE_HEADER = 'x-watchkeeper-signature'

/** Generic webhook: the notification itself as JSON, times as ISO 8601. */
export function genericPayload(n: Notification): Record<string, unknown> {
  return {
    source: 'watchkeeper',
    event: n.event,
    severity: n.severity,
    title: n.title,
    text: n.text,
    at: new Date(n.at).toISOString(),
    ...(n.check ? {check: n.check} : {}),
    ...(n.incident ? {incident: n.incident} : {}),
    ...(n.outageMs === undefined ? {} : {outageSeconds: Math.round(n.outageMs / 1000)}),
    ...(n.respond ? {respond: n.respond} : {}),
    ...(n.runbook ? {runbook: n.runbook} : {}),
    ...(n.maintenance ? {maintenance: n.maintenance} : {}),
    ...(n.resultId === undefined ? {} : {resultId: n.resultId}),
    ...(n.instance ? {instance: n.instance} : {}),
  }
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the scheme Stripe uses: the timestamp is signed
 * with the body, so a receiver can refuse replays older than a few minutes.
 */
export function signature(secret: string, body: string, now: number): string {
  const t = Math.floor(now / 1000)
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`
}

// Headers a notifier may not set: the transport and the signature own them.
const RESERVED = new Set([
  'content-length',
  'content-type',
  'host',
  'transfer-encoding',
  'connection',
  SIGNATURE_HEADER,
])

/** The `headers:` of a webhook: text as it is, `${env:NAME}` resolved (and kept as a secret). */
function resolveHeaders(
  raw: Record<string, string>,
  env: NodeJS.ProcessEnv,
  complain: Complain,
): Pick<WebhookSettings, 'headers' | 'headerEnv' | 'headerSecrets'> | undefined {
  const headers: Record<string, string> = {}
  const headerEnv: string[] = []
  const headerSecrets: string[] = []
  let ok = true
  for (const [name, value] of Object.entries(raw)) {
    if (RESERVED.has(name.toLowerCase())) {
      complain('headers', `header ${name} is set by watchkeeper`)
      ok = false
    } else if (ENV_REF.test(value)) {
      const v = envValue(value, 'headers', env, complain, `header ${name} of this notifier`)
      if (v) {
        headers[name] = v.value
        headerEnv.push(v.name)
        headerSecrets.push(v.value)
      } else {
        ok = false
      }
    } else if (/[\r\n]/.test(value)) {
      complain('headers', `header ${name} holds a line break`)
      ok = false
    } else headers[name] = value
  }

  return ok ? {headers, headerEnv, headerSecrets} : undefined
}

export const webhookProvider: NotifierProvider<WebhookConfig, WebhookSettings> = {
  type: 'webhook',
  schema: () => import('./schema.js'),
  parse(config, env, complain) {
    const u = envUrl(config.url, env, complain)
    const headers = resolveHeaders(config.headers ?? {}, env, complain)
    const secret =
      config.secret === undefined
        ? undefined
        : envValue(config.secret, 'secret', env, complain, 'the signing key of this notifier')
    if (!u || !headers || (config.secret !== undefined && !secret)) return undefined
    return {...u, ...headers, ...(secret ? {secret: secret.value, secretEnv: secret.name} : {})}
  },
  from: (s) => envRefs(s.urlEnv, ...s.headerEnv, s.secretEnv),
  secrets: (s) => [s.url, ...s.headerSecrets, ...(s.secret ? [s.secret] : [])],
  requests(s, n, ctx) {
    const body = JSON.stringify(genericPayload(n))
    return [
      {
        url: s.url,
        body,
        headers: {...s.headers, ...(s.secret ? {'X-Watchkeeper-Signature': signature(s.secret, body, ctx.now)} : {})},
      },
    ]
  },
}
