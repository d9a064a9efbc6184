import {createHmac} from 'node:crypto'

import type {JsonSchema} from '../../probes/types.js'
import type {Notification} from '../types.js'
import {ENV_REF, envRefSchema, envValue, httpUrl, type NotifierProvider} from './provider.js'

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
const RESERVED = new Set(['content-length', 'content-type', 'host', 'transfer-encoding', 'connection', SIGNATURE_HEADER])

/** Resolves a webhook URL from `${env:…}` (shared by the webhook, Slack and Teams providers). */
export function webhookUrl(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, complain: (key: string, message: string) => void): {url: string; urlEnv: string} | undefined {
  const v = envValue(raw.url, 'url', env, complain, 'the URL of this notifier')
  if (!v || !httpUrl(v.value, 'url', complain, `environment variable ${v.name}`)) return undefined
  return {url: v.value, urlEnv: v.name}
}

const headerSchema: JsonSchema = {
  type: 'object',
  description: 'extra request headers; a value is text, or ${env:NAME} for a secret (e.g. Authorization)',
  propertyNames: {pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$'},
  additionalProperties: {type: 'string', maxLength: 4096},
}

export const webhookProvider: NotifierProvider<WebhookSettings> = {
  type: 'webhook',
  description: 'generic JSON POST, with optional custom headers and an HMAC-SHA256 signature header',
  properties: {
    url: envRefSchema('the receiver URL'),
    headers: headerSchema,
    secret: envRefSchema('signing key: each request carries X-Watchkeeper-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">'),
  },
  required: ['url'],
  parse(raw, env, complain) {
    const u = webhookUrl(raw, env, complain)
    const headers: Record<string, string> = {}
    const headerEnv: string[] = []
    const headerSecrets: string[] = []
    let ok = u !== undefined
    for (const [name, value] of Object.entries((raw.headers ?? {}) as Record<string, string>)) {
      if (RESERVED.has(name.toLowerCase())) {
        complain('headers', `header ${name} is set by watchkeeper`)
        ok = false
        continue
      }
      const m = ENV_REF.exec(value)
      if (m) {
        const v = envValue(value, 'headers', env, complain, `header ${name} of this notifier`)
        if (!v) ok = false
        else {
          headers[name] = v.value
          headerEnv.push(v.name)
          headerSecrets.push(v.value)
        }
      } else if (/[\r\n]/.test(value)) {
        complain('headers', `header ${name} holds a line break`)
        ok = false
      } else headers[name] = value
    }
    let secret: {value: string; name: string} | undefined
    if (raw.secret !== undefined) {
      secret = envValue(raw.secret, 'secret', env, complain, 'the signing key of this notifier')
      if (!secret) ok = false
    }
    if (!ok || !u) return undefined
    return {...u, headers, headerEnv, headerSecrets, ...(secret ? {secret: secret.value, secretEnv: secret.name} : {})}
  },
  from: (s) => [`\${env:${s.urlEnv}}`, ...s.headerEnv.map((e) => `\${env:${e}}`), ...(s.secretEnv ? [`\${env:${s.secretEnv}}`] : [])].join(' '),
  secrets: (s) => [s.url, ...s.headerSecrets, ...(s.secret ? [s.secret] : [])],
  requests(s, n, ctx) {
    const body = JSON.stringify(genericPayload(n))
    return [{url: s.url, body, headers: {...s.headers, ...(s.secret ? {'X-Watchkeeper-Signature': signature(s.secret, body, ctx.now)} : {})}}]
  },
}
