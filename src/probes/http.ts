import type {Dispatcher} from 'undici'

import type {Observation, Status, Timings} from '../types.js'
import {DURATION_PATTERN, durationMs} from '../util/duration.js'
import {regexProblem, userRegex} from '../util/safe-regex.js'
import {applyOperator, describeStatusSpec, evalJsonPath, type Operator, OPERATORS, parseJsonPath, parseStatusSpec, show, statusMatches, UNARY_OPERATORS} from './http-assert.js'
import {type ConnectionFacts, type ConnectPhase, TimedClients} from './http-connector.js'
import {describeNetError} from './net.js'
import type {JsonSchema, OptionProblem, Probe} from './types.js'

export const DEFAULT_MAX_REDIRECTS = 5
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
const USER_AGENT = 'watchkeeper/0.1 (+health check)'

interface Assertion {
  path?: string
  name?: string
  op?: Operator
  value?: unknown
}

interface HttpOptions {
  method?: string
  headers?: Record<string, string>
  body?: string
  follow_redirects?: boolean
  max_redirects?: number
  max_body_bytes?: number
  latency?: {warn?: string; crit?: string}
  expect?: {
    status?: number | string | Array<number | string>
    contains?: string | string[]
    not_contains?: string | string[]
    matches?: string
    json?: Assertion[]
    headers?: Assertion[]
  }
}

const duration = (description: string): JsonSchema => ({type: 'string', pattern: DURATION_PATTERN, description: `${description} (a duration such as 500ms, 2s)`})
const statusItem: JsonSchema = {
  anyOf: [
    {type: 'integer', minimum: 100, maximum: 599},
    {type: 'string', pattern: '^(\\d{3}|\\d{3}\\s*-\\s*\\d{3}|[1-5]xx)$'},
  ],
  description: 'a status code (200), a range ("200-299") or a class ("2xx")',
}
const assertionProps = (key: 'path' | 'name', keyDescription: string): JsonSchema => ({
  type: 'object',
  properties: {
    [key]: {type: 'string', minLength: 1, description: keyDescription},
    op: {enum: [...OPERATORS], description: 'comparison (default "==" when value is given, else "exists")'},
    value: {description: 'the expected value (a string, number, boolean, null, list or mapping)'},
  },
  required: [key],
  additionalProperties: false,
})

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

function opOf(a: Assertion): Operator {
  return a.op ?? (a.value === undefined ? 'exists' : '==')
}

function validateHttp(options: Record<string, unknown>): OptionProblem[] {
  const o = options as HttpOptions
  const problems: OptionProblem[] = []
  try {
    const url = new URL(String(options.target))
    if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push({path: ['target'], message: `expected an http:// or https:// URL, got ${url.protocol}`})
  } catch {
    problems.push({path: ['target'], message: 'not a URL'})
  }
  if (o.expect?.status !== undefined && !parseStatusSpec(o.expect.status)) {
    problems.push({path: ['expect', 'status'], message: 'a range must run low-high, e.g. "200-299"'})
  }
  const badRegex = o.expect?.matches === undefined ? undefined : regexProblem(o.expect.matches)
  if (badRegex) problems.push({path: ['expect', 'matches'], message: badRegex})
  const checkAssertions = (items: Assertion[] | undefined, key: 'json' | 'headers') => {
    for (const [i, a] of (items ?? []).entries()) {
      if (key === 'json' && a.path !== undefined) {
        try {
          parseJsonPath(a.path)
        } catch (error) {
          problems.push({path: ['expect', key, i, 'path'], message: `not a supported JSON path (${(error as Error).message}); use $.a.b, $.a[0] or $['a-b']`})
        }
      }
      const op = opOf(a)
      if (!UNARY_OPERATORS.includes(op) && a.value === undefined) problems.push({path: ['expect', key, i], message: `operator "${op}" needs a value`})
      if (UNARY_OPERATORS.includes(op) && a.value !== undefined) problems.push({path: ['expect', key, i, 'value'], message: `operator "${op}" takes no value`})
      const bad = op === 'matches' && a.value !== undefined ? regexProblem(String(a.value)) : undefined
      if (bad) problems.push({path: ['expect', key, i, 'value'], message: bad})
    }
  }
  checkAssertions(o.expect?.json, 'json')
  checkAssertions(o.expect?.headers, 'headers')
  if (o.latency?.warn && o.latency?.crit && durationMs(o.latency.warn) > durationMs(o.latency.crit)) {
    problems.push({path: ['latency', 'warn'], message: `warn (${o.latency.warn}) is above crit (${o.latency.crit})`})
  }
  if ((o.method === 'GET' || o.method === 'HEAD') && o.body !== undefined) problems.push({path: ['body'], message: `a ${o.method} request has no body`})
  return problems
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

/** Rejects when the signal aborts even if the promise never settles (a shared pool still connecting). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  // A response that still arrives is dropped, so a shared pool gets its connection back.
  const abandon = () => p.then((r) => (r as {body?: {destroy?: () => void}}).body?.destroy?.(), () => {})
  if (signal.aborted) {
    abandon()
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      abandon()
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, {once: true})
    p.then((v) => {
      signal.removeEventListener('abort', onAbort)
      resolve(v)
    }, (error: unknown) => {
      signal.removeEventListener('abort', onAbort)
      reject(error)
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
  kind: 'http',
  description: 'HTTP(S) request: status, latency, body/JSON/header assertions, redirects, phase timings',
  targetSchema: {type: 'string', pattern: '^https?://', description: 'the URL to request, e.g. https://www.nhs.uk/'},
  properties: {
    method: {enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], description: 'request method (default GET)'},
    headers: {type: 'object', additionalProperties: {type: 'string'}, description: 'request headers; values may use ${env:NAME}'},
    body: {type: 'string', description: 'request body'},
    follow_redirects: {type: 'boolean', description: 'follow 3xx redirects (default true)'},
    max_redirects: {type: 'integer', minimum: 0, maximum: 20, description: `redirects followed at most (default ${DEFAULT_MAX_REDIRECTS}); more is crit`},
    max_body_bytes: {type: 'integer', minimum: 1, maximum: 256 * 1024 * 1024, description: `bytes of body read at most (default ${DEFAULT_MAX_BODY_BYTES}); a longer body is crit`},
    latency: {
      type: 'object',
      properties: {warn: duration('total time above which the check warns'), crit: duration('total time above which the check is crit')},
      additionalProperties: false,
      description: 'thresholds on the total request time',
    },
    expect: {
      type: 'object',
      description: 'what the response must look like',
      properties: {
        status: {anyOf: [statusItem, {type: 'array', items: statusItem, minItems: 1}], description: 'accepted statuses (default 200-299 when redirects are followed, 200-399 when not)'},
        contains: {anyOf: [{type: 'string'}, {type: 'array', items: {type: 'string'}}], description: 'text the body must contain (each of a list)'},
        not_contains: {anyOf: [{type: 'string'}, {type: 'array', items: {type: 'string'}}], description: 'text the body must not contain'},
        matches: {type: 'string', description: 'regular expression the body must match'},
        json: {type: 'array', items: assertionProps('path', 'JSON path: $.a.b, $.a[0], $[\'a-b\']'), description: 'assertions on the JSON body'},
        headers: {type: 'array', items: assertionProps('name', 'response header name (any case)'), description: 'assertions on response headers'},
      },
      additionalProperties: false,
    },
  },
  validate: validateHttp,
  async run(target, options, ctx): Promise<Observation> {
    const o = options as HttpOptions
    const started = performance.now()
    const timings: Timings = {}
    const metrics: Record<string, number> = {}
    const details: Record<string, unknown> = {}
    let phase: Phase = 'dns'
    const connections: ConnectionFacts[] = []
    const latencyWarn = o.latency?.warn ? durationMs(o.latency.warn) : undefined
    const latencyCrit = o.latency?.crit ? durationMs(o.latency.crit) : undefined
    const thresholds = latencyWarn !== undefined || latencyCrit !== undefined ? {totalMs: {warn: latencyWarn, crit: latencyCrit}} : undefined

    const sumConnections = () => {
      const sum = (k: 'dnsMs' | 'connectMs' | 'tlsMs') => connections.some((c) => c[k] !== undefined) ? connections.reduce((a, c) => a + (c[k] ?? 0), 0) : undefined
      for (const k of ['dnsMs', 'connectMs', 'tlsMs'] as const) {
        const v = sum(k)
        if (v !== undefined) timings[k] = v
      }
    }
    const finish = (status: Status, summary: string): Observation => {
      sumConnections()
      timings.totalMs = performance.now() - started
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
        const res = await untilAborted(dispatcher.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: method as Dispatcher.HttpMethod,
          headers,
          body: reqBody,
          signal: ctx.signal,
        }), ctx.signal)
        phase = 'headers'
        timings.ttfbMs = performance.now() - hopStarted
        const location = res.headers.location
        if (follow && res.statusCode >= 300 && res.statusCode < 400 && location !== undefined) {
          res.body.resume()
          res.body.on('error', () => {})
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

        // The final response: read the body up to the cap.
        phase = 'body'
        metrics.httpStatus = res.statusCode
        metrics.redirects = redirects
        if (redirects > 0) details.finalUrl = url.href
        const chunks: Buffer[] = []
        let bytes = 0
        let oversize = false
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          if (bytes + chunk.length > maxBody) {
            chunks.push(chunk.subarray(0, maxBody - bytes))
            bytes = maxBody
            oversize = true
            break
          }
          chunks.push(chunk)
          bytes += chunk.length
        }
        if (oversize) res.body.destroy()
        metrics.bodyBytes = bytes
        const totalMs = performance.now() - started

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
        const needsBody = o.expect?.contains !== undefined || o.expect?.not_contains !== undefined || o.expect?.matches !== undefined || (o.expect?.json?.length ?? 0) > 0
        if (needsBody && !oversize) {
          const text = Buffer.concat(chunks).toString('utf8')
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
        if (latencyCrit !== undefined && totalMs > latencyCrit) return finish('crit', `${head}, slower than ${o.latency?.crit}`)
        if (latencyWarn !== undefined && totalMs > latencyWarn) return finish('warn', `${head}, slower than ${o.latency?.warn}`)
        return finish('ok', head)
      }
    } catch (error) {
      return finish('crit', describeHttpError(error, phase, ctx.timeoutMs, ctx.signal.aborted))
    } finally {
      own?.destroy()
    }
  },
}
