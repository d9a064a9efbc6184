import {request} from '../util/undici.js'

import type {AttemptResult, HttpRequest, SendContext} from './providers/provider.js'
import type {Notification, NotifierConfig} from './types.js'
import {Redactor} from '../util/redact.js'
import {sleep} from '../util/sleep.js'
import {errorInfo} from './errors.js'

export interface DeliveryOutcome {
  ok: boolean
  attempts: number
  httpStatus?: number
  /** Why it failed, secrets scrubbed out. */
  error?: string
  /** Worth another round later (the outbox keeps it). */
  retryable?: boolean
  retryAfterMs?: number
  detail?: string
}

export interface SendOptions {
  /** First retry waits this long, then doubles (default 1 s, capped at 60 s, Retry-After honoured). */
  backoffMs?: number
  signal?: AbortSignal
  /** Epoch ms now (signatures); default Date.now. */
  now?: () => number
}

/** Removes a secret from a message; for a URL also its path and query (the secret parts of Slack/Teams URLs). */
export function scrubUrl(text: string, url: string): string {
  let out = text.split(url).join('<secret>')
  try {
    const u = new URL(url)
    if (u.pathname.length > 4) out = out.split(u.pathname).join('/<redacted>')
    if (u.search.length > 4) out = out.split(u.search).join('?<redacted>')
  } catch {
    // not a URL: nothing more to scrub
  }

  return out
}

/** Every secret out of an error: as written (`<secret>`, a URL's path and query too), then in any other spelling (util/redact.ts). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const usable = secrets.filter((s) => s.length > 0)
  if (usable.length === 0) return text
  return new Redactor(usable).text(usable.sort((a, b) => b.length - a.length).reduce((t, s) => scrubUrl(t, s), text))
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const v = Array.isArray(header) ? header[0] : header
  if (!v) return undefined
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

/**
 * A signal that aborts after `ms` or with `parent`, and lets go of `parent` when done. (AbortSignal.any
 * and a listener per attempt on a long-lived signal piled up and tripped MaxListenersExceededWarning.)
 */
function attemptSignal(ms: number, parent?: AbortSignal): {signal: AbortSignal; done: () => void} {
  const c = new AbortController()
  const timer = setTimeout(() => c.abort(new DOMException('timed out', 'TimeoutError')), ms)
  const onAbort = () => c.abort(parent?.reason)
  if (parent?.aborted) c.abort(parent.reason)
  else parent?.addEventListener('abort', onAbort, {once: true})
  return {
    signal: c.signal,
    done() {
      clearTimeout(timer)
      parent?.removeEventListener('abort', onAbort)
    },
  }
}

async function post(req: HttpRequest, ctx: SendContext): Promise<AttemptResult> {
  const {signal, done} = attemptSignal(ctx.timeoutMs, ctx.signal)
  const label = req.label ? `${req.label}: ` : ''
  try {
    const res = await request(req.url, {
      method: 'POST',
      body: req.body,
      signal,
      headers: {'content-type': 'application/json', 'user-agent': 'watchkeeper', ...req.headers},
    })
    const text = (await res.body.text()).slice(0, 200).replaceAll(/\s+/g, ' ').trim()
    if (res.statusCode >= 200 && res.statusCode < 300) return {ok: true, retryable: false, httpStatus: res.statusCode}
    const retryable = res.statusCode === 429 || res.statusCode === 408 || res.statusCode >= 500
    return {
      ok: false,
      retryable,
      httpStatus: res.statusCode,
      error: `${label}HTTP ${res.statusCode}${text ? `: ${text}` : ''}`,
      retryAfterMs: retryable ? retryAfterMs(res.headers['retry-after']) : undefined,
    }
  } catch (error) {
    const e = errorInfo(error)
    const reason =
      e.name === 'TimeoutError' || (e.name === 'AbortError' && !ctx.signal?.aborted)
        ? `no answer within ${ctx.timeoutMs} ms`
        : `${e.code ? e.code + ' ' : ''}${e.message}`
    return {ok: false, retryable: !ctx.signal?.aborted, error: label + reason.split('\n')[0]}
  } finally {
    done()
  }
}

/** One attempt: the provider's requests in order (or its own sender). Never throws; secrets scrubbed. */
export async function attemptDelivery(
  notifier: NotifierConfig,
  n: Notification,
  ctx: SendContext,
): Promise<AttemptResult> {
  const p = notifier.provider
  let out: AttemptResult = {ok: true, retryable: false}
  try {
    if (p.send) out = await p.send(notifier.settings, n, ctx)
    else {
      for (const req of p.requests?.(notifier.settings, n, ctx) ?? []) {
        out = await post(req, ctx)
        if (!out.ok) break
      }
    }
  } catch (error) {
    out = {ok: false, retryable: true, error: errorInfo(error).message}
  }

  return out.error ? {...out, error: scrubSecrets(out.error, p.secrets(notifier.settings))} : out
}

/**
 * Delivers a message to one notifier, retrying network errors, 408, 429 and 5xx `retries` times with backoff.
 * Never throws; the outcome never contains a secret. `retryable` tells the outbox to try another round later.
 */
export async function sendNotification(
  notifier: NotifierConfig,
  n: Notification,
  opts: SendOptions = {},
): Promise<DeliveryOutcome> {
  const base = notifier.backoffMs ?? opts.backoffMs ?? 1000
  const now = opts.now ?? Date.now
  let attempts = 0
  let last: AttemptResult = {ok: false, retryable: true, error: 'not sent'}
  for (let i = 0; i <= notifier.retries; i++) {
    if (opts.signal?.aborted) break
    attempts++
    last = await attemptDelivery(notifier, n, {timeoutMs: notifier.timeoutMs, signal: opts.signal, now: now()})
    if (last.ok || !last.retryable) break
    let delay = Math.min(60_000, base * 2 ** i) * (0.8 + Math.random() * 0.4)
    if (last.retryAfterMs !== undefined) delay = Math.min(60_000, Math.max(delay, last.retryAfterMs))
    if (i < notifier.retries) await sleep(delay, opts.signal)
  }

  const {ok, httpStatus, error, retryable, retryAfterMs: after, detail} = last
  return {
    ok,
    attempts,
    ...(httpStatus === undefined ? {} : {httpStatus}),
    ...(error ? {error} : {}),
    ...(ok ? {} : {retryable}),
    ...(after === undefined ? {} : {retryAfterMs: after}),
    ...(detail ? {detail} : {}),
  }
}
