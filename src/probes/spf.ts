import type {PostureDns} from './posture-dns.js'

import {errorMessage} from './errors.js'

/**
 * SPF (RFC 7208) record checks: one record, syntax, the `all` qualifier, and the DNS-lookup budget
 * (at most 10 terms that query DNS, includes and redirects followed; at most 2 void lookups).
 */

export type SpfProblem =
  | {kind: 'missing'}
  | {kind: 'multiple'; count: number}
  | {kind: 'syntax'; detail: string}
  | {kind: 'all_permissive'; detail: string}
  | {kind: 'softfail'}
  | {kind: 'too_many_lookups'; count: number}
  | {kind: 'lookups_at_limit'}
  | {kind: 'void_lookups'; count: number}
  | {kind: 'include_error'; detail: string}
  | {kind: 'ptr'; domain: string}
  | {kind: 'too_long'; bytes: number}
  | {kind: 'lookup_failed'; detail: string}

export interface SpfResult {
  record?: string
  /** The root record's all term (e.g. "-all"), or undefined. */
  all?: string
  lookups: number
  voidLookups: number
  problems: SpfProblem[]
}

const MECHANISMS = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists'])
const LOOKUP_TERMS = new Set(['include', 'a', 'mx', 'ptr', 'exists'])
const MAX_LOOKUPS = 10
const MAX_VOID = 2

/** SPF records among TXT strings: "v=spf1" followed by a space or the end. */
export function spfRecords(txt: readonly string[]): string[] {
  return txt.filter((t) => /^v=spf1(\s|$)/i.test(t.trim()))
}

interface Term {
  qualifier: string
  name: string
  value?: string
  modifier: boolean
  raw: string
}

/** Splits a record into terms; throws with the offending term on a syntax error. */
export function parseSpf(record: string): Term[] {
  const parts = record.trim().split(/\s+/).slice(1)
  const terms: Term[] = []
  for (const raw of parts) {
    const mod = /^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$/.exec(raw)
    if (mod) {
      terms.push({qualifier: '', name: mod[1].toLowerCase(), value: mod[2], modifier: true, raw})
      continue
    }

    const m = /^([+?~-]?)([A-Za-z][A-Za-z0-9_.-]*)(?::(.*?))?(\/\/?\d+)?(\/\d+)?$/.exec(raw)
    if (!m) throw new Error(`"${raw}" is not a mechanism or modifier`)
    const name = m[2].toLowerCase()
    if (!MECHANISMS.has(name)) {
      // A glued "ip4:1.2.3.4~all" parses as an ip4 value with junk; unknown names land here.
      throw new Error(`unknown mechanism "${raw}"`)
    }

    if ((name === 'include' || name === 'exists') && !m[3]) throw new Error(`${name} needs a domain: "${raw}"`)
    if ((name === 'ip4' || name === 'ip6') && !m[3]) throw new Error(`${name} needs an address: "${raw}"`)
    if (name === 'ip4' && !/^\d{1,3}(\.\d{1,3}){3}$/.test(m[3] ?? '')) throw new Error(`bad ip4 address in "${raw}"`)
    if (name === 'all' && m[3]) throw new Error(`all takes no argument: "${raw}"`)
    terms.push({qualifier: m[1] || '+', name, value: m[3], modifier: false, raw})
  }

  return terms
}

/** The state one SPF evaluation shares across the records it follows. */
interface SpfWalk {
  dns: PostureDns
  out: SpfResult
  /** Domains already evaluated, for loop detection. */
  visited: Set<string>
  /** Set once the lookup budget is spent: no further terms are queried. */
  stopped: boolean
}

/** Evaluates the domain's SPF record and everything it includes. */
export async function checkSpf(
  domain: string,
  rootTxt: {records: string[]; error?: string},
  dns: PostureDns,
): Promise<SpfResult> {
  const out: SpfResult = {lookups: 0, voidLookups: 0, problems: []}
  const record = rootRecord(domain, rootTxt, out)
  if (record === undefined) return out

  out.record = record
  const bytes = Buffer.byteLength(record)
  if (bytes > 450) out.problems.push({kind: 'too_long', bytes})
  const walk: SpfWalk = {dns, out, visited: new Set([domain.toLowerCase()]), stopped: false}
  await walkRecord(walk, domain, record, true)
  if (out.lookups > MAX_LOOKUPS) out.problems.push({kind: 'too_many_lookups', count: out.lookups})
  else if (out.lookups === MAX_LOOKUPS) out.problems.push({kind: 'lookups_at_limit'})
  if (out.voidLookups > MAX_VOID) out.problems.push({kind: 'void_lookups', count: out.voidLookups})
  return out
}

/** The domain's single SPF record, or undefined after recording why there is none to evaluate. */
function rootRecord(domain: string, rootTxt: {records: string[]; error?: string}, out: SpfResult): string | undefined {
  if (rootTxt.error) {
    out.problems.push({kind: 'lookup_failed', detail: `TXT ${domain}: ${rootTxt.error}`})
    return undefined
  }

  const records = spfRecords(rootTxt.records)
  if (records.length === 0) {
    out.problems.push({kind: 'missing'})
    return undefined
  }

  if (records.length > 1) {
    out.problems.push({kind: 'multiple', count: records.length})
    return undefined
  }

  return records[0]
}

/** Checks one record (the root or one followed by include/redirect) and queries its DNS terms. */
async function walkRecord(walk: SpfWalk, name: string, record: string, root: boolean): Promise<void> {
  let terms: Term[]
  try {
    terms = parseSpf(record)
  } catch (error) {
    walk.out.problems.push({
      kind: 'syntax',
      detail: root ? errorMessage(error) : `in ${name}: ${errorMessage(error)}`,
    })
    return
  }

  const {allIndex, redirects} = checkTermOrder(terms, name, root, walk.out)
  if (root) judgeAll(allIndex >= 0 ? terms[allIndex] : undefined, redirects, walk.out)
  for (const term of terms) {
    if (walk.stopped) return
    const counts = (!term.modifier && LOOKUP_TERMS.has(term.name)) || (term.modifier && term.name === 'redirect')
    if (!counts) continue
    // RFC 7208 4.6.4: evaluation stops with permerror past 10; stop querying there too.
    walk.out.lookups++
    if (walk.out.lookups > MAX_LOOKUPS) {
      walk.stopped = true
      return
    }

    await queryTerm(walk, term, name, allIndex >= 0)
  }
}

/** Syntax problems of term order and repetition: repeated redirect/exp, mechanisms after "all". */
function checkTermOrder(
  terms: Term[],
  name: string,
  root: boolean,
  out: SpfResult,
): {allIndex: number; redirects: Term[]} {
  const where = root ? '' : `in ${name}: `
  const redirects = terms.filter((t) => t.modifier && t.name === 'redirect')
  if (redirects.length > 1)
    out.problems.push({kind: 'syntax', detail: `${where}redirect appears ${redirects.length} times`})
  if (terms.filter((t) => t.modifier && t.name === 'exp').length > 1)
    out.problems.push({kind: 'syntax', detail: `${where}exp appears more than once`})
  const allIndex = terms.findIndex((t) => !t.modifier && t.name === 'all')
  if (allIndex !== -1 && terms.slice(allIndex + 1).some((t) => !t.modifier))
    out.problems.push({kind: 'syntax', detail: `${where}mechanisms after "all" are never evaluated`})
  return {allIndex, redirects}
}

/** The root record's default result: its "all" term, or a redirect standing in for one. */
function judgeAll(all: Term | undefined, redirects: Term[], out: SpfResult): void {
  out.all = all ? `${all.qualifier}all` : undefined
  if (!all && redirects.length === 0)
    out.problems.push({
      kind: 'all_permissive',
      detail: 'no "all" term and no redirect (the default result is neutral, ?all)',
    })
  else if (all?.qualifier === '+' || all?.qualifier === '?')
    out.problems.push({kind: 'all_permissive', detail: `the record ends "${all.raw}"`})
  else if (all?.qualifier === '~') out.problems.push({kind: 'softfail'})
}

/** Performs the DNS work of one term that counts against the lookup budget. */
async function queryTerm(walk: SpfWalk, term: Term, name: string, hasAll: boolean): Promise<void> {
  const target = (term.value ?? name).replace(/\.$/, '')
  switch (term.name) {
    case 'ptr': {
      walk.out.problems.push({kind: 'ptr', domain: name})
      break
    }

    case 'include': {
      await follow(walk, 'include', target)
      break
    }

    case 'redirect': {
      if (!hasAll) await follow(walk, 'redirect', target)

      break
    }

    default: {
      if (!target.includes('%')) {
        const ans = term.name === 'mx' ? await walk.dns.mx(target) : await walk.dns.addresses(target)
        if (ans.void) walk.out.voidLookups++
      }
    }
  }
}

/** Fetches an included or redirected domain's SPF record and walks it. Macro targets are not expanded. */
async function follow(walk: SpfWalk, kind: 'include' | 'redirect', target: string): Promise<void> {
  if (target.includes('%')) return
  const t = target.toLowerCase().replace(/\.$/, '')
  const {out} = walk
  if (walk.visited.has(t)) {
    out.problems.push({kind: 'include_error', detail: `${kind} loop at ${t}`})
    return
  }

  walk.visited.add(t)
  const ans = await walk.dns.txt(t)
  if (ans.error) {
    out.problems.push({kind: 'include_error', detail: `${kind}:${t}: lookup failed (${ans.error})`})
    return
  }

  const recs = spfRecords(ans.records)
  if (recs.length === 0) {
    out.voidLookups += ans.void ? 1 : 0
    out.problems.push({kind: 'include_error', detail: `${kind}:${t} has no SPF record`})
    return
  }

  if (recs.length > 1) {
    out.problems.push({kind: 'include_error', detail: `${kind}:${t} has ${recs.length} SPF records`})
    return
  }

  await walkRecord(walk, t, recs[0], false)
}
