import type {Dispatcher} from 'undici'

import type {Observation, Status, Timings} from '../types.js'
import type {Probe, ProbeContext} from './types.js'
import {durationMs} from '../util/duration.js'
import {userRegex} from '../util/safe-regex.js'
import {parseHeaders} from '../util/undici.js'
import {errorField, errorMessage} from './errors.js'
import {
  applyOperator,
  describeStatusSpec,
  evalJsonPath,
  parseJsonPath,
  parseStatusSpec,
  show,
  statusMatches,
} from './http-assert.js'
import {type ConnectionFacts, type ConnectPhase, TimedClients} from './http-connector.js'
import {DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS, type HttpOptions, httpSpec, opOf} from './http-spec.js'
import {describeNetError} from './net.js'

export {DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS} from './http-spec.js'

const USER_AGENT = 'watchkeeper/0.1 (+health check)'

/** Sensitive headers that are not carried to another origin on a redirect. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'apikey', 'x-api-key'])

function statusSpec(o: HttpOptions): Array<[number, number]> {
  const explicit = o.expect?.status === undefined ? undefined : parseStatusSpec(o.expect.status)
  if (explicit) return explicit
  // Redirects followed: the final answer must be a success. Not followed: a redirect is an answer too.
  return o.follow_redirects === false ? [[200, 399]] : [[200, 299]]
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** Why JSON.parse failed, without the start of the body V8 quotes (a body may echo a key). */
function jsonErrorDetail(message: string): string {
  const at = /at position (\d+)/.exec(message)
  if (at) return ` (at position ${at[1]})`
  return /end of JSON input/.test(message) ? ' (it ends too early)' : ''
}

/** What went wrong while waiting, by phase, for timeout messages. */
type Phase = ConnectPhase | 'headers' | 'body'
const PHASE_WORDS: Record<Phase, string> = {
  dns: 'resolving the host name',
  connect: 'connecting',
  tls: 'in the TLS handshake',
  headers: 'waiting for response headers',
  body: 'reading the body',
}

const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate not trusted (unable to verify the first certificate)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate issuer not found',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
  CERT_REVOKED: 'certificate revoked',
}

/** One request and its response, with the instants that bound its phases (performance.now(), taken in undici's callbacks). */
interface Exchange {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  chunks: Buffer[]
  bytes: number
  /** The body went past the cap; reading stopped there. */
  oversize: boolean
  /** The request was handed a ready connection (blackbox_exporter's gotConn). */
  gotConn: number
  firstByte: number
  end: number
}

const BODY_CAPPED = Object.assign(new Error('body cap reached'), {code: 'WK_BODY_CAPPED'})

/**
 * Sends one request through undici's handler interface, so that each instant is taken in the callback
 * that reports it rather than after the promise chain of request(). `cap(status, headers)` says how many
 * body bytes to keep; `keep: false` drains without keeping (a redirect's body).
 */
function exchange(
  dispatcher: Dispatcher,
  opts: Dispatcher.DispatchOptions,
  signal: AbortSignal,
  cap: (status: number) => {bytes: number; keep: boolean},
): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const x: Exchange = {
      chunks: [],
      bytes: 0,
      oversize: false,
      gotConn: 0,
      firstByte: 0,
      end: 0,
      statusCode: 0,
      headers: {},
    }
    let abortRequest: ((e?: Error) => void) | undefined
    let settled = false
    let limit = {bytes: Infinity, keep: true}
    const settle = (error?: unknown) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      if (error === undefined) resolve(x)
      else reject(error)
    }

    const onAbort = () => {
      settle(signal.reason)
      abortRequest?.(signal.reason instanceof Error ? signal.reason : undefined)
    }

    signal.addEventListener('abort', onAbort, {once: true})
    dispatcher.dispatch(opts, {
      onConnect(abort) {
        x.gotConn = performance.now()
        abortRequest = abort
        if (settled) abort(signal.reason instanceof Error ? signal.reason : undefined)
      },
      onResponseStarted() {
        x.firstByte = performance.now()
      },
      onHeaders(statusCode, raw) {
        if (x.firstByte === 0) x.firstByte = performance.now()
        x.statusCode = statusCode
        x.headers = parseHeaders(raw)
        limit = cap(statusCode)
        return true
      },
      onData(chunk) {
        if (x.bytes + chunk.length > limit.bytes) {
          x.end = performance.now()
          if (limit.keep) x.chunks.push(chunk.subarray(0, limit.bytes - x.bytes))
          x.bytes = limit.bytes
          x.oversize = true
          settle()
          abortRequest?.(BODY_CAPPED)
          return false
        }

        if (limit.keep) x.chunks.push(chunk)
        x.bytes += chunk.length
        return true
      },
      onComplete() {
        x.end = performance.now()
        settle()
      },
      onError(error) {
        settle(error)
      },
    })
  })
}

/** The `cause` a wrapped error carries (undici's fetch-style errors), if any. */
function causeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined
}

/** One line for a request failure, naming TLS and HTTP parser problems plainly. */
export function describeHttpError(error: unknown, phase: Phase, timeoutMs: number, aborted: boolean): string {
  if (aborted) return `timed out after ${timeoutMs} ms ${PHASE_WORDS[phase]}`
  const code = errorField(error, 'code') ?? errorField(causeOf(error), 'code')
  const message = errorField(error, 'message')
  if (code && TLS_REASONS[code]) return `TLS: ${TLS_REASONS[code]} (${code})`
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_') || /SSL routines|alert/i.test(message ?? ''))
    return `TLS handshake failed: ${(message ?? code ?? '').split('\n')[0]}`
  if (code?.startsWith('HPE_') || errorField(error, 'name') === 'HTTPParserError') {
    const reason = errorField(error, 'reason')
    return `malformed HTTP response: ${message ?? code}${reason ? ` (${reason})` : ''}`.split('\n')[0]
  }

  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')
    return phase === 'body'
      ? 'connection closed while reading the body'
      : `connection closed before a response (${message ?? code})`
  return describeNetError(error, phase === 'dns' ? 'lookup' : 'connection').split('\n')[0]
}

/** What a check asks of its requests, worked out once per attempt. */
interface Plan {
  follow: boolean
  maxRedirects: number
  maxBody: number
  needsBody: boolean
  latencyWarn?: number
  latencyCrit?: number
  thresholds?: Observation['thresholds']
}

function planOf(o: HttpOptions): Plan {
  const latencyWarn = o.latency?.warn ? durationMs(o.latency.warn) : undefined
  const latencyCrit = o.latency?.crit ? durationMs(o.latency.crit) : undefined
  const e = o.expect
  return {
    follow: o.follow_redirects !== false,
    maxRedirects: o.max_redirects ?? DEFAULT_MAX_REDIRECTS,
    maxBody: o.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    needsBody:
      e?.contains !== undefined ||
      e?.not_contains !== undefined ||
      e?.matches !== undefined ||
      (e?.json?.length ?? 0) > 0,
    latencyWarn,
    latencyCrit,
    ...(latencyWarn !== undefined || latencyCrit !== undefined
      ? {thresholds: {totalMs: {warn: latencyWarn, crit: latencyCrit}}}
      : {}),
  }
}

/**
 * The phases of an attempt so far, blackbox_exporter's summed over every hop: dns, connect and tls per new
 * connection, processing gotConn → first byte, transfer first byte → end. They add up to totalMs.
 */
class PhaseClock {
  readonly timings: Timings = {}
  readonly connections: ConnectionFacts[] = []
  processing = 0
  transfer = 0
  lastTransfer = 0

  /** Adds one exchange's processing and transfer; ttfbMs is then all of it but this body's transfer. */
  hop(res: Exchange, hopStarted: number): number {
    // A pooled connection is ready at once: gotConn is then the dispatch.
    this.processing += res.firstByte - Math.max(res.gotConn, hopStarted)
    this.lastTransfer = res.end - res.firstByte
    this.transfer += this.lastTransfer
    const total = this.total()
    this.timings.ttfbMs = total - this.lastTransfer
    return total
  }

  /** Writes the phases into timings and returns totalMs. */
  total(): number {
    const t = this.timings
    let dns = 0
    let connect = 0
    let tls = 0
    for (const c of this.connections) {
      dns += c.dnsMs
      connect += c.connectMs ?? 0
      tls += c.tlsMs ?? 0
    }

    if (this.connections.length > 0) {
      t.dnsMs = dns
      t.connectMs = connect
      if (this.connections.some((c) => c.tlsMs !== undefined)) t.tlsMs = tls
    }

    t.processingMs = this.processing
    t.transferMs = this.transfer
    t.totalMs = dns + connect + tls + this.processing + this.transfer
    return t.totalMs
  }
}

/** The JSON assertions' problems with a body. */
function jsonProblems(o: HttpOptions, text: string): string[] {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    return [`body is not JSON${jsonErrorDetail(errorMessage(error))}`]
  }

  const problems: string[] = []
  for (const a of o.expect?.json ?? []) {
    const got = evalJsonPath(doc, parseJsonPath(a.path ?? ''))
    const why = applyOperator(opOf(a), got.found, got.value, a.value)
    if (why) problems.push(`${a.path} ${why}`)
  }

  return problems
}

/** Every way the final response fails what the check expects: status, size, body, JSON and headers. */
function responseProblems(o: HttpOptions, plan: Plan, res: Exchange): string[] {
  const problems: string[] = []
  const ranges = statusSpec(o)
  if (!statusMatches(ranges, res.statusCode))
    problems.push(`HTTP ${res.statusCode} (expected ${describeStatusSpec(ranges)})`)
  if (res.oversize) problems.push(`body larger than max_body_bytes (${plan.maxBody}); stopped reading`)
  if (plan.needsBody && !res.oversize) {
    const text = res.chunks.length === 1 ? res.chunks[0].toString('utf8') : Buffer.concat(res.chunks).toString('utf8')
    for (const c of list(o.expect?.contains)) if (!text.includes(c)) problems.push(`body does not contain ${show(c)}`)
    for (const c of list(o.expect?.not_contains)) if (text.includes(c)) problems.push(`body contains ${show(c)}`)
    if (o.expect?.matches !== undefined && !userRegex(o.expect.matches).test(text))
      problems.push(`body does not match /${o.expect.matches}/`)
    if ((o.expect?.json?.length ?? 0) > 0) problems.push(...jsonProblems(o, text))
  }

  for (const a of o.expect?.headers ?? []) {
    const raw = res.headers[(a.name ?? '').toLowerCase()]
    const value = Array.isArray(raw) ? raw.join(', ') : raw
    const why = applyOperator(opOf(a), value !== undefined, value, a.value)
    if (why) problems.push(`header ${a.name} ${why}`)
  }

  return problems
}

/**
 * The verdict on the final response: its problems (the first two named), else its latency. A latency
 * verdict stands only if the time stays over the line with the loop's stall taken out.
 */
function verdict(
  o: HttpOptions,
  plan: Plan,
  res: Exchange,
  totalMs: number,
  redirects: number,
  stalled: number,
): {status: Status; summary: string} {
  const head = `HTTP ${res.statusCode} in ${Math.round(totalMs)} ms${redirects > 0 ? ` after ${redirects} redirect${redirects === 1 ? '' : 's'}` : ''}`
  const problems = responseProblems(o, plan, res)
  if (problems.length > 0) {
    const more = problems.length > 2 ? ` (+${problems.length - 2} more)` : ''
    const text = problems.slice(0, 2).join('; ') + more
    return {status: 'crit', summary: text.startsWith('HTTP ') ? text : `${text}; ${head}`}
  }

  const network = Math.max(0, totalMs - stalled)
  const over = (limit: number | undefined): limit is number => limit !== undefined && totalMs > limit
  if (over(plan.latencyCrit) && network > plan.latencyCrit)
    return {status: 'crit', summary: `${head}, slower than ${o.latency?.crit}`}
  if (over(plan.latencyWarn) && network > plan.latencyWarn)
    return {status: 'warn', summary: `${head}, slower than ${o.latency?.warn}`}
  if (over(plan.latencyCrit) || over(plan.latencyWarn))
    return {
      status: 'ok',
      summary: `${head}; latency not judged: the event loop was blocked for ${Math.round(stalled)} ms of it`,
    }
  return {status: 'ok', summary: head}
}

/** The request state that redirects change. */
interface Hop {
  url: URL
  method: string
  body: string | undefined
  headers: Record<string, string>
  redirects: number
  visited: Set<string>
}

/** Follows a redirect in place; returns why the check fails instead, if it does. */
function redirect(hop: Hop, statusCode: number, location: string | string[], maxRedirects: number): string | undefined {
  const next = new URL(Array.isArray(location) ? location[0] : location, hop.url)
  if (next.protocol !== 'http:' && next.protocol !== 'https:')
    return `HTTP ${statusCode} redirects to unsupported ${next.protocol} URL`
  if (statusCode === 303 || ((statusCode === 301 || statusCode === 302) && hop.method === 'POST')) {
    hop.method = 'GET'
    hop.body = undefined
  }

  if (next.origin !== hop.url.origin)
    for (const h of Object.keys(hop.headers)) if (CREDENTIAL_HEADERS.has(h)) delete hop.headers[h]
  hop.redirects++
  if (hop.visited.has(`${hop.method} ${next.href}`))
    return `redirect loop: ${hop.url.href} → ${next.href} after ${hop.redirects} redirect${hop.redirects === 1 ? '' : 's'}`
  if (hop.redirects > maxRedirects) return `too many redirects (more than ${maxRedirects}); last to ${next.href}`
  hop.url = next
  return undefined
}

/** TLS facts of the connection that served the final URL, into metrics and details. */
function tlsFacts(
  clock: PhaseClock,
  url: URL,
  now: number,
  metrics: Record<string, number>,
  details: Record<string, unknown>,
): void {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
  const last = [...clock.connections].reverse().find((c) => c.host === host && c.port === port)
  if (last?.certNotAfter) {
    metrics.certNotAfter = Math.floor(last.certNotAfter.getTime() / 1000)
    metrics.certDaysLeft = Math.floor(((last.certNotAfter.getTime() - now) / 86_400_000) * 10) / 10
  }

  if (last?.tlsProtocol) details.tlsProtocol = last.tlsProtocol
}

/** The timed connections of one attempt, reporting the phase each is in. */
function ownClients(ctx: ProbeContext, clock: PhaseClock, onPhase: (p: Phase) => void): TimedClients | undefined {
  const usesOverrides = ctx.net.resolve.length > 0 || ctx.net.ca !== undefined || ctx.net.resolver !== undefined
  if (ctx.dispatcher && !usesOverrides) return undefined
  return new TimedClients({
    net: ctx.net,
    signal: ctx.signal,
    ca: ctx.net.ca,
    onPhase,
    onConnection(c) {
      clock.connections.push(c)
      onPhase('headers')
    },
  })
}

/** The default request headers with the check's own over them (names lower-cased). */
function requestHeaders(o: HttpOptions): Record<string, string> {
  const headers: Record<string, string> = {'user-agent': USER_AGENT, accept: '*/*'}
  for (const [k, v] of Object.entries(o.headers ?? {})) headers[k.toLowerCase()] = v
  return headers
}

/**
 * The attempt's observation with its phase timings. `failedSince`: the attempt's start when a hop never
 * completed; its time so far is then the whole attempt's, not a phase's.
 */
function observation(
  clock: PhaseClock,
  plan: Plan,
  r: {status: Status; summary: string; metrics: Record<string, number>; details: Record<string, unknown>},
  failedSince: number | undefined,
): Observation {
  const {timings} = clock
  clock.total()
  if (failedSince !== undefined) timings.totalMs = Math.max(timings.totalMs ?? 0, performance.now() - failedSince)
  return {
    status: r.status,
    summary: r.summary,
    timings,
    findings: [],
    metrics: r.metrics,
    ...(Object.keys(r.details).length > 0 ? {details: r.details} : {}),
    ...(plan.thresholds ? {thresholds: plan.thresholds} : {}),
  }
}

/** The final response's metrics, timings and verdict: all judgement, after the last instant was taken. */
function judgeFinal(
  o: HttpOptions,
  plan: Plan,
  clock: PhaseClock,
  hop: Hop,
  res: Exchange,
  ctx: ProbeContext,
  metrics: Record<string, number>,
  details: Record<string, unknown>,
): {status: Status; summary: string} {
  metrics.httpStatus = res.statusCode
  metrics.redirects = hop.redirects
  if (hop.redirects > 0) details.finalUrl = hop.url.href
  metrics.bodyBytes = res.bytes
  const totalMs = clock.total()
  clock.timings.ttfbMs = totalMs - clock.lastTransfer
  tlsFacts(clock, hop.url, ctx.clock.now(), metrics, details)
  return verdict(o, plan, res, totalMs, hop.redirects, ctx.loopDelay?.() ?? 0)
}

/** One attempt: requests (following redirects), the phase timings, then the verdict on the final response. */
async function runHttp(target: string, options: Record<string, unknown>, ctx: ProbeContext): Promise<Observation> {
  const o = options as HttpOptions
  const plan = planOf(o)
  const clock = new PhaseClock()
  const metrics: Record<string, number> = {}
  const details: Record<string, unknown> = {}
  let phase: Phase = 'dns'
  const attemptStarted = performance.now()
  const finish = (status: Status, summary: string, failed = false): Observation =>
    observation(clock, plan, {status, summary, metrics, details}, failed ? attemptStarted : undefined)

  let url: URL
  try {
    url = new URL(target)
  } catch {
    return finish('unknown', `bad target ${target}: not a URL`)
  }

  const own = ownClients(ctx, clock, (p) => (phase = p))
  const headers = requestHeaders(o)
  const hop: Hop = {url, method: o.method ?? 'GET', body: o.body, headers, redirects: 0, visited: new Set()}
  const redirecting = (status: number) => plan.follow && status >= 300 && status < 400
  try {
    for (;;) {
      hop.visited.add(`${hop.method} ${hop.url.href}`)
      const hopStarted = performance.now()
      // A new connection moves this through dns, connect and tls (the connector reports them).
      phase = 'headers'
      const dispatcher = own ? own.for(hop.url.origin) : ctx.dispatcher
      if (!dispatcher) throw new Error('no dispatcher')
      const res = await exchange(
        dispatcher,
        {
          origin: hop.url.origin,
          path: hop.url.pathname + hop.url.search,
          method: hop.method,
          headers,
          body: hop.body,
        },
        ctx.signal,
        (status) => {
          phase = 'body'
          return {bytes: plan.maxBody, keep: !redirecting(status) && plan.needsBody}
        },
      )
      clock.hop(res, hopStarted)
      const {location} = res.headers
      if (redirecting(res.statusCode) && location !== undefined) {
        const before = hop.redirects
        const failed = redirect(hop, res.statusCode, location, plan.maxRedirects)
        if (hop.redirects !== before) metrics.redirects = hop.redirects
        if (failed) return finish('crit', failed)
        continue
      }

      const v = judgeFinal(o, plan, clock, hop, res, ctx, metrics, details)
      return finish(v.status, v.summary)
    }
  } catch (error) {
    return finish('crit', describeHttpError(error, phase, ctx.timeoutMs, ctx.signal.aborted), true)
  } finally {
    own?.destroy()
  }
}

/** HTTP(S) request with status, latency, body, JSON and header assertions, redirects and phase timings. */
export const httpProbe: Probe = {
  ...httpSpec,
  run: runHttp,
}
