import type {Notification} from '../types.js'
import type {ProviderSchema} from './schema-kit.js'

/** `${env:NAME}`, the only way a secret enters a notifier. */
export const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/

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
 * One kind of notifier, in its own folder (`providers/<type>/`): the schema of its catalogue keys
 * (`schema.ts`, TypeBox, loaded only to build the catalogue schema), how the schema-valid keys `C` become
 * settings `S` with the secrets from the environment, how a message is rendered and delivered, and its
 * docs entry (`docs.md`). Shaped after Gatus's `AlertProvider` (alerting/provider/provider.go).
 */
export interface NotifierProvider<C = unknown, S = unknown> {
  type: string
  /** The provider's schema module; imported only by the catalogue schema (TypeBox stays out of start-up). */
  schema(): Promise<{default: ProviderSchema}>
  /**
   * Reads the keys of one notifier (already valid against its schema) and resolves its secrets from `env`.
   * Returns undefined (after calling `complain`) when it cannot be used.
   */
  parse(config: C, env: NodeJS.ProcessEnv, complain: Complain): S | undefined
  /** Where the secrets come from, safe to show (e.g. "${env:PD_ROUTING_KEY}"). */
  from(settings: S): string
  /** The secret values, scrubbed from every error before it is logged or stored. */
  secrets(settings: S): string[]
  /** Whether the provider carries this message at all (a pager takes no maintenance notices). Default: all. */
  accepts?(settings: S, n: Notification): boolean
  /** HTTP providers: the requests for one message, sent in order by the shared sender. */
  requests?(settings: S, n: Notification, ctx: SendContext): HttpRequest[]
  /** Other providers deliver themselves; one attempt, never throws. */
  send?(settings: S, n: Notification, ctx: SendContext): Promise<AttemptResult>
}

/**
 * A provider as the registry holds it (methods are bivariant, so every `NotifierProvider<C, S>` is one).
 * This is the boundary: the loader hands `parse` the keys the generated catalogue validator has checked
 * against this provider's schema, and a provider's settings go back to that provider only.
 */
export type AnyProvider = NotifierProvider<unknown, unknown>

/** Reads an `${env:NAME}` key: the value, or a complaint naming the variable. */
export function envValue(
  raw: string,
  key: string,
  env: NodeJS.ProcessEnv,
  complain: Complain,
  what: string,
): {value: string; name: string} | undefined {
  const m = ENV_REF.exec(raw)
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

/** A webhook URL from `url: ${env:…}` (the webhook, Slack and Teams providers). */
export function envUrl(
  url: string,
  env: NodeJS.ProcessEnv,
  complain: Complain,
): {url: string; urlEnv: string} | undefined {
  const v = envValue(url, 'url', env, complain, 'the URL of this notifier')
  if (!v || !httpUrl(v.value, 'url', complain, `environment variable ${v.name}`)) return undefined
  return {url: v.value, urlEnv: v.name}
}

/** `${env:NAME}` for each variable, as `from` shows them. */
export const envRefs = (...names: (string | undefined)[]): string =>
  names
    .filter((n) => n !== undefined)
    .map((n) => `\${env:${n}}`)
    .join(' ')
