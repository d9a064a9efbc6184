import {request} from 'undici'

import {sleep} from '../util/sleep.js'

import {payloadFor} from './providers.js'
import type {Notification, NotifierConfig} from './types.js'

export interface DeliveryOutcome {
  ok: boolean
  attempts: number
  httpStatus?: number
  /** Why it failed, with the URL scrubbed out. */
  error?: string
}

export interface SendOptions {
  /** First retry waits this long, then doubles (default 1 s, capped at 60 s, Retry-After honoured). */
  backoffMs?: number
  signal?: AbortSignal
}

/** Removes the webhook URL (and its path, the secret part of Slack/Teams URLs) from a message. */
export function scrubUrl(text: string, url: string): string {
  let out = text.split(url).join('<webhook>')
  try {
    const u = new URL(url)
    if (u.pathname.length > 4) out = out.split(u.pathname).join('/<redacted>')
    if (u.search.length > 4) out = out.split(u.search).join('?<redacted>')
  } catch {
    // not a URL: nothing more to scrub
  }
  return out
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const v = Array.isArray(header) ? header[0] : header
  if (!v) return undefined
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

/**
 * POSTs a notification to one notifier, retrying network errors, 429 and 5xx with backoff. Never throws;
 * the outcome never contains the URL.
 */
export async function sendNotification(notifier: NotifierConfig, n: Notification, opts: SendOptions = {}): Promise<DeliveryOutcome> {
  const body = JSON.stringify(payloadFor(notifier.type, n))
  const base = opts.backoffMs ?? 1000
  let attempts = 0
  let last: DeliveryOutcome = {ok: false, attempts: 0, error: 'not sent'}
  for (let i = 0; i <= notifier.retries; i++) {
    if (opts.signal?.aborted) break
    attempts++
    let delay = Math.min(60_000, base * 2 ** i) * (0.8 + Math.random() * 0.4)
    try {
      const signal = opts.signal ? AbortSignal.any([AbortSignal.timeout(notifier.timeoutMs), opts.signal]) : AbortSignal.timeout(notifier.timeoutMs)
      const res = await request(notifier.url, {method: 'POST', body, headers: {'content-type': 'application/json', 'user-agent': 'watchkeeper'}, signal})
      const text = (await res.body.text()).slice(0, 200)
      if (res.statusCode >= 200 && res.statusCode < 300) return {ok: true, attempts, httpStatus: res.statusCode}
      last = {ok: false, attempts, httpStatus: res.statusCode, error: scrubUrl(`HTTP ${res.statusCode}${text ? `: ${text.replace(/\s+/g, ' ').trim()}` : ''}`, notifier.url)}
      if (res.statusCode !== 429 && res.statusCode < 500 && res.statusCode !== 408) return last
      const after = retryAfterMs(res.headers['retry-after'])
      if (after !== undefined) delay = Math.min(60_000, Math.max(delay, after))
    } catch (error) {
      const e = error as Error & {code?: string}
      const reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${notifier.timeoutMs} ms` : `${e.code ? e.code + ' ' : ''}${e.message}`
      last = {ok: false, attempts, error: scrubUrl(reason.split('\n')[0], notifier.url)}
    }
    if (i < notifier.retries) await sleep(delay, opts.signal)
  }
  return {...last, attempts}
}
