import crypto from 'node:crypto'

import type {MxRecord} from 'node:dns'
import type {Observation} from '../types.js'
import type {Probe, ProbeContext} from './types.js'
import {DOMAIN, emailSecuritySpec} from './email-security-spec.js'
import {errorMessage} from './errors.js'
import {
  boundedSignal,
  countBySeverity,
  findingCounts,
  Findings,
  postureStatus,
  unknownObservation,
} from './posture-common.js'

import {type DnsAnswer, PostureDns} from './posture-dns.js'
import {fetchOnce, header} from './posture-http.js'
import {probeStarttls} from './smtp-starttls.js'
import {checkSpf, type SpfResult} from './spf.js'

/**
 * email-security: the mail posture of a domain, from DNS (MX, SPF, DMARC, MTA-STS, TLS-RPT, DKIM, CAA)
 * plus the MTA-STS policy over HTTPS and, when asked, STARTTLS on each MX host. Criteria follow NCSC
 * Mail Check's rules where it had one (see docs/posture.md).
 */

interface EmailOptions {
  dkim_selectors?: string[]
  starttls?: boolean
  smtp_port?: number
  mta_sts?: boolean
  mta_sts_port?: number
  caa?: boolean
  expect?: {
    dmarc_policy?: Policy
    dmarc_subdomain_policy?: Policy
    spf_all?: '-all' | '~all'
    mta_sts_mode?: 'enforce' | 'testing'
  }
}

type Policy = 'none' | 'quarantine' | 'reject'
const POLICY_RANK: Record<Policy, number> = {none: 0, quarantine: 1, reject: 2}
/** A DMARC p= or sp= value this probe ranks. */
function isPolicy(value: string): value is Policy {
  return value in POLICY_RANK
}

export const emailSecurityProbe: Probe = {
  ...emailSecuritySpec,
  run: runEmailSecurity,
}

/** The options as the probe's schema has already validated them (email-security-spec.ts). */
function emailOptions(options: Record<string, unknown>): EmailOptions {
  return options as EmailOptions
}

/** What every judging step of one run shares: the target, its options, and where results go. */
interface EmailRun {
  domain: string
  o: EmailOptions
  ctx: ProbeContext
  dns: PostureDns
  found: Findings
  details: Record<string, unknown>
  metrics: Record<string, number>
}

/** The first lookups of a run, made together. stsTxt is undefined when MTA-STS is not checked. */
interface CoreAnswers {
  mx: DnsAnswer<MxRecord>
  rootTxt: DnsAnswer<string>
  dmarcTxt: DnsAnswer<string>
  stsTxt?: DnsAnswer<string>
  rptTxt: DnsAnswer<string>
}

async function runEmailSecurity(
  target: string,
  options: Record<string, unknown>,
  ctx: ProbeContext,
): Promise<Observation> {
  const o = emailOptions(options)
  const started = performance.now()
  const domain = target.trim().toLowerCase().replace(/\.$/, '')
  if (!new RegExp(DOMAIN).test(domain)) return unknownObservation(`bad target ${target}: not a domain name`, started)
  const dns = new PostureDns(ctx.net, ctx.signal, Math.max(300, ctx.timeoutMs / 4))
  const run: EmailRun = {domain, o, ctx, dns, found: new Findings(), details: {domain}, metrics: {}}
  const answers = await lookupCore(run)
  const early = unjudgeable(run, answers, started)
  if (early) return early

  const {found, details, metrics} = run
  const {rootTxt, dmarcTxt, stsTxt, rptTxt} = answers
  const mxHosts = await judgeMx(run, answers.mx)

  // SPF
  const spf = await checkSpf(domain, rootTxt, dns)
  judgeSpf(spf, o, found)
  details.spf = {record: spf.record ?? null, all: spf.all ?? null, lookups: spf.lookups, voidLookups: spf.voidLookups}
  metrics.spfLookups = spf.lookups

  // DMARC
  const dmarcPolicy = lookupFailed(run, `TXT _dmarc.${domain}`, dmarcTxt)
    ? undefined
    : judgeDmarc(dmarcTxt.records, o, found, details, metrics)

  // MTA-STS
  const stsMode =
    stsTxt && !lookupFailed(run, `TXT _mta-sts.${domain}`, stsTxt)
      ? await judgeMtaSts(run, stsTxt.records, mxHosts)
      : undefined

  // TLS-RPT
  if (!lookupFailed(run, `TXT _smtp._tls.${domain}`, rptTxt)) judgeTlsRpt(rptTxt.records, found, details)

  if (o.dkim_selectors?.length) await judgeDkimSelectors(run, o.dkim_selectors)
  // CAA: the closest name up the tree that has records.
  if (o.caa !== false) await judgeCaa(domain, dns, found, details)
  if (o.starttls && mxHosts.length > 0) await judgeStarttls(run, mxHosts)

  const counts = countBySeverity(found.list)
  metrics.critFindings = counts.crit
  metrics.warnFindings = counts.warn
  metrics.dnsQueries = dns.queries
  const bits = [
    `MX ${mxHosts.length}`,
    `SPF ${spf.all ?? (spf.record ? 'no all' : 'none')}`,
    `DMARC ${dmarcPolicy ?? 'none'}`,
    ...(stsTxt ? [`MTA-STS ${stsMode ?? 'none'}`] : []),
  ]
  return {
    status: postureStatus(found.list),
    summary: `${bits.join(', ')}; ${findingCounts(found.list)}`,
    timings: {totalMs: performance.now() - started},
    findings: found.list,
    metrics,
    details,
  }
}

async function lookupCore({domain, o, dns}: EmailRun): Promise<CoreAnswers> {
  const [mx, rootTxt, dmarcTxt, stsTxt, rptTxt] = await Promise.all([
    dns.mx(domain),
    dns.txt(domain),
    dns.txt(`_dmarc.${domain}`),
    o.mta_sts === false ? Promise.resolve(undefined) : dns.txt(`_mta-sts.${domain}`),
    dns.txt(`_smtp._tls.${domain}`),
  ])
  return {mx, rootTxt, dmarcTxt, stsTxt, rptTxt}
}

/** The observation to return at once when the first lookups leave nothing to judge, else undefined. */
function unjudgeable(run: EmailRun, answers: CoreAnswers, started: number): Observation | undefined {
  const {domain, found, details, metrics} = run
  const {mx, rootTxt, dmarcTxt, stsTxt, rptTxt} = answers
  const core = [mx, rootTxt, dmarcTxt, rptTxt, ...(stsTxt ? [stsTxt] : [])]
  if (core.every((a) => a.error)) {
    return unknownObservation(
      `DNS lookups for ${domain} failed: ${[...new Set(core.map((a) => a.error))].join('; ')}`,
      started,
      {details},
    )
  }

  if (mx.error && rootTxt.error) {
    // The domain's own MX and TXT lookups failed: an NXDOMAIN or an empty answer for _dmarc, _mta-sts or
    // _smtp._tls from the same resolver proves nothing, so no record is reported missing.
    const reasons = [...new Set([mx.error, rootTxt.error])].join('; ')
    return unknownObservation(
      `DNS lookups of ${domain} itself failed (MX and TXT: ${reasons}); its records cannot be judged`,
      started,
      {details},
    )
  }

  if (mx.nxdomain && rootTxt.nxdomain) {
    found.add('email.domain.nxdomain', `${domain} does not exist in DNS (NXDOMAIN)`)
    return {
      status: 'crit',
      summary: `${domain} does not exist in DNS (NXDOMAIN)`,
      timings: {totalMs: performance.now() - started},
      findings: found.list,
      metrics,
      details,
    }
  }

  return undefined
}

/** Records a failed lookup as a finding; true when it failed. */
function lookupFailed({found}: EmailRun, what: string, a: DnsAnswer<unknown>): boolean {
  if (a.error) found.add('dns.lookup.failed', `${what}: ${a.error}`)
  return Boolean(a.error)
}

/** Judges the MX set and that its first hosts resolve; returns the hosts in priority order. */
async function judgeMx(run: EmailRun, mx: DnsAnswer<MxRecord>): Promise<string[]> {
  const {domain, ctx, dns, found, details, metrics} = run
  const mxHosts = mx.records
    .filter((r) => r.exchange && r.exchange !== '.')
    .sort((a, b) => a.priority - b.priority)
    .map((r) => r.exchange.toLowerCase().replace(/\.$/, ''))
  details.mx = mx.records.map((r) => ({priority: r.priority, exchange: r.exchange}))
  metrics.mxCount = mxHosts.length
  if (!lookupFailed(run, `MX ${domain}`, mx)) {
    if (mx.records.length > 0 && mxHosts.length === 0)
      found.add('email.mx.null', `${domain} publishes a null MX: it accepts no mail`)
    else if (mxHosts.length === 0) found.add('email.mx.missing', `${domain} has no MX records`)
    const addrs = await Promise.all(mxHosts.slice(0, 10).map(async (h) => ({h, a: await dns.addresses(h)})))
    for (const {h, a} of addrs) {
      const overridden = ctx.net.resolve.some((r) => r.host === h)
      if (a.error) found.add('dns.lookup.failed', `A/AAAA ${h}: ${a.error}`)
      else if (a.records.length === 0 && !overridden)
        found.add('email.mx.unresolvable', `MX host ${h} has no A or AAAA record`)
    }
  }

  return mxHosts
}

async function judgeDkimSelectors(run: EmailRun, selectors: string[]): Promise<void> {
  const {domain, dns, found, details, metrics} = run
  const answers = await Promise.all(selectors.map(async (s) => ({s, a: await dns.txt(`${s}._domainkey.${domain}`)})))
  const dkim: Record<string, DkimKey> = {}
  for (const {s, a} of answers)
    if (!lookupFailed(run, `TXT ${s}._domainkey.${domain}`, a)) dkim[s] = judgeDkim(s, domain, a.records, found)
  details.dkim = dkim
  const bits = Object.values(dkim)
    .map((d) => d.bits)
    .filter((b): b is number => b !== undefined)
  if (bits.length > 0) metrics.dkimMinBits = Math.min(...bits)
}

/** STARTTLS on the first five MX hosts, each within its share of the time budget. */
async function judgeStarttls({o, ctx, found, details}: EmailRun, mxHosts: string[]): Promise<void> {
  const port = o.smtp_port ?? 25
  const hosts = mxHosts.slice(0, 5)
  const share = Math.max(500, ctx.timeoutMs / 2)
  const outcomes = await Promise.all(
    hosts.map(async (h) => ({h, r: await probeStarttls(h, port, ctx.net, boundedSignal(ctx.signal, share))})),
  )
  details.starttls = Object.fromEntries(outcomes.map(({h, r}) => [h, r]))
  for (const {h, r} of outcomes) {
    switch (r.kind) {
      case 'unreachable': {
        found.add('email.starttls.inconclusive', `${h}:${port}: ${r.reason}`)
        break
      }

      case 'no_starttls': {
        found.add('email.starttls.missing', `${h} does not offer STARTTLS`)
        break
      }

      case 'failed': {
        found.add('email.starttls.failed', `${h}: ${r.reason}`)
        break
      }

      case 'ok': {
        if (r.protocol && ['TLSv1', 'TLSv1.1', 'SSLv3'].includes(r.protocol))
          found.add('email.starttls.legacy', `${h} negotiated ${r.protocol}`)
        if (!r.authorized)
          found.add(
            'email.starttls.cert_invalid',
            `${h}: certificate does not verify (${r.authorizationError ?? 'unknown'})`,
          )
        break
      }
    }
  }
}

function judgeSpf(spf: SpfResult, o: EmailOptions, found: Findings): void {
  for (const p of spf.problems) {
    switch (p.kind) {
      case 'missing': {
        found.add('email.spf.missing', 'no SPF record (TXT v=spf1)')
        break
      }

      case 'multiple': {
        found.add('email.spf.multiple', `${p.count} SPF records (permerror)`)
        break
      }

      case 'syntax': {
        found.add('email.spf.syntax', p.detail)
        break
      }

      case 'all_permissive': {
        found.add('email.spf.all_permissive', p.detail)
        break
      }

      case 'softfail': {
        found.add('email.spf.softfail', 'the record ends ~all; consider -all once DMARC enforces')
        break
      }

      case 'too_many_lookups': {
        found.add('email.spf.too_many_lookups', `more than 10 DNS lookups (stopped counting at ${p.count})`)
        break
      }

      case 'lookups_at_limit': {
        found.add('email.spf.lookups_at_limit', 'exactly 10 DNS lookups: one more include breaks SPF')
        break
      }

      case 'void_lookups': {
        found.add('email.spf.void_lookups', `${p.count} lookups returned nothing (limit 2)`)
        break
      }

      case 'include_error': {
        found.add('email.spf.include_error', p.detail)
        break
      }

      case 'ptr': {
        found.add('email.spf.ptr', `the ptr mechanism is used (in ${p.domain})`)
        break
      }

      case 'too_long': {
        found.add('email.spf.too_long', `the record is ${p.bytes} bytes`)
        break
      }

      case 'lookup_failed': {
        found.add('dns.lookup.failed', p.detail)
        break
      }
    }
  }

  const want = o.expect?.spf_all
  if (want && spf.record && !(spf.all === '-all' || (want === '~all' && spf.all === '~all'))) {
    found.add('email.expectation.unmet', `SPF ends ${spf.all ?? 'without all'}, expected ${want}`)
  }
}

/** Parses "k=v; k=v" tags (DMARC, DKIM, TLS-RPT, MTA-STS TXT), keeping order. */
export function parseTags(record: string): [string, string][] {
  return record
    .split(';')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t): [string, string] => {
      const i = t.indexOf('=')
      return i === -1 ? [t.toLowerCase(), ''] : [t.slice(0, i).trim().toLowerCase(), t.slice(i + 1).trim()]
    })
}

function judgeDmarc(
  txt: readonly string[],
  o: EmailOptions,
  found: Findings,
  details: Record<string, unknown>,
  metrics: Record<string, number>,
): Policy | undefined {
  const candidates = txt.filter((t) => /v\s*=\s*DMARC1/i.test(t))
  if (candidates.length === 0) {
    found.add('email.dmarc.missing', 'no DMARC record at _dmarc')
    if (o.expect?.dmarc_policy)
      found.add('email.expectation.unmet', `no DMARC record, expected p=${o.expect.dmarc_policy}`)
    return undefined
  }

  if (candidates.length > 1) {
    found.add('email.dmarc.multiple', `${candidates.length} DMARC records (receivers ignore them all)`)
    return undefined
  }

  const record = candidates[0]
  if (record.length > 450) found.add('email.dmarc.too_long', `the record is ${record.length} characters (limit 450)`)
  const tags = parseTags(record)
  const map = new Map(tags)
  if (tags[0]?.[0] !== 'v' || tags[0][1] !== 'DMARC1') {
    found.add('email.dmarc.invalid', 'v=DMARC1 must be the first tag')
    return undefined
  }

  const p = map.get('p')?.toLowerCase()
  if (!p || !isPolicy(p)) {
    found.add('email.dmarc.invalid', p ? `unknown policy p=${p}` : 'no p= tag')
    return undefined
  }

  const sp = map.get('sp')?.toLowerCase()
  if (sp !== undefined && !isPolicy(sp)) found.add('email.dmarc.invalid', `unknown subdomain policy sp=${sp}`)
  const pct = map.has('pct') ? Number(map.get('pct')) : 100
  details.dmarc = {record, p, ...(sp ? {sp} : {}), pct, rua: map.get('rua') ?? null}
  metrics.dmarcPolicyRank = POLICY_RANK[p]
  if (p === 'none')
    found.add('email.dmarc.p_none', 'p=none: failing mail is delivered; progress to quarantine or reject')
  if (sp === 'none') found.add('email.dmarc.sp_none', 'sp=none: subdomains are not protected')
  if (!Number.isInteger(pct) || pct < 0 || pct > 100)
    found.add('email.dmarc.invalid', `pct=${map.get('pct')} is not 0-100`)
  else if (pct < 100) found.add('email.dmarc.pct', `pct=${pct}: the policy applies to ${pct}% of failing mail`)
  const rua = map.get('rua')
  if (!rua) found.add('email.dmarc.no_rua', 'no rua: no aggregate reports are requested')
  for (const tag of ['rua', 'ruf']) {
    const v = map.get(tag)
    if (!v) continue
    const uris = v
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean)
    const bad = uris.filter((u) => !/^mailto:[^@\s]+@[^@\s]+$/i.test(u.replace(/!\d+[kmgt]?$/i, '')))
    if (bad.length > 0) found.add('email.dmarc.rua_invalid', `${tag} has URIs that are not mailto: ${bad.join(', ')}`)
    if (uris.length > 2) found.add('email.dmarc.rua_invalid', `${tag} lists ${uris.length} URIs (more than 2)`)
  }

  const want = o.expect?.dmarc_policy
  if (want && POLICY_RANK[p] < POLICY_RANK[want])
    found.add('email.expectation.unmet', `DMARC p=${p}, expected p=${want}`)
  const wantSp = o.expect?.dmarc_subdomain_policy
  const effectiveSp = sp && isPolicy(sp) ? sp : p
  if (wantSp && POLICY_RANK[effectiveSp] < POLICY_RANK[wantSp])
    found.add('email.expectation.unmet', `DMARC subdomain policy ${effectiveSp}, expected ${wantSp}`)
  return p
}

interface StsPolicy {
  version?: string
  mode?: string
  maxAge?: number
  mx: string[]
  errors: string[]
}

/** Parses an MTA-STS policy file (RFC 8461 section 3.2). */
export function parseStsPolicy(text: string): StsPolicy {
  const out: StsPolicy = {mx: [], errors: []}
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue
    const m = /^([A-Za-z0-9_]+)\s*:\s*(.*?)\s*$/.exec(line)
    if (!m) {
      out.errors.push(`bad line "${line.slice(0, 60)}"`)
      continue
    }

    const key = m[1].toLowerCase()
    switch (key) {
      case 'version': {
        out.version = m[2]
        break
      }

      case 'mode': {
        out.mode = m[2]
        break
      }

      case 'max_age': {
        out.maxAge = /^\d{1,10}$/.test(m[2]) ? Number(m[2]) : Number.NaN
        break
      }

      case 'mx': {
        {
          out.mx.push(m[2].toLowerCase().replace(/\.$/, ''))
          // No default
        }

        break
      }
    }
  }

  return out
}

/** Whether an MX host matches a policy pattern: exact, or "*.suffix" covering exactly one more label. */
export function mxMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '')
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1)
    return h.endsWith(suffix) && !h.slice(0, -suffix.length).includes('.') && h.length > suffix.length
  }

  return h === pattern
}

/** Judges the MTA-STS record and its policy file; returns the policy's mode once the file is read. */
async function judgeMtaSts(
  run: EmailRun,
  txt: readonly string[],
  mxHosts: readonly string[],
): Promise<string | undefined> {
  const {domain, o, found, details} = run
  const recs = txt.filter((t) => /^v=STSv1(;|\s|$)/i.test(t.trim()))
  const wantMode = o.expect?.mta_sts_mode
  if (recs.length === 0) {
    found.add('email.mtasts.missing', 'no MTA-STS record (_mta-sts TXT v=STSv1); first step: publish a testing policy')
    if (wantMode) found.add('email.expectation.unmet', `no MTA-STS, expected mode ${wantMode}`)
    return undefined
  }

  if (recs.length > 1) found.add('email.mtasts.invalid_record', `${recs.length} MTA-STS records`)
  const tags = new Map(parseTags(recs[0]))
  const id = tags.get('id')
  if (!id || !/^[A-Za-z0-9]{1,32}$/.test(id))
    found.add(
      'email.mtasts.invalid_record',
      id ? `id "${id.slice(0, 40)}" is not 1-32 letters and digits` : 'no id= tag',
    )
  const port = o.mta_sts_port ?? 443
  const url = new URL(`https://mta-sts.${domain}${port === 443 ? '' : `:${port}`}/.well-known/mta-sts.txt`)
  const info: Record<string, unknown> = {record: recs[0], policyUrl: url.href}
  details.mtaSts = info
  const text = await fetchStsPolicy(run, url)
  if (text === undefined) return undefined
  const policy = parseStsPolicy(text)
  Object.assign(info, {mode: policy.mode ?? null, maxAge: policy.maxAge ?? null, mx: policy.mx})
  judgeStsPolicy(run, policy, mxHosts)
  return policy.mode
}

/** The policy file's text, or undefined after a finding on why it cannot be used (RFC 8461 section 3.3). */
async function fetchStsPolicy({ctx, found}: EmailRun, url: URL): Promise<string | undefined> {
  let res
  try {
    res = await fetchOnce(url, {
      maxBody: 64 * 1024,
      net: ctx.net,
      signal: boundedSignal(ctx.signal, Math.max(500, ctx.timeoutMs / 2)),
      headers: {accept: 'text/plain'},
    })
  } catch (error) {
    found.add('email.mtasts.policy_unavailable', `${url.href}: ${errorMessage(error)}`)
    return undefined
  }

  if (res.tls && !res.tls.authorized) {
    found.add(
      'email.mtasts.policy_unavailable',
      `${url.href}: certificate does not verify (${res.tls.authorizationError})`,
    )
    return undefined
  }

  if (res.status !== 200) {
    found.add(
      'email.mtasts.policy_unavailable',
      `${url.href} answered ${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects must not be followed)' : ''}`,
    )
    return undefined
  }

  const ct = header(res, 'content-type') ?? ''
  const {body} = res
  const text = new TextDecoder('utf-8').decode(body)
  if (body.includes(0) || text.includes('\uFFFD')) {
    found.add('email.mtasts.policy_invalid', `the policy is not text (Content-Type ${ct || 'none'})`)
    return undefined
  }

  if (ct.split(';')[0].trim().toLowerCase() !== 'text/plain')
    found.add('email.mtasts.policy_invalid', `Content-Type is "${ct || 'none'}", not text/plain`, 'warn')
  return text
}

/** Judges a parsed policy: its fields, its mode and max_age, and whether its mx patterns cover the MX hosts. */
function judgeStsPolicy({o, found, metrics}: EmailRun, policy: StsPolicy, mxHosts: readonly string[]): void {
  const wantMode = o.expect?.mta_sts_mode
  const problems = [...policy.errors]
  if (policy.version !== 'STSv1') problems.push(`version is ${policy.version ?? 'missing'}, not STSv1`)
  if (!policy.mode || !['enforce', 'testing', 'none'].includes(policy.mode))
    problems.push(`mode is ${policy.mode ?? 'missing'}`)
  if (policy.maxAge === undefined || Number.isNaN(policy.maxAge) || policy.maxAge > 31_557_600)
    problems.push(`max_age is ${policy.maxAge === undefined ? 'missing' : 'not an integer of at most 31557600'}`)
  if (policy.mode !== 'none' && policy.mx.length === 0) problems.push('no mx patterns')
  if (problems.length > 0) {
    found.add('email.mtasts.policy_invalid', problems.slice(0, 4).join('; '))
    if (!policy.mode || !['enforce', 'testing', 'none'].includes(policy.mode)) return
  }

  if (policy.maxAge !== undefined && !Number.isNaN(policy.maxAge)) metrics.mtaStsMaxAge = policy.maxAge
  if (policy.mode === 'testing')
    found.add('email.mtasts.testing', 'MTA-STS mode is testing: failures are reported, not enforced')
  if (policy.mode === 'none') found.add('email.mtasts.mode_none', 'MTA-STS mode is none')
  if (policy.mode === 'enforce' && policy.maxAge !== undefined && policy.maxAge < 1_209_600) {
    found.add(
      'email.mtasts.max_age_short',
      `max_age ${policy.maxAge} is under 1209600 (two weeks)${policy.maxAge < 86_400 ? '; some providers ignore policies under a day' : ''}`,
    )
  }

  if (policy.mode !== 'none' && policy.mx.length > 0) {
    const uncovered = mxHosts.filter((h) => !policy.mx.some((p) => mxMatches(h, p)))
    if (uncovered.length > 0)
      found.add(
        'email.mtasts.mx_mismatch',
        `MX ${uncovered.join(', ')} not covered by the policy's mx (${policy.mx.join(', ')})`,
        policy.mode === 'enforce' ? 'crit' : 'warn',
      )
  }

  if (wantMode && (policy.mode === 'none' || (wantMode === 'enforce' && policy.mode !== 'enforce')))
    found.add('email.expectation.unmet', `MTA-STS mode ${policy.mode}, expected ${wantMode}`)
}

function judgeTlsRpt(txt: readonly string[], found: Findings, details: Record<string, unknown>): void {
  const recs = txt.filter((t) => /^v=TLSRPTv1(;|\s|$)/i.test(t.trim()))
  if (recs.length === 0) {
    found.add(
      'email.tlsrpt.missing',
      'no TLS-RPT record (_smtp._tls TXT v=TLSRPTv1): delivery TLS failures go unreported',
    )
    return
  }

  if (recs.length > 1) found.add('email.tlsrpt.invalid', `${recs.length} TLS-RPT records`)
  const rua = new Map(parseTags(recs[0])).get('rua')
  details.tlsRpt = {record: recs[0]}
  if (!rua) {
    found.add('email.tlsrpt.invalid', 'no rua= tag')
    return
  }

  const bad = rua
    .split(',')
    .map((u) => u.trim())
    .filter((u) => !/^(mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/i.test(u))
  if (bad.length > 0) found.add('email.tlsrpt.invalid', `rua URIs must be mailto: or https: (${bad.join(', ')})`)
}

/** One DKIM selector's key as judged; bits for RSA keys the runtime can read. */
interface DkimKey {
  bits?: number
  keyType?: string
  state: string
}

function judgeDkim(selector: string, domain: string, txt: readonly string[], found: Findings): DkimKey {
  const name = `${selector}._domainkey.${domain}`
  const recs = txt.filter((t) => /(^|;)\s*p\s*=/.test(t) || /^v=DKIM1/i.test(t.trim()))
  if (recs.length === 0) {
    found.add('email.dkim.missing', `no DKIM key at ${name}`)
    return {state: 'missing'}
  }

  const tags = new Map(parseTags(recs[0]))
  if (!tags.has('p')) {
    found.add('email.dkim.invalid', `${name} has no p= tag`)
    return {state: 'invalid'}
  }

  const p = (tags.get('p') ?? '').replaceAll(/\s+/g, '')
  if (p === '') {
    found.add('email.dkim.revoked', `${name} has an empty p= (key revoked)`)
    return {state: 'revoked'}
  }

  const k = (tags.get('k') ?? 'rsa').toLowerCase()
  try {
    const key = crypto.createPublicKey({key: Buffer.from(p, 'base64'), format: 'der', type: 'spki'})
    const bits = key.asymmetricKeyDetails?.modulusLength
    if (k === 'rsa' && bits !== undefined) {
      if (bits < 1024) found.add('email.dkim.weak_key', `${name}: ${bits}-bit RSA key (minimum 1024, 2048 recommended)`)
      else if (bits < 2048) found.add('email.dkim.short_key', `${name}: ${bits}-bit RSA key (2048 recommended)`)
    }

    return {state: 'ok', keyType: key.asymmetricKeyType, ...(bits ? {bits} : {})}
  } catch (error) {
    if (k === 'ed25519' && Buffer.from(p, 'base64').length === 32) return {state: 'ok', keyType: 'ed25519'}
    found.add('email.dkim.invalid', `${name}: the key cannot be read (${errorMessage(error).split('\n')[0]})`)
    return {state: 'invalid'}
  }
}

async function judgeCaa(
  domain: string,
  dns: PostureDns,
  found: Findings,
  details: Record<string, unknown>,
): Promise<void> {
  const labels = domain.split('.')
  for (let i = 0; i < labels.length - 1; i++) {
    const name = labels.slice(i).join('.')
    const a = await dns.caa(name)
    if (a.error) {
      found.add('dns.lookup.failed', `CAA ${name}: ${a.error}`)
      return
    }

    if (a.records.length === 0) continue
    const recs = a.records
    details.caa = {name, records: recs}
    if (!recs.some((r) => typeof r.issue === 'string')) found.add('dns.caa.invalid', `CAA at ${name} has no issue tag`)
    for (const r of recs) {
      if (typeof r.iodef === 'string' && !/^(mailto:|https:)/i.test(r.iodef))
        found.add('dns.caa.invalid', `CAA iodef ${r.iodef} is not mailto: or https:`)
    }

    return
  }

  found.add('dns.caa.missing', `no CAA record on ${domain} or its parents: any CA may issue certificates`)
}
