import type {Observation} from '../types.js'
import type {Probe, ProbeContext} from './types.js'
import {
  gradeRank,
  type HeaderMap,
  observatory,
  type ObservatoryAnalysis,
  type ObservatoryCookie,
  type ObservatoryInput,
  parseSetCookie,
  scoreTests,
} from './observatory-score.js'
import {
  boundedSignal,
  countBySeverity,
  findingCounts,
  Findings,
  postureStatus,
  unknownObservation,
} from './posture-common.js'
import {
  type ChainResult,
  fetchOnce,
  type FetchOptions,
  followRedirects,
  header,
  type PostureResponse,
} from './posture-http.js'
import {judgeSecurityTxt} from './security-txt.js'
import {tlsPosture, tlsPostureOptions, type TlsPostureResult} from './tls-posture.js'
import {DEFAULT_CORS_ORIGIN, type Profile, webSecuritySpec} from './web-security-spec.js'

export {DEFAULT_CORS_ORIGIN, PROFILES} from './web-security-spec.js'

/**
 * web-security: the security posture of one HTTPS origin. HTTP→HTTPS redirection, HSTS, CSP and the
 * other security headers, cookies, CORS, version-leaking headers, security.txt (RFC 9116), optionally
 * the TLS posture of the same host; graded with the MDN HTTP Observatory's algorithm.
 */

interface WebSecurityOptions {
  http_port?: number
  redirect?: boolean
  security_txt?: boolean
  cors_origin?: string
  max_body?: number
  csp_required?: boolean
  tls?: boolean | Record<string, unknown>
  expect?: {min_grade?: string; min_score?: number}
  profile?: Profile
}

/** Observatory tests that judge a rendered page only; the api profile scores them 0. */
export const PAGE_ONLY_TESTS = new Set([
  'content-security-policy',
  'x-frame-options',
  'referrer-policy',
  'subresource-integrity',
])

const DEFAULT_MAX_BODY = 1024 * 1024

/** Headers that name a technology; with a digit in the value they leak a version. */
const LEAKY_HEADERS = [
  'server',
  'x-powered-by',
  'x-aspnet-version',
  'x-aspnetmvc-version',
  'x-generator',
  'x-runtime',
  'x-version',
  'x-owa-version',
  'x-php-version',
  'x-drupal-cache',
  'x-varnish-version',
  'x-nextjs-version',
  'x-envoy-version',
  'x-kong-upstream-latency',
]
/** Of those, the ones that disclose something even without a version (Server alone is fine). */
const DISCLOSING = new Set([
  'x-powered-by',
  'x-aspnet-version',
  'x-aspnetmvc-version',
  'x-generator',
  'x-owa-version',
  'x-php-version',
])

const COOP_VALUES = new Set(['same-origin', 'same-origin-allow-popups', 'noopener-allow-popups', 'unsafe-none'])

function cookiesOf(responses: readonly PostureResponse[]): ObservatoryCookie[] {
  const out = new Map<string, ObservatoryCookie>()
  for (const r of responses) {
    for (const line of r.headers.get('set-cookie') ?? []) {
      const c = parseSetCookie(line)
      if (c) out.set(c.name, c)
    }
  }

  return [...out.values()]
}

function text(r: PostureResponse | undefined): string {
  return r ? r.body.toString('utf8') : ''
}

export const webSecurityProbe: Probe = {
  ...webSecuritySpec,
  run: runWebSecurity,
}

async function runWebSecurity(
  target: string,
  options: Record<string, unknown>,
  ctx: ProbeContext,
): Promise<Observation> {
  const o = options as WebSecurityOptions
  const started = performance.now()
  let url: URL
  try {
    url = new URL(target)
  } catch {
    return unknownObservation(`bad target ${target}: not a URL`, started)
  }

  const maxBody = o.max_body ?? DEFAULT_MAX_BODY
  // Each request gets a share of the check's time, so one slow answer cannot starve the others.
  const share = Math.max(500, ctx.timeoutMs * 0.6)
  const fetchOpts = (extra: Partial<FetchOptions> = {}): FetchOptions => ({
    maxBody,
    net: ctx.net,
    signal: boundedSignal(ctx.signal, share),
    ...extra,
  })
  const corsOrigin = o.cors_origin ?? DEFAULT_CORS_ORIGIN
  const {httpsChain, httpChain, secTxt, tlsResult} = await gather(url, o, ctx, maxBody, fetchOpts)

  const first = httpsChain.responses[0]
  const {final} = httpsChain
  if (!first || !final) {
    return unknownObservation(`HTTPS request failed: ${httpsChain.error ?? 'no response'}`, started, {
      details: {target},
    })
  }

  const found = new Findings()
  const details: Record<string, unknown> = {url: url.href, finalUrl: final.url.href, status: final.status}
  const cors = await corsPreflight(final.url, corsOrigin, fetchOpts)
  const httpsVerified = httpsChain.hops.every((h) => h.verified !== false)
  const input = observatoryInput(url, final, httpsVerified, httpsChain, httpChain, cors, details)
  const page = o.profile !== 'api'
  const obs = grade(input, page, details)
  if (obs.abortReason) found.add('web.grade.unavailable', `not graded: ${obs.abortReason} from ${final.url.href}`)

  judgeTransport(
    httpsChain,
    httpChain,
    httpsVerified,
    obs.tests.find((t) => t.test === 'redirection')?.result ?? '',
    found,
  )
  judgeHeaders(final, obs, o, page, found, details)
  judgeCookies(input.cookies, found)
  judgeCors(obs.cors, corsOrigin, found)
  if (final.truncated) found.add('web.body.truncated', `body of ${final.url.href} cut at ${maxBody} bytes`)
  if (secTxt) judgeSecTxt(secTxt, ctx.clock.now(), found, details)
  if (tlsResult) {
    if (tlsResult.unavailable) found.add('tls.posture.incomplete', tlsResult.unavailable)
    found.addAll(tlsResult.findings)
    details.tls = tlsResult.details
  }

  const metrics = gradeMetrics(obs, tlsResult)
  judgeExpectations(o.expect, obs, found)
  const counts = countBySeverity(found.list)
  metrics.critFindings = counts.crit
  metrics.warnFindings = counts.warn
  const gradeText = obs.abortReason ? 'not graded' : `grade ${obs.grade} (${obs.score})`
  return {
    status: postureStatus(found.list),
    summary: `${gradeText}; ${findingCounts(found.list)}`,
    timings: {...first.timings, totalMs: performance.now() - started},
    findings: found.list,
    metrics,
    details,
  }
}

/** What the Observatory grades: the final HTTPS response, the HTTP side, CORS and every cookie set on the way. */
function observatoryInput(
  url: URL,
  final: PostureResponse,
  httpsVerified: boolean,
  httpsChain: ChainResult,
  httpChain: ChainResult | undefined,
  cors: ObservatoryInput['cors'],
  details: Record<string, unknown>,
): ObservatoryInput {
  return {
    hostname: url.hostname,
    https: {
      verified: httpsVerified,
      headers: joinedForObservatory(final.headers),
      status: final.status,
      url: final.url,
      body: text(final),
    },
    http: httpSide(httpChain, details),
    cors,
    cookies: cookiesOf([...httpsChain.responses, ...(httpChain?.responses ?? [])]),
  }
}

/** The grade's score and rank (when graded) and the TLS posture's metrics. */
function gradeMetrics(obs: ObservatoryAnalysis, tlsResult: TlsPostureResult | undefined): Record<string, number> {
  const metrics: Record<string, number> = {}
  if (!obs.abortReason) {
    metrics.postureScore = obs.score
    metrics.postureGradeRank = gradeRank(obs.grade)
  }

  if (tlsResult) Object.assign(metrics, tlsResult.metrics)
  return metrics
}

/** The four fetches of one check, in parallel: the HTTPS chain, the HTTP chain, security.txt, the TLS posture. */
async function gather(
  url: URL,
  o: WebSecurityOptions,
  ctx: ProbeContext,
  maxBody: number,
  fetchOpts: (extra?: Partial<FetchOptions>) => FetchOptions,
): Promise<{
  httpsChain: ChainResult
  httpChain: ChainResult | undefined
  secTxt: ChainResult | undefined
  tlsResult: TlsPostureResult | undefined
}> {
  const origin = new URL(`${url.protocol}//${url.host}`)
  const httpUrl = new URL(
    `http://${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${o.http_port ?? 80}/`,
  )
  const tlsOpts =
    o.tls === true ? {} : o.tls && typeof o.tls === 'object' ? tlsPostureOptions({posture: o.tls}) : undefined
  const [httpsChain, httpChain, secTxt, tlsResult] = await Promise.all([
    followRedirects(url, fetchOpts()),
    o.redirect === false ? Promise.resolve(undefined) : followRedirects(httpUrl, fetchOpts()),
    o.security_txt === false
      ? Promise.resolve(undefined)
      : followRedirects(new URL('/.well-known/security.txt', origin), {
          ...fetchOpts({maxBody: Math.min(maxBody, 64 * 1024), headers: {accept: 'text/plain'}}),
          maxHops: 3,
        }),
    tlsOpts ? tlsPosture(url.hostname, Number(url.port || 443), ctx, tlsOpts) : Promise.resolve(undefined),
  ])
  return {httpsChain, httpChain, secTxt, tlsResult}
}

/** CORS preflight against the final URL with a foreign Origin; undefined when it fails. */
async function corsPreflight(
  url: URL,
  corsOrigin: string,
  fetchOpts: (extra?: Partial<FetchOptions>) => FetchOptions,
): Promise<ObservatoryInput['cors']> {
  try {
    const pre = await fetchOnce(
      url,
      fetchOpts({
        method: 'OPTIONS',
        headers: {origin: corsOrigin, 'access-control-request-method': 'GET'},
        maxBody: 16 * 1024,
      }),
    )
    return {headers: pre.headers, origin: corsOrigin}
  } catch {
    return undefined
  }
}

/** The HTTP side: no listener (refused, unreachable) counts as "no redirect needed". */
function httpSide(httpChain: ChainResult | undefined, details: Record<string, unknown>): ObservatoryInput['http'] {
  if (httpChain && httpChain.responses.length > 0) {
    details.httpRedirects = httpChain.hops
    return {
      route: httpChain.hops.map((h) => new URL(h.url)),
      verified: httpChain.hops.every((h) => h.verified !== false),
      final: httpChain.final ? {...httpChain.final, body: text(httpChain.final)} : undefined,
    }
  }

  if (httpChain) details.httpRedirects = {error: httpChain.error}
  return undefined
}

/** The Observatory's grade, with the page-only tests scored 0 under the api profile; recorded in details. */
function grade(input: ObservatoryInput, page: boolean, details: Record<string, unknown>): ObservatoryAnalysis {
  const obs = observatory(input)
  if (!page) {
    for (const t of obs.tests) if (PAGE_ONLY_TESTS.has(t.test)) t.modifier = 0
    Object.assign(obs, scoreTests(obs.tests))
    details.profile = 'api'
  }

  details.grade = obs.abortReason ? null : obs.grade
  details.score = obs.abortReason ? null : obs.score
  details.uncurvedScore = obs.uncurvedScore
  details.deductions = obs.tests.map((t) => ({
    test: t.test,
    result: t.result,
    modifier: t.modifier,
    pass: t.pass,
    ...(!page && PAGE_ONLY_TESTS.has(t.test) ? {applies: false} : {}),
  }))
  if (obs.abortReason) details.gradeUnavailable = obs.abortReason
  return obs
}

/** The check's `expect:` floors on score and grade. */
function judgeExpectations(expect: WebSecurityOptions['expect'], obs: ObservatoryAnalysis, found: Findings): void {
  if (expect?.min_score !== undefined && (obs.abortReason || obs.score < expect.min_score)) {
    found.add(
      'web.expectation.unmet',
      obs.abortReason
        ? `expected a score of at least ${expect.min_score}, got none (${obs.abortReason})`
        : `score ${obs.score} is below the expected ${expect.min_score}`,
    )
  }

  if (expect?.min_grade && (obs.abortReason || gradeRank(obs.grade) > gradeRank(expect.min_grade))) {
    found.add(
      'web.expectation.unmet',
      obs.abortReason
        ? `expected grade ${expect.min_grade} or better, got none`
        : `grade ${obs.grade} is below the expected ${expect.min_grade}`,
    )
  }
}

/** Node's http client joins repeated fields with ", " (set-cookie apart); the Observatory sees that. */
function joinedForObservatory(headers: HeaderMap): HeaderMap {
  const out: HeaderMap = new Map()
  for (const [k, v] of headers) out.set(k, k === 'set-cookie' ? v : [v.join(', ')])
  return out
}

function judgeTransport(
  httpsChain: ChainResult,
  httpChain: ChainResult | undefined,
  httpsVerified: boolean,
  redirection: string,
  found: Findings,
): void {
  if (!httpsVerified) {
    const bad = httpsChain.responses.find((r) => r.tls && !r.tls.authorized)
    found.add(
      'web.cert.invalid',
      `certificate of ${bad?.url.host ?? 'the site'} does not verify: ${bad?.tls?.authorizationError ?? 'unknown reason'}`,
    )
  }

  if (httpsChain.loop) found.add('web.redirect.loop', `HTTPS: ${httpsChain.error}`)
  else if (httpsChain.error)
    found.add('web.redirect.not_https', `HTTPS redirect chain broke: ${httpsChain.error}`, 'warn')
  if (!httpChain) return
  if (httpChain.loop) {
    found.add('web.redirect.loop', `HTTP: ${httpChain.error}`)
    return
  }

  const hops = httpChain.hops.map((h) => h.url).join(' → ')
  switch (redirection) {
    case 'redirection-not-needed-no-http': {
      found.add(
        'web.redirect.no_http',
        `nothing answers on ${httpChain.error ? httpChain.error.split(':').slice(0, 3).join(':') : 'http://'}`,
      )
      break
    }

    case 'redirection-missing': {
      found.add('web.redirect.missing', `http:// answers ${httpChain.hops[0]?.status} without redirecting`)
      break
    }

    case 'redirection-not-to-https': {
      found.add('web.redirect.not_https', `http:// redirects end on http: ${hops}`)
      break
    }

    case 'redirection-not-to-https-on-initial-redirection': {
      found.add('web.redirect.initial_http', `first redirect stays on http: ${hops}`)
      break
    }

    case 'redirection-off-host-from-http': {
      found.add('web.redirect.off_host', `first redirect leaves the host: ${hops}`)
      break
    }

    case 'redirection-invalid-cert': {
      found.add('web.cert.invalid', `a certificate on the http:// redirect chain does not verify: ${hops}`)
      break
    }

    default: {
      break
    }
  }

  if (httpChain.error && httpChain.responses.length > 0 && !httpChain.loop)
    found.add('web.redirect.not_https', `http:// redirect chain broke: ${httpChain.error}`)
}

/** Headers that protect any response, a page's or an API's: nosniff, CORP, no version leaks. */
function judgeResourceHeaders(final: PostureResponse, obs: ReturnType<typeof observatory>, found: Findings): void {
  const h = final.headers
  const t = (name: string) => obs.tests.find((x) => x.test === name)?.result
  const xcto = t('x-content-type-options')
  if (xcto === 'x-content-type-options-not-implemented')
    found.add('web.xcto.missing', 'no X-Content-Type-Options: nosniff')
  else if (xcto === 'x-content-type-options-header-invalid')
    found.add(
      'web.xcto.invalid',
      `X-Content-Type-Options is "${header(final, 'x-content-type-options')?.slice(0, 60)}", not nosniff`,
    )
  const corp = t('cross-origin-resource-policy')
  if (corp === 'corp-not-implemented') found.add('web.corp.missing', 'no Cross-Origin-Resource-Policy')
  else if (corp === 'corp-header-invalid')
    found.add(
      'web.corp.invalid',
      `Cross-Origin-Resource-Policy "${header(final, 'cross-origin-resource-policy')?.slice(0, 60)}" is invalid`,
    )
  // Version leaks.
  for (const name of LEAKY_HEADERS) {
    for (const v of h.get(name) ?? []) {
      if (/\d/.test(v)) found.add('web.leak.version', `${name}: ${v.slice(0, 80)}`)
      else if (DISCLOSING.has(name)) found.add('web.leak.header', `${name}: ${v.slice(0, 80)}`)
    }
  }
}

function judgeHeaders(
  final: PostureResponse,
  obs: ObservatoryAnalysis,
  o: WebSecurityOptions,
  page: boolean,
  found: Findings,
  details: Record<string, unknown>,
): void {
  judgeHsts(final, obs, found, details)
  judgeResourceHeaders(final, obs, found)
  if (!page) return
  // What follows protects a rendered document only (the api profile skips it).
  judgeCsp(final, obs, o.csp_required, found, details)
  judgeDocumentHeaders(final, obs, found)
  judgeSri(obs, found)
}

/** HSTS, from the raw header list (duplicates visible). */
function judgeHsts(
  final: PostureResponse,
  obs: ObservatoryAnalysis,
  found: Findings,
  details: Record<string, unknown>,
): void {
  const h = final.headers
  const sts = h.get('strict-transport-security') ?? []
  details.hsts = sts
  if (obs.hsts.result !== 'hsts-invalid-cert') {
    if (sts.length === 0) found.add('web.hsts.missing', `no Strict-Transport-Security on ${final.url.href}`)
    else if (sts.length > 1)
      found.add(
        'web.hsts.duplicate',
        `${sts.length} Strict-Transport-Security fields: ${sts.map((v) => `"${v.slice(0, 80)}"`).join(', ')}`,
      )
    else {
      const only = analyseHstsValue(sts[0])
      if (only.invalid) found.add('web.hsts.invalid', `"${sts[0].slice(0, 120)}": ${only.invalid}`)
      else {
        if (only.maxAge !== undefined && only.maxAge < 31_536_000)
          found.add('web.hsts.short', `max-age=${only.maxAge} is under one year (31536000)`)
        if (!only.includeSubDomains) found.add('web.hsts.no_include_subdomains', 'HSTS without includeSubDomains')
        if (only.preload && (!only.includeSubDomains || (only.maxAge ?? 0) < 31_536_000))
          found.add(
            'web.hsts.preload_ineligible',
            'preload is set but the list requires includeSubDomains and max-age of at least 31536000',
          )
      }
    }
  }
}

function judgeCsp(
  final: PostureResponse,
  obs: ObservatoryAnalysis,
  cspRequired: boolean | undefined,
  found: Findings,
  details: Record<string, unknown>,
): void {
  const h = final.headers
  const {csp} = obs
  details.csp = csp.policy ?? null
  switch (csp.result) {
    case 'csp-not-implemented': {
      found.add('web.csp.missing', 'no Content-Security-Policy', cspRequired ? 'crit' : undefined)
      break
    }

    case 'csp-not-implemented-but-reporting-enabled': {
      found.add('web.csp.report_only', 'only Content-Security-Policy-Report-Only is sent (nothing is enforced)')
      break
    }

    case 'csp-header-invalid': {
      found.add(
        'web.csp.invalid',
        `the policy cannot be parsed: "${(h.get('content-security-policy') ?? []).join(' | ').slice(0, 160)}"`,
      )
      break
    }

    default: {
      break
    }
  }

  if (csp.policy) {
    const p = csp.policy
    const script = p['script-src'] ?? p['default-src']
    if (csp.flags.unsafeInline) {
      const bad = (script ?? ['*']).filter((s) =>
        ["'unsafe-inline'", 'data:', '*', 'http:', 'https:', 'ftp:', 'http://*', 'https://*'].includes(s),
      )
      const objectOpen = !p['object-src'] && !p['default-src']
      found.add(
        'web.csp.unsafe_inline',
        bad.length > 0
          ? `script-src allows ${bad.join(' ')}`
          : script
            ? objectOpen
              ? 'object-src is unrestricted'
              : 'object-src allows an over-broad source'
            : 'no script-src or default-src: scripts are unrestricted',
      )
    }

    if (csp.flags.unsafeEval) found.add('web.csp.unsafe_eval', "the policy allows 'unsafe-eval'")
    if (csp.flags.insecureSchemeActive || csp.flags.insecureSchemePassive)
      found.add(
        'web.csp.insecure_scheme',
        `the policy allows http: or ftp: sources${csp.flags.insecureSchemeActive ? '' : ' (images/media only)'}`,
      )
    if (!p['default-src']) found.add('web.csp.no_default_src', 'the policy has no default-src')
    if (!p['object-src'] && !p['default-src'])
      found.add('web.csp.no_object_src', 'neither object-src nor default-src is set (plugins unrestricted)')
  }
}

/** Framing, referrer, permissions, opener. */
function judgeDocumentHeaders(final: PostureResponse, obs: ObservatoryAnalysis, found: Findings): void {
  const h = final.headers
  const t = (name: string) => obs.tests.find((x) => x.test === name)?.result
  const xfo = t('x-frame-options')
  if (xfo === 'x-frame-options-not-implemented')
    found.add('web.xfo.missing', 'neither X-Frame-Options nor CSP frame-ancestors (page can be framed)')
  else if (xfo === 'x-frame-options-header-invalid')
    found.add(
      'web.xfo.invalid',
      `X-Frame-Options "${header(final, 'x-frame-options')?.slice(0, 60)}" is not DENY or SAMEORIGIN`,
    )
  const ref = t('referrer-policy')
  if (ref === 'referrer-policy-not-implemented') found.add('web.referrer.missing', 'no Referrer-Policy')
  else if (ref === 'referrer-policy-unsafe' || ref === 'referrer-policy-header-invalid')
    found.add(
      'web.referrer.unsafe',
      `Referrer-Policy "${(h.get('referrer-policy') ?? []).join(', ').slice(0, 80)}" ${ref.endsWith('invalid') ? 'is invalid' : 'leaks the full URL or origin'}`,
    )
  if (!h.has('permissions-policy')) found.add('web.permissions_policy.missing', 'no Permissions-Policy')
  const coop = header(final, 'cross-origin-opener-policy')?.trim().toLowerCase()
  if (!coop) found.add('web.coop.missing', 'no Cross-Origin-Opener-Policy')
  else if (!COOP_VALUES.has(coop.split(';')[0].trim()))
    found.add('web.coop.invalid', `Cross-Origin-Opener-Policy "${coop.slice(0, 60)}" is not a known value`)
}

/** Subresource integrity of scripts from other sites. */
function judgeSri(obs: ObservatoryAnalysis, found: Findings): void {
  const {sri} = obs
  const insecure = sri.external.filter((s) => !s.secure)
  const unprotected = sri.external.filter((s) => s.secure && !s.integrity)
  if (insecure.length > 0)
    found.add(
      'web.sri.insecure',
      `scripts from other sites over http: ${insecure
        .slice(0, 3)
        .map((s) => s.src)
        .join(', ')}`,
    )
  if (unprotected.length > 0)
    found.add(
      'web.sri.missing',
      `scripts from other sites without integrity: ${unprotected
        .slice(0, 3)
        .map((s) => s.src)
        .join(', ')}`,
    )
}

/** Our own reading of one HSTS value (stricter thresholds than the Observatory's, same syntax rules). */
export function analyseHstsValue(value: string): {
  maxAge?: number
  includeSubDomains: boolean
  preload: boolean
  invalid?: string
} {
  const out: {maxAge?: number; includeSubDomains: boolean; preload: boolean; invalid?: string} = {
    includeSubDomains: false,
    preload: false,
  }
  if (value.includes(',')) {
    out.invalid =
      'contains a comma: directives are separated by ";" (the GOV.UK example "max-age=31536000, includeSubDomains; preload;" is invalid)'
    return out
  }

  const seen = new Set<string>()
  for (const raw of value.split(';')) {
    const p = raw.trim()
    if (!p) continue
    const [k, ...rest] = p.split('=')
    const key = k.trim().toLowerCase()
    if (seen.has(key)) {
      out.invalid = `directive ${key} appears twice`
      return out
    }

    seen.add(key)
    switch (key) {
      case 'max-age': {
        const v = rest
          .join('=')
          .trim()
          .replace(/^"(.*)"$/, '$1')
        if (!/^\d+$/.test(v)) {
          out.invalid = `max-age "${v.slice(0, 20)}" is not a number`
          return out
        }

        out.maxAge = Number(v)

        break
      }

      case 'includesubdomains': {
        out.includeSubDomains = true
        break
      }

      case 'preload': {
        {
          out.preload = true
          // No default
        }

        break
      }
    }
  }

  if (out.maxAge === undefined) out.invalid = 'no max-age directive'
  return out
}

function judgeCookies(cookies: readonly ObservatoryCookie[], found: Findings): void {
  const noSameSite: string[] = []
  for (const c of cookies) {
    const session = /login|sess/i.test(c.name)
    if (!c.secure)
      found.add(
        session ? 'web.cookie.session_no_secure' : 'web.cookie.no_secure',
        `cookie ${c.name} has no Secure attribute`,
      )
    if (session && !c.httpOnly)
      found.add('web.cookie.session_no_httponly', `session cookie ${c.name} has no HttpOnly attribute`)
    const ss = c.sameSite?.trim().toLowerCase()
    if (c.sameSite !== undefined && !['lax', 'strict', 'none'].includes(ss ?? ''))
      found.add('web.cookie.samesite_invalid', `cookie ${c.name} has SameSite="${c.sameSite}"`)
    else if (ss === 'none' && !c.secure)
      found.add('web.cookie.samesite_invalid', `cookie ${c.name} has SameSite=None without Secure`)
    if (c.sameSite === undefined) {
      if (/csrf/i.test(c.name))
        found.add('web.cookie.csrf_no_samesite', `anti-CSRF cookie ${c.name} has no SameSite attribute`)
      else noSameSite.push(c.name)
    }
  }

  if (noSameSite.length > 0)
    found.add('web.cookie.no_samesite', `cookies without SameSite: ${noSameSite.slice(0, 5).join(', ')}`)
}

function judgeCors(cors: ReturnType<typeof observatory>['cors'], sentOrigin: string, found: Findings): void {
  if (cors.result === 'cross-origin-resource-sharing-implemented-with-universal-access') {
    found.add(
      'web.cors.reflected_credentials',
      `an arbitrary Origin is echoed in Access-Control-Allow-Origin with credentials allowed`,
    )
  } else if (cors.result === 'cross-origin-resource-sharing-implemented-with-public-access') {
    found.add(
      'web.cors.wildcard',
      `Access-Control-Allow-Origin: *${cors.credentials ? ' (credentials flag ignored by browsers)' : ''}`,
    )
  } else if (cors.value && cors.value !== 'null' && cors.value === sentOrigin.toLowerCase()) {
    found.add('web.cors.reflected', 'an arbitrary Origin is echoed in Access-Control-Allow-Origin')
  }
}

function judgeSecTxt(chain: ChainResult, now: number, found: Findings, details: Record<string, unknown>): void {
  const r = chain.final
  if (!r || chain.error) {
    found.add('securitytxt.missing', `/.well-known/security.txt could not be fetched: ${chain.error ?? 'no response'}`)
    details.securityTxt = {error: chain.error}
    return
  }

  if (r.status !== 200) {
    found.add('securitytxt.missing', `/.well-known/security.txt answered ${r.status}`)
    details.securityTxt = {status: r.status}
    return
  }

  if (r.url.protocol !== 'https:') {
    found.add('securitytxt.missing', `/.well-known/security.txt redirects to ${r.url.href} (must be served over https)`)
    return
  }

  const judged = judgeSecurityTxt(r.body, header(r, 'content-type'), now)
  details.securityTxt = {
    url: r.url.href,
    contacts: judged.parsed?.contacts ?? [],
    expires: judged.parsed?.expires ?? [],
    signed: judged.parsed?.signed ?? false,
    problems: judged.problems.map((p) => p.kind),
  }
  for (const p of judged.problems) {
    switch (p.kind) {
      case 'invalid_media':
      case 'invalid_charset':
      case 'not_text': {
        found.add('securitytxt.invalid_media', `security.txt: ${p.detail}`)
        break
      }

      case 'no_contact': {
        found.add('securitytxt.no_contact', 'security.txt has no Contact field')
        break
      }

      case 'no_expire': {
        found.add('securitytxt.no_expires', 'security.txt has no Expires field')
        break
      }

      case 'multi_expire': {
        found.add('securitytxt.no_expires', 'security.txt has more than one Expires field')
        break
      }

      case 'invalid_expiry': {
        found.add('securitytxt.no_expires', `security.txt: ${p.detail}`)
        break
      }

      case 'expired': {
        found.add('securitytxt.expired', `security.txt ${p.detail}`)
        break
      }

      case 'expiring': {
        found.add('securitytxt.expiring', `security.txt expires in ${p.days} days`)
        break
      }

      case 'long_expiry': {
        found.add('securitytxt.long_expiry', `security.txt Expires is ${p.days} days ahead (keep it under a year)`)
        break
      }

      case 'invalid_line':
      case 'insecure_uri': {
        found.add('securitytxt.invalid', `security.txt: ${p.detail}`)
        break
      }
    }
  }
}
