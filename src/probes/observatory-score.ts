/**
 * The MDN HTTP Observatory's tests and scoring (released npm package @mdn/mdn-http-observatory 1.4.8,
 * algorithm version 4), re-implemented on plain values. Deliberate deviations are listed in
 * docs/posture.md: no HSTS preload list (nothing counts as preloaded), no robots.txt fetch for extra
 * cookies, HTML read with regular expressions instead of a DOM, and a small built-in list of two-label
 * public suffixes instead of the full Public Suffix List for "same site" scripts.
 */

export type HeaderMap = Map<string, string[]>

export interface ObservatoryCookie {
  name: string
  secure: boolean
  httpOnly: boolean
  /** The SameSite value as written, or undefined when absent. */
  sameSite?: string
  /** The Set-Cookie line it came from. */
  raw: string
}

export interface ObservatoryInput {
  hostname: string
  /** Final response of the HTTPS chain, when HTTPS answered. */
  https?: {verified: boolean; headers: HeaderMap; status: number; url: URL; body: string}
  /** The HTTP chain (first URL included); undefined when nothing listens on HTTP. */
  http?: {route: URL[]; verified: boolean; final?: {headers: HeaderMap; status: number; url: URL; body: string}}
  /** The CORS preflight's response headers and the Origin it sent. */
  cors?: {headers: HeaderMap; origin: string}
  /** Every cookie set along the chains. */
  cookies: ObservatoryCookie[]
}

export interface TestOutcome {
  test: string
  result: string
  modifier: number
  pass: boolean
  /** Extra facts (e.g. the parsed CSP). */
  data?: unknown
}

export interface ObservatoryResult {
  score: number
  grade: string
  /** 100 plus the negative modifiers; bonuses count only when this is 90 or more. */
  uncurvedScore: number
  tests: TestOutcome[]
  /** Set when the Observatory would refuse to grade (site down or unexpected status). */
  abortReason?: string
}

export const MODIFIERS: Record<string, number> = {
  'csp-implemented-with-no-unsafe-default-src-none': 10,
  'csp-implemented-with-no-unsafe': 5,
  'csp-implemented-with-unsafe-inline-in-style-src-only': 0,
  'csp-implemented-with-insecure-scheme-in-passive-content-only': -10,
  'csp-implemented-with-unsafe-eval': -10,
  'csp-implemented-with-unsafe-inline': -20,
  'csp-implemented-with-insecure-scheme': -20,
  'csp-header-invalid': -25,
  'csp-not-implemented': -25,
  'csp-not-implemented-but-reporting-enabled': -25,
  'csp-implemented-but-duplicate-directives': 0,
  'cookies-secure-with-httponly-sessions-and-samesite': 5,
  'cookies-secure-with-httponly-sessions': 0,
  'cookies-not-found': 0,
  'cookies-without-secure-flag-but-protected-by-hsts': -5,
  'cookies-session-without-secure-flag-but-protected-by-hsts': -10,
  'cookies-without-secure-flag': -20,
  'cookies-samesite-flag-invalid': -20,
  'cookies-anticsrf-without-samesite-flag': -20,
  'cookies-session-without-httponly-flag': -30,
  'cookies-session-without-secure-flag': -40,
  'cross-origin-resource-sharing-not-implemented': 0,
  'cross-origin-resource-sharing-implemented-with-public-access': 0,
  'cross-origin-resource-sharing-implemented-with-restricted-access': 0,
  'cross-origin-resource-sharing-implemented-with-universal-access': -50,
  'redirection-all-redirects-preloaded': 0,
  'redirection-to-https': 0,
  'redirection-not-needed-no-http': 0,
  'redirection-off-host-from-http': -5,
  'redirection-not-to-https-on-initial-redirection': -10,
  'redirection-not-to-https': -20,
  'redirection-missing': -20,
  'redirection-invalid-cert': -20,
  'referrer-policy-private': 5,
  'referrer-policy-not-implemented': 0,
  'referrer-policy-unsafe': -5,
  'referrer-policy-header-invalid': -5,
  'hsts-preloaded': 5,
  'hsts-implemented-max-age-at-least-six-months': 0,
  'hsts-implemented-max-age-less-than-six-months': -10,
  'hsts-not-implemented': -20,
  'hsts-header-invalid': -20,
  'hsts-not-implemented-no-https': -20,
  'hsts-invalid-cert': -20,
  'sri-implemented-and-all-scripts-loaded-securely': 5,
  'sri-implemented-and-external-scripts-loaded-securely': 5,
  'sri-not-implemented-response-not-html': 0,
  'sri-not-implemented-but-no-scripts-loaded': 0,
  'sri-not-implemented-but-all-scripts-loaded-from-secure-origin': 0,
  'sri-not-implemented-but-external-scripts-loaded-securely': -5,
  'sri-implemented-but-external-scripts-not-loaded-securely': -20,
  'sri-not-implemented-and-external-scripts-not-loaded-securely': -50,
  'x-content-type-options-nosniff': 0,
  'x-content-type-options-not-implemented': -5,
  'x-content-type-options-header-invalid': -5,
  'x-frame-options-implemented-via-csp': 5,
  'x-frame-options-sameorigin-or-deny': 0,
  'x-frame-options-allow-from-origin': 0,
  'x-frame-options-not-implemented': -20,
  'x-frame-options-header-invalid': -20,
  'corp-implemented-with-same-origin': 10,
  'corp-implemented-with-same-site': 10,
  'corp-implemented-with-cross-origin': 0,
  'corp-not-implemented': 0,
  'corp-header-invalid': -5,
  'html-not-parseable': -20,
}

/** Score → grade, as the Observatory's GRADE_CHART (scores above 100 grade as 100). */
export function gradeForScore(score: number): string {
  const s = Math.min(Math.max(score, 0) - (Math.max(score, 0) % 5), 100)
  if (s >= 100) return 'A+'
  if (s >= 90) return 'A'
  if (s >= 85) return 'A-'
  if (s >= 80) return 'B+'
  if (s >= 70) return 'B'
  if (s >= 65) return 'B-'
  if (s >= 60) return 'C+'
  if (s >= 50) return 'C'
  if (s >= 45) return 'C-'
  if (s >= 40) return 'D+'
  if (s >= 30) return 'D'
  if (s >= 25) return 'D-'
  return 'F'
}

export const GRADES = ['A+', 'A', 'A-', 'B+', 'B', 'B-', 'C+', 'C', 'C-', 'D+', 'D', 'D-', 'F'] as const

/** Grade order: 0 is the best (A+). */
export function gradeRank(grade: string): number {
  const ranked: readonly string[] = GRADES
  const i = ranked.indexOf(grade)
  return i === -1 ? GRADES.length : i
}

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml'])

function first(headers: HeaderMap | undefined, name: string): string | undefined {
  return headers?.get(name)?.[0]
}

// ---------------------------------------------------------------- CSP

const DANGEROUSLY_BROAD = new Set([
  'ftp:',
  'http:',
  'https:',
  '*',
  'http://*',
  'http://*.*',
  'https://*',
  'https://*.*',
])
const UNSAFE_INLINE = new Set(["'unsafe-inline'", 'data:'])
const BROAD_OR_INLINE = new Set([...DANGEROUSLY_BROAD, ...UNSAFE_INLINE])
const PASSIVE = ['img-src', 'media-src']
const NONCE_HASH = ["'sha256-", "'sha384-", "'sha512-", "'nonce-"]
const DUPLICATES_ALLOWED = new Set(['report-uri', 'report-to'])
export const CSP_DUPLICATE_KEY = '_duplicate_directives'

export type CspMap = Map<string, Set<string>>

/**
 * Parses one or more policies into directive → sources, as the Observatory does: the first policy's
 * sources are kept and later policies only add what the first allowed. Throws on an invalid policy
 * (too short, or a directive repeated within one policy other than report-uri/report-to).
 */
export function parseCsp(list: readonly string[]): CspMap {
  const clean = list.map((s) => s.replaceAll(/[\r\n]/g, '').trim())
  if (clean.length === 0) return new Map()
  for (const s of clean) if (!s || s.length < 6) throw new Error(`invalid policy: ${s}`)
  const csp = new Map<string, {source: string; index: number; keep: boolean}[]>()
  const dupes = new Set<string>()
  for (const [index, policy] of clean.entries()) {
    const seen = new Set<string>()
    for (const entry of policy.split(';')) {
      const [rawDirective, ...rawValues] = entry.trim().split(/\s+/)
      if (!rawDirective) continue
      const directive = rawDirective.toLowerCase()
      if (seen.has(directive)) {
        if (DUPLICATES_ALLOWED.has(directive)) dupes.add(directive)
        else throw new Error(`duplicate directive ${directive}`)
      } else seen.add(directive)
      const keep = index === 0
      const values =
        rawValues.length > 0
          ? rawValues.map((v) => ({source: v.trim().toLowerCase(), index, keep}))
          : directive.endsWith('-src')
            ? [{source: "'none'", index, keep}]
            : []
      const combined = index === 0 ? [...values] : [...(csp.get(directive) ?? []), ...values]
      combined.sort((a, b) => a.source.localeCompare(b.source, 'en'))
      for (let i = 1; i < combined.length; i++) {
        const s = combined[i]
        const p = combined[i - 1]
        if (s.index === p.index && s.source.startsWith(p.source)) s.keep = false
        if (s.index !== p.index && pathPartMatch(p.source, s.source)) s.keep = true
      }

      csp.set(
        directive,
        combined.filter((s) => s.keep),
      )
      if (index === 0 && list.length > 1) for (const s of csp.get(directive) ?? []) s.keep = false
    }
  }

  const out: CspMap = new Map(
    [...csp.entries()].map(([d, sources]) => [
      d,
      sources.length > 0 ? new Set(sources.map((s) => s.source)) : new Set(["'none'"]),
    ]),
  )
  if (dupes.size > 0) out.set(CSP_DUPLICATE_KEY, dupes)
  return out
}

function pathPartMatch(a: string, b: string): boolean {
  if (a.length === 0) return true
  if (a === '/' && b.length === 0) return true
  const exact = !a.endsWith('/')
  const la = a.split('/')
  const lb = b.split('/')
  if (la.length > lb.length) return false
  if (exact && la.length !== lb.length) return false
  if (!exact) la.pop()
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }

  return la.every((p, i) => dec(p) === dec(lb[i]))
}

export interface CspAnalysis {
  result: string
  pass: boolean
  /** Directive → sorted sources, when a policy was found. */
  policy?: Record<string, string[]>
  flags: {
    unsafeInline?: boolean
    unsafeEval?: boolean
    insecureSchemeActive?: boolean
    insecureSchemePassive?: boolean
    unsafeInlineStyle?: boolean
    defaultNone?: boolean
    antiClickjacking?: boolean
    unsafeObjects?: boolean
    strictDynamic?: boolean
  }
  /** The header had frame-ancestors (counts only from the HTTP header, not meta). */
  frameAncestors: boolean
}

export function analyseCsp(headers: HeaderMap, metaCsp: readonly string[], https: boolean): CspAnalysis {
  const flags: CspAnalysis['flags'] = {}
  const parsed = parsePolicies(headers, metaCsp)
  if (!parsed) return {result: 'csp-header-invalid', pass: false, flags, frameAncestors: false}
  const {csp, headerOnly, meta} = parsed
  if (headerOnly.size + meta.size === 0) {
    const reportOnly = first(headers, 'content-security-policy-report-only')
    return {
      result: reportOnly ? 'csp-not-implemented-but-reporting-enabled' : 'csp-not-implemented',
      pass: false,
      flags,
      frameAncestors: false,
    }
  }

  let result = cspResult(csp, headerOnly, https, flags)
  let pass = [
    'csp-implemented-with-no-unsafe',
    'csp-implemented-with-no-unsafe-default-src-none',
    'csp-implemented-with-unsafe-inline-in-style-src-only',
    'csp-implemented-with-insecure-scheme-in-passive-content-only',
  ].includes(result)
  if (pass && csp.has(CSP_DUPLICATE_KEY)) result = 'csp-implemented-but-duplicate-directives'
  if (result === 'csp-header-invalid') pass = false
  const policy: Record<string, string[]> = {}
  for (const [k, v] of csp) if (k !== CSP_DUPLICATE_KEY) policy[k] = [...v].sort()
  return {result, pass, policy, flags, frameAncestors: headerOnly.has('frame-ancestors')}
}

/**
 * The header and meta policies together, the header's alone, and the meta's without the directives a
 * meta element cannot set; undefined when the combined policies do not parse.
 */
function parsePolicies(
  headers: HeaderMap,
  metaCsp: readonly string[],
): {csp: CspMap; headerOnly: CspMap; meta: CspMap} | undefined {
  const httpCsp = headers.get('content-security-policy') ?? []
  let csp: CspMap
  try {
    csp = parseCsp([...httpCsp, ...metaCsp])
  } catch {
    return undefined
  }

  let headerOnly: CspMap
  try {
    headerOnly = parseCsp(httpCsp)
  } catch {
    headerOnly = new Map()
  }

  let meta: CspMap
  try {
    meta = parseCsp(metaCsp)
    for (const d of ['frame-ancestors', 'report-uri', 'sandbox']) meta.delete(d)
  } catch {
    meta = new Map()
  }

  return {csp, headerOnly, meta}
}

/** The Observatory's result for a parsed policy: its first failing rule, in their order; sets the flags. */
function cspResult(csp: CspMap, headerOnly: CspMap, https: boolean, flags: CspAnalysis['flags']): string {
  let result: string | undefined
  const star = () => new Set(['*'])
  const frameAncestors = headerOnly.get('frame-ancestors') ?? star()
  const objectSrc = new Set(csp.get('object-src') ?? csp.get('default-src') ?? star())
  const scriptSrc = new Set(csp.get('script-src') ?? csp.get('default-src') ?? star())
  const styleSrc = new Set(csp.get('style-src') ?? csp.get('default-src') ?? star())
  const hasNonceHash = (s: Set<string>) => [...s].some((x) => NONCE_HASH.some((n) => x.startsWith(n)))
  for (const list of [scriptSrc, styleSrc])
    if (hasNonceHash(list) && list.has("'unsafe-inline'")) list.delete("'unsafe-inline'")
  if (hasNonceHash(scriptSrc) && scriptSrc.has("'strict-dynamic'")) {
    for (const s of scriptSrc) {
      if ([...DANGEROUSLY_BROAD].some((b) => s.startsWith(b)) || s === "'self'" || s === "'unsafe-inline'")
        scriptSrc.delete(s)
    }

    flags.strictDynamic = true
  } else if (scriptSrc.has("'strict-dynamic'")) {
    result ??= 'csp-header-invalid'
  }

  const active = [...csp.entries()]
    .filter(([d]) => !PASSIVE.includes(d) && d !== 'script-src' && d !== CSP_DUPLICATE_KEY)
    .flatMap(([, s]) => [...s])
  active.push(...scriptSrc)
  const passive = PASSIVE.flatMap((d) => [...(csp.get(d) ?? csp.get('default-src') ?? new Set<string>())])
  const insecure = (s: string) => s.startsWith('http:') || s.startsWith('ftp:')
  if ([...scriptSrc].some((s) => BROAD_OR_INLINE.has(s)) || [...objectSrc].some((s) => DANGEROUSLY_BROAD.has(s))) {
    result ??= 'csp-implemented-with-unsafe-inline'
    flags.unsafeInline = true
  }

  if (https && active.some(insecure)) {
    result ??= 'csp-implemented-with-insecure-scheme'
    flags.insecureSchemeActive = true
  }

  if (scriptSrc.has("'unsafe-eval'") || styleSrc.has("'unsafe-eval'")) {
    result ??= 'csp-implemented-with-unsafe-eval'
    flags.unsafeEval = true
  }

  if (https && passive.some(insecure)) {
    result ??= 'csp-implemented-with-insecure-scheme-in-passive-content-only'
    flags.insecureSchemePassive = true
  }

  if ([...styleSrc].some((s) => BROAD_OR_INLINE.has(s))) {
    result ??= 'csp-implemented-with-unsafe-inline-in-style-src-only'
    flags.unsafeInlineStyle = true
  }

  const def = csp.get('default-src')
  if (def?.has("'none'") && def.size === 1) {
    result ??= 'csp-implemented-with-no-unsafe-default-src-none'
    flags.defaultNone = true
  } else result ??= 'csp-implemented-with-no-unsafe'
  flags.antiClickjacking = ![...frameAncestors].some((s) => DANGEROUSLY_BROAD.has(s))
  flags.unsafeObjects = [...objectSrc].some((s) => DANGEROUSLY_BROAD.has(s))
  return result
}

// ---------------------------------------------------------------- HSTS

export interface HstsAnalysis {
  result: string
  pass: boolean
  maxAge?: number
  includeSubDomains: boolean
  preload: boolean
  /** The first header value (at most 1024 characters). */
  value?: string
  /** Number of Strict-Transport-Security header fields. */
  count: number
  /** Why the header is invalid. */
  invalidReason?: string
}

const SIX_MONTHS = 15_552_000

export function analyseHsts(https: ObservatoryInput['https']): HstsAnalysis {
  const out: HstsAnalysis = {
    result: 'hsts-not-implemented',
    pass: false,
    includeSubDomains: false,
    preload: false,
    count: 0,
  }
  if (!https) return {...out, result: 'hsts-not-implemented-no-https'}
  const values = https.headers.get('strict-transport-security') ?? []
  out.count = values.length
  if (!https.verified) return {...out, result: 'hsts-invalid-cert'}
  if (values.length === 0) return out
  const value = values[0].slice(0, 1024)
  out.value = value
  if (value.includes(',')) {
    out.result = 'hsts-header-invalid'
    out.invalidReason = 'contains a comma (set multiple times, or a comma used instead of ";")'
    return out
  }

  for (const p of value.split(';').map((x) => x.trim().toLowerCase())) {
    if (p.startsWith('max-age=')) out.maxAge = Number.parseInt(p.slice(8, 128).replace(/^"(.*)"$/, '$1'), 10)
    else if (p === 'includesubdomains') out.includeSubDomains = true
    else if (p === 'preload') out.preload = true
  }

  if (out.maxAge === undefined || Number.isNaN(out.maxAge)) {
    out.result = 'hsts-header-invalid'
    out.invalidReason = 'no max-age directive'
    out.maxAge = undefined
    return out
  }

  out.result =
    out.maxAge < SIX_MONTHS
      ? 'hsts-implemented-max-age-less-than-six-months'
      : 'hsts-implemented-max-age-at-least-six-months'
  out.pass = out.result === 'hsts-implemented-max-age-at-least-six-months'
  return out
}

// ---------------------------------------------------------------- cookies

/** Parses a Set-Cookie line's name and the attributes the Observatory looks at. */
export function parseSetCookie(line: string): ObservatoryCookie | undefined {
  const parts = line.split(';')
  const eq = parts[0].indexOf('=')
  const name = (eq === -1 ? '' : parts[0].slice(0, eq)).trim()
  if (!name) return undefined
  const c: ObservatoryCookie = {name, secure: false, httpOnly: false, raw: line}
  for (const attr of parts.slice(1)) {
    const i = attr.indexOf('=')
    const key = (i === -1 ? attr : attr.slice(0, i)).trim().toLowerCase()
    const value = i === -1 ? '' : attr.slice(i + 1).trim()
    switch (key) {
      case 'secure': {
        c.secure = true
        break
      }

      case 'httponly': {
        c.httpOnly = true
        break
      }

      case 'samesite': {
        {
          c.sameSite = value
          // No default
        }

        break
      }
    }
  }

  return c
}

function sameSiteInvalid(raw: string): boolean {
  for (const p of raw.trim().split(';')) {
    const [k, v] = p.trim().split('=')
    if (k.trim().toLowerCase() === 'samesite') {
      if (!v) return true
      if (!['lax', 'strict', 'none'].includes(v.trim().toLowerCase())) return true
    }
  }

  return false
}

export const isSessionCookie = (name: string) => /login|sess/i.test(name)
export const isCsrfCookie = (name: string) => /csrf/i.test(name)

const COOKIE_ORDER = [
  'cookies-without-secure-flag-but-protected-by-hsts',
  'cookies-without-secure-flag',
  'cookies-session-without-secure-flag-but-protected-by-hsts',
  'cookies-samesite-flag-invalid',
  'cookies-anticsrf-without-samesite-flag',
  'cookies-session-without-httponly-flag',
  'cookies-session-without-secure-flag',
]

function worse(next: string, current: string | undefined, order: readonly string[]): string {
  if (!current) return next
  return order.indexOf(next) > order.indexOf(current) ? next : current
}

/** Cookies as the Observatory judges them; `autoSetCookies` are the raw lines of the graded response. */
export function analyseCookies(
  cookies: readonly ObservatoryCookie[],
  autoSetCookies: readonly string[],
  hstsPass: boolean,
): {result: string; pass: boolean} {
  let result: string | undefined
  for (const raw of autoSetCookies)
    if (sameSiteInvalid(raw)) result = worse('cookies-samesite-flag-invalid', result, COOKIE_ORDER)
  const all = cookies.filter((c) => c.name !== 'heroku-session-affinity')
  if (all.length === 0) return {result: 'cookies-not-found', pass: true}
  let missingSameSite = false
  for (const c of all) {
    const session = isSessionCookie(c.name)
    const csrf = isCsrfCookie(c.name)
    if (!c.secure && c.sameSite?.toLowerCase() === 'none')
      result = worse('cookies-samesite-flag-invalid', result, COOKIE_ORDER)
    if (!c.secure && hstsPass) result = worse('cookies-without-secure-flag-but-protected-by-hsts', result, COOKIE_ORDER)
    else if (!c.secure) result = worse('cookies-without-secure-flag', result, COOKIE_ORDER)
    if (csrf && !c.sameSite) result = worse('cookies-anticsrf-without-samesite-flag', result, COOKIE_ORDER)
    if (session && !c.secure && hstsPass)
      result = worse('cookies-session-without-secure-flag-but-protected-by-hsts', result, COOKIE_ORDER)
    else if (session && !c.secure) result = worse('cookies-session-without-secure-flag', result, COOKIE_ORDER)
    if (session && !c.httpOnly) result = worse('cookies-session-without-httponly-flag', result, COOKIE_ORDER)
    if (!c.sameSite) missingSameSite = true
  }

  result ??= missingSameSite
    ? 'cookies-secure-with-httponly-sessions'
    : 'cookies-secure-with-httponly-sessions-and-samesite'
  return {
    result,
    pass: [
      'cookies-not-found',
      'cookies-secure-with-httponly-sessions-and-samesite',
      'cookies-secure-with-httponly-sessions',
    ].includes(result),
  }
}

// ---------------------------------------------------------------- HTML (meta and scripts)

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined
}

/** `<meta http-equiv="content-security-policy">` contents and `<meta name="referrer">`. */
export function parseHttpEquiv(html: string): {csp: string[]; referrer: string[]} {
  const csp: string[] = []
  let referrer: string[] = []
  for (const m of html.matchAll(/<meta\b[^>]*>/gi)) {
    const tag = m[0]
    const equiv = attr(tag, 'http-equiv')?.toLowerCase().trim()
    const content = attr(tag, 'content')
    if (equiv !== undefined && content !== undefined) {
      if (equiv === 'content-security-policy' && content) csp.push(content)
    } else if (attr(tag, 'name')?.toLowerCase().trim() === 'referrer' && content) referrer = [content]
  }

  return {csp, referrer}
}

const TWO_LABEL_SUFFIXES = new Set([
  'co.uk',
  'org.uk',
  'ac.uk',
  'gov.uk',
  'ltd.uk',
  'plc.uk',
  'me.uk',
  'net.uk',
  'sch.uk',
  'police.uk',
  'com.au',
  'net.au',
  'org.au',
  'co.nz',
  'co.jp',
  'com.br',
  'co.in',
])

/** Registrable domain, approximately: the last two labels, or three under a known two-label suffix. */
export function registrableDomain(host: string): string {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.')
  if (labels.length <= 2) return labels.join('.')
  const last2 = labels.slice(-2).join('.')
  return TWO_LABEL_SUFFIXES.has(last2) ? labels.slice(-3).join('.') : last2
}

const SRI_ORDER = [
  'sri-implemented-and-all-scripts-loaded-securely',
  'sri-implemented-and-external-scripts-loaded-securely',
  'sri-implemented-but-external-scripts-not-loaded-securely',
  'sri-not-implemented-but-external-scripts-loaded-securely',
  'sri-not-implemented-and-external-scripts-not-loaded-securely',
  'sri-not-implemented-response-not-html',
]

export interface SriAnalysis {
  result: string
  pass: boolean
  /** External scripts: src → integrity present, loaded over https. */
  external: {src: string; integrity: boolean; secure: boolean}[]
}

export function analyseSri(
  contentType: string | undefined,
  html: string,
  hostname: string,
  pageHttps: boolean,
): SriAnalysis {
  const mime = (contentType ?? '').split(';')[0].trim().toLowerCase()
  const external: SriAnalysis['external'] = []
  if (!HTML_TYPES.has(mime)) return {result: 'sri-not-implemented-response-not-html', pass: true, external}
  let result: string | undefined
  let foreign = false
  const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0])
  for (const tag of scripts) {
    const src = attr(tag, 'src')
    if (!src) continue
    const integrity = Boolean(attr(tag, 'integrity'))
    let relativeOrigin = false
    let relativeProtocol = false
    let sameSite = false
    if (/^\/\/[^/]/.test(src)) {
      relativeProtocol = true
      sameSite = true
    } else if (/^https?:\/\//i.test(src)) {
      try {
        sameSite = registrableDomain(new URL(src).hostname) === registrableDomain(hostname)
      } catch {
        sameSite = false
      }
    } else {
      relativeOrigin = true
      sameSite = true
    }

    const secureOrigin = relativeOrigin || (sameSite && !relativeProtocol)
    if (!secureOrigin) foreign = true
    let scheme: string | undefined
    if (!relativeProtocol && !relativeOrigin) {
      try {
        scheme = new URL(src).protocol
      } catch {
        scheme = undefined
      }
    }

    const secureScheme = scheme === 'https:' || (relativeOrigin && pageHttps)
    if (!secureOrigin) {
      external.push({src, integrity, secure: secureScheme})
      if (integrity && !secureScheme)
        result = worse('sri-implemented-but-external-scripts-not-loaded-securely', result, SRI_ORDER)
      else if (!integrity && secureScheme)
        result = worse('sri-not-implemented-but-external-scripts-loaded-securely', result, SRI_ORDER)
      else if (!integrity && !secureScheme)
        result = worse('sri-not-implemented-and-external-scripts-not-loaded-securely', result, SRI_ORDER)
    } else if (integrity && secureScheme && !result) result = 'sri-implemented-and-all-scripts-loaded-securely'
  }

  if (scripts.length === 0) result = 'sri-not-implemented-but-no-scripts-loaded'
  else
    result ??= foreign
      ? 'sri-implemented-and-external-scripts-loaded-securely'
      : 'sri-not-implemented-but-all-scripts-loaded-from-secure-origin'
  const pass = [
    'sri-implemented-and-all-scripts-loaded-securely',
    'sri-implemented-and-external-scripts-loaded-securely',
    'sri-not-implemented-response-not-html',
    'sri-not-implemented-but-all-scripts-loaded-from-secure-origin',
    'sri-not-implemented-but-no-scripts-loaded',
  ].includes(result)
  return {result, pass, external}
}

// ---------------------------------------------------------------- the other header tests

export function analyseReferrer(
  headers: HeaderMap,
  metaReferrer: readonly string[],
): {result: string; pass: boolean; value?: string} {
  const good = ['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin']
  const bad = ['origin', 'origin-when-cross-origin', 'unsafe-url', 'no-referrer-when-downgrade']
  const values = [...(headers.get('referrer-policy') ?? []), ...metaReferrer]
  if (values.length === 0) return {result: 'referrer-policy-not-implemented', pass: true}
  const value = values.join(', ')
  const policy =
    value
      .split(',')
      .filter((e) => [...good, ...bad].includes(e.toLowerCase().trim()))
      .reverse()[0]
      ?.toLowerCase()
      .trim() ?? ''
  const result = good.includes(policy)
    ? 'referrer-policy-private'
    : bad.includes(policy)
      ? 'referrer-policy-unsafe'
      : 'referrer-policy-header-invalid'
  return {result, pass: result === 'referrer-policy-private', value}
}

export function analyseXcto(headers: HeaderMap): {result: string; pass: boolean; value?: string} {
  const v = first(headers, 'x-content-type-options')
  if (!v) return {result: 'x-content-type-options-not-implemented', pass: false}
  const ok = v.slice(0, 256).trim().toLowerCase() === 'nosniff'
  return {result: ok ? 'x-content-type-options-nosniff' : 'x-content-type-options-header-invalid', pass: ok, value: v}
}

export function analyseXfo(headers: HeaderMap, csp: CspAnalysis): {result: string; pass: boolean; value?: string} {
  const v = first(headers, 'x-frame-options')
  let result = 'x-frame-options-not-implemented'
  if (v) {
    const x = v.slice(0, 1024).trim().toLowerCase()
    result =
      x === 'deny' || x === 'sameorigin'
        ? 'x-frame-options-sameorigin-or-deny'
        : x.startsWith('allow-from')
          ? 'x-frame-options-allow-from-origin'
          : 'x-frame-options-header-invalid'
  }

  if (csp.policy?.['frame-ancestors']) result = 'x-frame-options-implemented-via-csp'
  return {
    result,
    pass: [
      'x-frame-options-sameorigin-or-deny',
      'x-frame-options-allow-from-origin',
      'x-frame-options-implemented-via-csp',
    ].includes(result),
    value: v,
  }
}

export function analyseCorp(headers: HeaderMap): {result: string; pass: boolean; value?: string} {
  const v = first(headers, 'cross-origin-resource-policy')?.slice(0, 256).trim().toLowerCase()
  if (!v) return {result: 'corp-not-implemented', pass: true}
  const result =
    v === 'same-site'
      ? 'corp-implemented-with-same-site'
      : v === 'same-origin'
        ? 'corp-implemented-with-same-origin'
        : v === 'cross-origin'
          ? 'corp-implemented-with-cross-origin'
          : 'corp-header-invalid'
  return {result, pass: result !== 'corp-header-invalid', value: v}
}

export function analyseCors(cors: ObservatoryInput['cors']): {
  result: string
  pass: boolean
  value?: string
  credentials: boolean
} {
  const acao = first(cors?.headers, 'access-control-allow-origin')
  const credentials = first(cors?.headers, 'access-control-allow-credentials')?.trim().toLowerCase() === 'true'
  if (!cors || !acao) return {result: 'cross-origin-resource-sharing-not-implemented', pass: true, credentials}
  const v = acao.slice(0, 256).trim().toLowerCase()
  if (v === '*')
    return {result: 'cross-origin-resource-sharing-implemented-with-public-access', pass: true, value: v, credentials}
  if (acao === cors.origin && credentials)
    return {
      result: 'cross-origin-resource-sharing-implemented-with-universal-access',
      pass: false,
      value: v,
      credentials,
    }
  return {result: 'cross-origin-resource-sharing-implemented-with-restricted-access', pass: true, value: v, credentials}
}

export function analyseRedirection(http: ObservatoryInput['http']): {result: string; pass: boolean; route: string[]} {
  if (!http) return {result: 'redirection-not-needed-no-http', pass: true, route: []}
  const {route} = http
  const out = (result: string) => ({result, pass: result === 'redirection-to-https', route: route.map((u) => u.href)})
  if (!http.verified) return out('redirection-invalid-cert')
  if (route.length <= 1) return out('redirection-missing')
  if (route[route.length - 1].protocol !== 'https:') return out('redirection-not-to-https')
  if (route[1].protocol === 'http:') return out('redirection-not-to-https-on-initial-redirection')
  if (route[0].protocol === 'http:' && route[1].protocol === 'https:' && route[0].hostname !== route[1].hostname)
    return out('redirection-off-host-from-http')
  return out('redirection-to-https')
}

// ---------------------------------------------------------------- all together

export interface ObservatoryAnalysis extends ObservatoryResult {
  csp: CspAnalysis
  hsts: HstsAnalysis
  sri: SriAnalysis
  cors: ReturnType<typeof analyseCors>
}

/** Runs every test and scores them. */
export function observatory(input: ObservatoryInput): ObservatoryAnalysis {
  const auto = input.https ?? input.http?.final
  const headers: HeaderMap = auto?.headers ?? new Map()
  const body = auto?.body ?? ''
  const isHtml = HTML_TYPES.has((first(headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase())
  const equiv = isHtml ? parseHttpEquiv(body) : {csp: [], referrer: []}
  const pageHttps = auto?.url.protocol === 'https:'
  const csp = auto
    ? analyseCsp(headers, equiv.csp, pageHttps)
    : {result: 'csp-not-implemented', pass: false, flags: {}, frameAncestors: false}
  const hsts = analyseHsts(input.https)
  const cookies = analyseCookies(input.cookies, headers.get('set-cookie') ?? [], hsts.pass)
  const cors = analyseCors(input.cors)
  const redirection = analyseRedirection(input.http)
  const referrer = analyseReferrer(headers, equiv.referrer)
  const sri = analyseSri(first(headers, 'content-type'), body, input.hostname, pageHttps)
  const xcto = analyseXcto(headers)
  const xfo = analyseXfo(headers, csp)
  const corp = analyseCorp(headers)
  const tests: TestOutcome[] = [
    {test: 'content-security-policy', result: csp.result, pass: csp.pass, modifier: 0, data: csp.policy},
    {test: 'cookies', result: cookies.result, pass: cookies.pass, modifier: 0},
    {test: 'cross-origin-resource-sharing', result: cors.result, pass: cors.pass, modifier: 0},
    {test: 'redirection', result: redirection.result, pass: redirection.pass, modifier: 0, data: redirection.route},
    {test: 'referrer-policy', result: referrer.result, pass: referrer.pass, modifier: 0},
    {test: 'strict-transport-security', result: hsts.result, pass: hsts.pass, modifier: 0},
    {test: 'subresource-integrity', result: sri.result, pass: sri.pass, modifier: 0},
    {test: 'x-content-type-options', result: xcto.result, pass: xcto.pass, modifier: 0},
    {test: 'x-frame-options', result: xfo.result, pass: xfo.pass, modifier: 0},
    {test: 'cross-origin-resource-policy', result: corp.result, pass: corp.pass, modifier: 0},
  ]
  for (const t of tests) t.modifier = MODIFIERS[t.result] ?? 0
  const scored = scoreTests(tests)
  let abortReason: string | undefined
  if (!auto) abortReason = 'the site seems to be down'
  else if (auto.status < 200 || (auto.status >= 400 && auto.status !== 401 && auto.status !== 403))
    abortReason = `unexpected HTTP status ${auto.status}`
  return {...scored, tests, ...(abortReason ? {abortReason} : {}), csp, hsts, sri, cors}
}

/** The Observatory's arithmetic: bonuses only count when the score without them is 90 or more. */
export function scoreTests(tests: readonly {modifier: number}[]): {
  score: number
  grade: string
  uncurvedScore: number
} {
  let withExtra = 100
  let uncurved = 100
  for (const t of tests) {
    withExtra += t.modifier
    if (t.modifier < 0) uncurved += t.modifier
  }

  const score = Math.max(0, uncurved >= 90 ? withExtra : uncurved)
  return {score, grade: gradeForScore(score), uncurvedScore: uncurved}
}
