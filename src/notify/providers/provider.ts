import type {JsonSchema} from '../../probes/types.js'
import type {Notification} from '../types.js'

/** `${env:NAME}`, the only way a secret enters a notifier. */
export const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/
export const ENV_REF_PATTERN = '^\\$\\{env:[A-Za-z_][A-Za-z0-9_]*\\}$'

/** Reports a problem with one key of the notifier (located in the file by the caller, which names the notifier for "this notifier"). */
export type Complain = (key: string, message: string) => void

/** One HTTP request a provider wants sent. `label` names it in errors and in `notify test` (e.g. "resolve"). */
export interface HttpRequest {
  url: string
  headers: Record<string, string>
  body: string
  label?: string
}

/** The outcome of one attempt at delivering a message (all its requests). */
export interface AttemptResult {
  ok: boolean
  /** Worth trying again later: network errors, timeouts, 408, 429, 5xx. */
  retryable: boolean
  httpStatus?: number
  /** Why it failed, secrets scrubbed. */
  error?: string
  /** The receiver asked for this wait (Retry-After). */
  retryAfterMs?: number
  /** What the receiver said it did (e.g. "250 2.0.0 queued"), for `notify test`. */
  detail?: string
}

export interface SendContext {
  timeoutMs: number
  signal?: AbortSignal
  /** Epoch ms (signatures carry it). */
  now: number
}

/**
 * One kind of notifier, in one file: its catalogue keys (JSON Schema), how its settings are read from the
 * catalogue and the environment, and how a message goes out. Shaped after Gatus's `AlertProvider`
 * (alerting/provider/provider.go): validation and sending in one value per provider, registered in one list.
 */
export interface NotifierProvider<S = unknown> {
  type: string
  /** One line for the schema and the docs. */
  description: string
  /** Keys of this provider besides the common ones (type, events, min_interval…). */
  properties: Record<string, JsonSchema>
  required: string[]
  /**
   * Reads the schema-valid keys of one notifier and resolves its secrets from `env`. Returns undefined (after
   * calling `complain`) when it cannot be used.
   */
  parse(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, complain: Complain): S | undefined
  /** Where the secrets come from, safe to show (e.g. "${env:PD_ROUTING_KEY}"). */
  from(settings: S): string
  /** The secret values, scrubbed from every error before it is logged or stored. */
  secrets(settings: S): string[]
  /** Whether the provider carries this message at all (a pager takes no maintenance notices). Default: all. */
  accepts?(settings: S, n: Notification): boolean
  /** HTTP providers: the requests for one message, sent in order. */
  requests?(settings: S, n: Notification, ctx: SendContext): HttpRequest[]
  /** Other providers send themselves; one attempt, never throws. */
  send?(settings: S, n: Notification, ctx: SendContext): Promise<AttemptResult>
}

/** Reads an `${env:NAME}` key: the value, or a complaint naming the variable. */
export function envValue(raw: unknown, key: string, env: NodeJS.ProcessEnv, complain: Complain, what: string): {value: string; name: string} | undefined {
  const m = ENV_REF.exec(String(raw))
  if (!m) {
    complain(key, `${key} must be \${env:NAME} (${what} never sits in a file)`)
    return undefined
  }
  const value = env[m[1]]
  if (!value) {
    complain(key, `environment variable ${m[1]} is not set (${what})`)
    return undefined
  }
  return {value, name: m[1]}
}

/** An http(s) URL or a complaint. */
export function httpUrl(value: string, key: string, complain: Complain, source: string): URL | undefined {
  try {
    const u = new URL(value)
    if (u.protocol === 'https:' || u.protocol === 'http:') return u
  } catch {
    // reported below
  }
  complain(key, `${source} does not hold an http(s) URL`)
  return undefined
}

export const envRefSchema = (description: string): JsonSchema => ({type: 'string', pattern: ENV_REF_PATTERN, description: `${description}, only as \${env:NAME}`})
