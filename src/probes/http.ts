import type {Dispatcher} from 'undici'

import type {Observation, Status, Timings} from '../types.js'
import {durationMs} from '../util/duration.js'
import {userRegex} from '../util/safe-regex.js'
import {parseHeaders} from '../util/undici.js'
import {applyOperator, describeStatusSpec, evalJsonPath, parseJsonPath, parseStatusSpec, show, statusMatches} from './http-assert.js'
import {type ConnectionFacts, type ConnectPhase, TimedClients} from './http-connector.js'
import {DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS, type HttpOptions, httpSpec, opOf} from './http-spec.js'
import {describeNetError} from './net.js'
import type {Probe} from './types.js'

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
function jsonErrorDetail(error: Error): string {
  const at = /at position (\d+)/.exec(error.message)
  if (at) return ` (at position ${at[1]})`
  return /end of JSON input/.test(error.message) ? ' (it ends too early)' : ''
}

/** What went wrong while waiting, by phase, for timeout messages. */
type Phase = ConnectPhase | 'headers' | 'body'
const PHASE_WORDS: Record<Phase, string> = {dns: 'resolving the host name', connect: 'connecting', tls: 'in the TLS handshake', headers: 'waiting for response headers', body: 'reading the body'}

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
function exchange(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, signal: AbortSignal, cap: (status: number) => {bytes: number; keep: boolean}): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const x = {chunks: [] as Buffer[], bytes: 0, oversize: false, gotConn: 0, firstByte: 0, end: 0, statusCode: 0, headers: {} as Exchange['headers']}
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
        x.headers = parseHeaders(raw) as Exchange['headers']
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

/** One line for a request failure, naming TLS and HTTP parser problems plainly. */
export function describeHttpError(error: unknown, phase: Phase, timeoutMs: number, aborted: boolean): string {
  if (aborted) return `timed out after ${timeoutMs} ms ${PHASE_WORDS[phase]}`
  const e = error as {code?: string; message?: string; reason?: string; cause?: {code?: string; message?: string}}
  const code = e?.code ?? e?.cause?.code
  if (code && TLS_REASONS[code]) return `TLS: ${TLS_REASONS[code]} (${code})`
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_') || /SSL routines|alert/i.test(e?.message ?? '')) return `TLS handshake failed: ${(e.message ?? code ?? '').split('\n')[0]}`
  if (code?.startsWith('HPE_') || (e as {name?: string})?.name === 'HTTPParserError') return `malformed HTTP response: ${e.message ?? code}${e.reason ? ` (${e.reason})` : ''}`.split('\n')[0]
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return phase === 'body' ? 'connection closed while reading the body' : `connection closed before a response (${e.message ?? code})`
  return describeNetError(error, phase === 'dns' ? 'lookup' : 'connection').split('\n')[0]
}

/** HTTP(S) request with status, latency, body, JSON and header assertions, redirects and phase timings. */
export const httpProbe: Probe = {
  ...httpSpec,
  async run(target, options, ctx): Promise<Observation> {
    const o = options as HttpOptions
    const timings: Timings = {}
    const metrics: Record<string, number> = {}
    const details: Record<string, unknown> = {}
    let phase: Phase = 'dns'
    const connections: ConnectionFacts[] = []
    // blackbox_exporter's phases, summed over every hop: processing is gotConn → first byte, transfer first byte → end.
    let processing = 0
    let transfer = 0
    let lastTransfer = 0
    const latencyWarn = o.latency?.warn ? durationMs(o.latency.warn) : undefined
    const latencyCrit = o.latency?.crit ? durationMs(o.latency.crit) : undefined
    const thresholds = latencyWarn !== undefined || latencyCrit !== undefined ? {totalMs: {warn: latencyWarn, crit: latencyCrit}} : undefined
    const attemptStarted = performance.now()

    /** The phases, which add up to totalMs; ttfbMs is all of them but the final body's transfer. */
    const phases = (): number => {
      let dns = 0
      let connect = 0
      let tls = 0
      for (const c of connections) {
        dns += c.dnsMs
        connect += c.connectMs ?? 0
        tls += c.tlsMs ?? 0
      }
      if (connections.length > 0) {
        timings.dnsMs = dns
        timings.connectMs = connect
        if (connections.some((c) => c.tlsMs !== undefined)) timings.tlsMs = tls
      }
      timings.processingMs = processing
      timings.transferMs = transfer
      timings.totalMs = dns + connect + tls + processing + transfer
      return timings.totalMs
    }
    const finish = (status: Status, summary: string, failed = false): Observation => {
      phases()
      // A hop that never completed: its time so far is the whole attempt's, not a phase's.
      if (failed) timings.totalMs = Math.max(timings.totalMs ?? 0, performance.now() - attemptStarted)
      return {status, summary, timings, findings: [], metrics, ...(Object.keys(details).length ? {details} : {}), ...(thresholds ? {thresholds} : {})}
    }

    let url: URL
    try {
      url = new URL(target)
    } catch {
      return finish('unknown', `bad target ${target}: not a URL`)
    }

    const usesOverrides = ctx.net.resolve.length > 0 || ctx.net.ca !== undefined || ctx.net.resolver !== undefined
    const own = ctx.dispatcher && !usesOverrides ? undefined : new TimedClients({
      net: ctx.net, signal: ctx.signal, ca: ctx.net.ca,
      onPhase: (p) => (phase = p),
      onConnection: (c) => {
        connections.push(c)
        phase = 'headers'
      },
    })
    const follow = o.follow_redirects !== false
    const maxRedirects = o.max_redirects ?? DEFAULT_MAX_REDIRECTS
    const maxBody = o.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES
    const needsBody = o.expect?.contains !== undefined || o.expect?.not_contains !== undefined || o.expect?.matches !== undefined || (o.expect?.json?.length ?? 0) > 0
    let method = o.method ?? 'GET'
    let reqBody: string | undefined = o.body
    const headers: Record<string, string> = {'user-agent': USER_AGENT, accept: '*/*'}
    for (const [k, v] of Object.entries(o.headers ?? {})) headers[k.toLowerCase()] = v
    const visited = new Set<string>()
    let redirects = 0

    try {
      for (;;) {
        visited.add(`${method} ${url.href}`)
        const hopStarted = performance.now()
        // A new connection moves this through dns, connect and tls (the connector reports them).
        phase = 'headers'
        const dispatcher: Dispatcher = own ? own.for(url.origin) : (ctx.dispatcher as Dispatcher)
        const redirecting = (status: number) => follow && status >= 300 && status < 400
        const res = await exchange(dispatcher, {
          origin: url.origin,
          path: url.pathname + url.search,
          method: method as Dispatcher.HttpMethod,
          headers,
          body: reqBody,
        }, ctx.signal, (status) => {
          phase = 'body'
          return redirecting(status) ? {bytes: maxBody, keep: false} : {bytes: maxBody, keep: needsBody}
        })
        // A pooled connection is ready at once: gotConn is then the dispatch.
        const gotConn = Math.max(res.gotConn, hopStarted)
        processing += res.firstByte - gotConn
        lastTransfer = res.end - res.firstByte
        transfer += lastTransfer
        timings.ttfbMs = phases() - lastTransfer
        const location = res.headers.location
        if (redirecting(res.statusCode) && location !== undefined) {
          const next = new URL(Array.isArray(location) ? location[0] : location, url)
          if (next.protocol !== 'http:' && next.protocol !== 'https:') {
            return finish('crit', `HTTP ${res.statusCode} redirects to unsupported ${next.protocol} URL`)
          }
          if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
            method = 'GET'
            reqBody = undefined
          }
          if (next.origin !== url.origin) for (const h of Object.keys(headers)) if (CREDENTIAL_HEADERS.has(h)) delete headers[h]
          redirects++
          metrics.redirects = redirects
          if (visited.has(`${method} ${next.href}`)) return finish('crit', `redirect loop: ${url.href} → ${next.href} after ${redirects} redirect${redirects === 1 ? '' : 's'}`)
          if (redirects > maxRedirects) return finish('crit', `too many redirects (more than ${maxRedirects}); last to ${next.href}`)
          url = next
          continue
        }

        // The final response. Everything below is judgement, after the last instant was taken.
        metrics.httpStatus = res.statusCode
        metrics.redirects = redirects
        if (redirects > 0) details.finalUrl = url.href
        const oversize = res.oversize
        metrics.bodyBytes = res.bytes
        const totalMs = phases()
        timings.ttfbMs = totalMs - lastTransfer

        const last = [...connections].reverse().find((c) => c.host === url.hostname.replace(/^\[(.*)\]$/, '$1') && c.port === (Number(url.port) || (url.protocol === 'https:' ? 443 : 80)))
        if (last?.certNotAfter) {
          metrics.certNotAfter = Math.floor(last.certNotAfter.getTime() / 1000)
          metrics.certDaysLeft = Math.floor((last.certNotAfter.getTime() - ctx.clock.now()) / 86_400_000 * 10) / 10
        }
        if (last?.tlsProtocol) details.tlsProtocol = last.tlsProtocol

        const problems: string[] = []
        const ranges = statusSpec(o)
        if (!statusMatches(ranges, res.statusCode)) problems.push(`HTTP ${res.statusCode} (expected ${describeStatusSpec(ranges)})`)
        if (oversize) problems.push(`body larger than max_body_bytes (${maxBody}); stopped reading`)
        if (needsBody && !oversize) {
          const text = res.chunks.length === 1 ? res.chunks[0].toString('utf8') : Buffer.concat(res.chunks).toString('utf8')
          for (const c of list(o.expect?.contains)) if (!text.includes(c)) problems.push(`body does not contain ${show(c)}`)
          for (const c of list(o.expect?.not_contains)) if (text.includes(c)) problems.push(`body contains ${show(c)}`)
          if (o.expect?.matches !== undefined && !userRegex(o.expect.matches).test(text)) problems.push(`body does not match /${o.expect.matches}/`)
          if ((o.expect?.json?.length ?? 0) > 0) {
            let doc: unknown
            let parsed = true
            try {
              doc = JSON.parse(text)
            } catch (error) {
              parsed = false
              problems.push(`body is not JSON${jsonErrorDetail(error as Error)}`)
            }
            if (parsed) {
              for (const a of o.expect?.json ?? []) {
                const got = evalJsonPath(doc, parseJsonPath(a.path as string))
                const why = applyOperator(opOf(a), got.found, got.value, a.value)
                if (why) problems.push(`${a.path} ${why}`)
              }
            }
          }
        }
        for (const a of o.expect?.headers ?? []) {
          const raw = res.headers[(a.name as string).toLowerCase()]
          const value = Array.isArray(raw) ? raw.join(', ') : raw
          const why = applyOperator(opOf(a), value !== undefined, value, a.value)
          if (why) problems.push(`header ${a.name} ${why}`)
        }

        const head = `HTTP ${res.statusCode} in ${Math.round(totalMs)} ms${redirects > 0 ? ` after ${redirects} redirect${redirects === 1 ? '' : 's'}` : ''}`
        if (problems.length > 0) {
          const more = problems.length > 2 ? ` (+${problems.length - 2} more)` : ''
          const text = problems.slice(0, 2).join('; ') + more
          return finish('crit', text.startsWith('HTTP ') ? text : `${text}; ${head}`)
        }
        // A latency verdict stands only if the time stays over the line with the loop's stall taken out.
        const stalled = ctx.loopDelay?.() ?? 0
        const network = Math.max(0, totalMs - stalled)
        const over = (limit: number | undefined) => limit !== undefined && totalMs > limit
        if (over(latencyCrit) && network > (latencyCrit as number)) return finish('crit', `${head}, slower than ${o.latency?.crit}`)
        if (over(latencyWarn) && network > (latencyWarn as number)) return finish('warn', `${head}, slower than ${o.latency?.warn}`)
        if (over(latencyCrit) || over(latencyWarn)) {
          return finish('ok', `${head}; latency not judged: the event loop was blocked for ${Math.round(stalled)} ms of it`)
        }
        return finish('ok', head)
      }
    } catch (error) {
      return finish('crit', describeHttpError(error, phase, ctx.timeoutMs, ctx.signal.aborted), true)
    } finally {
      own?.destroy()
    }
  },
}
