import dns from 'node:dns'

import type {Observation, Status} from '../types.js'
import type {Probe, ProbeContext} from './types.js'
import {userRegex} from '../util/safe-regex.js'
import {type DnsOptions, dnsSpec, type DnsType, list} from './dns-spec.js'
import {errorField, errorMessage} from './errors.js'
import {makeResolver} from './net.js'

export {DNS_TYPES, type DnsType} from './dns-spec.js'

const NAME_TYPES = new Set<DnsType>(['CNAME', 'NS', 'MX'])
const CAA_TAGS = ['issue', 'issuewild', 'iodef', 'contactemail', 'contactphone'] as const
const norm = (s: string) => s.toLowerCase().replace(/\.$/, '')

/** Answers in presentation form: addresses, names, "10 mx.example.org", joined TXT strings, `0 issue "ca.example"`. */
export async function lookup(resolver: dns.promises.Resolver, name: string, type: DnsType): Promise<string[]> {
  switch (type) {
    case 'A': {
      return resolver.resolve4(name)
    }

    case 'AAAA': {
      return resolver.resolve6(name)
    }

    case 'CNAME': {
      return (await resolver.resolveCname(name)).map(norm)
    }

    case 'NS': {
      return (await resolver.resolveNs(name)).map(norm)
    }

    case 'MX': {
      return (await resolver.resolveMx(name))
        .sort((a, b) => a.priority - b.priority)
        .map((m) => `${m.priority} ${norm(m.exchange)}`)
    }

    // A record split into several strings is one value (RFC 7208 section 3.3).
    case 'TXT': {
      return (await resolver.resolveTxt(name)).map((parts) => parts.join(''))
    }

    case 'CAA': {
      return (await resolver.resolveCaa(name)).map((c) => {
        const tag = CAA_TAGS.find((t) => c[t] !== undefined)
        return `${c.critical ?? 0} ${tag ?? 'unknown'} "${tag ? (c[tag] ?? '') : ''}"`
      })
    }
  }
}

/** Whether an expected value names an answer: exact text, names in any case, an MX host without its preference. */
function same(type: DnsType, answer: string, expected: string): boolean {
  if (type === 'TXT') return answer === expected
  if (type === 'CAA')
    return (
      answer.toLowerCase() === expected.toLowerCase() ||
      answer.toLowerCase().replace(/^\d+ /, '') === expected.toLowerCase()
    )
  const a = NAME_TYPES.has(type) ? norm(answer) : answer.toLowerCase()
  const e = NAME_TYPES.has(type) ? norm(expected) : expected.toLowerCase()
  if (a === e) return true
  return type === 'MX' && a.replace(/^\d+ /, '') === e
}

const DNS_ERRORS: Record<string, string> = {
  ENOTFOUND: 'NXDOMAIN: the name does not exist',
  ENODATA: 'no records of this type',
  ESERVFAIL: 'SERVFAIL from the resolver',
  EREFUSED: 'the resolver refused the query',
  EBADRESP: 'malformed DNS response',
  EFORMERR: 'the resolver reported a format error',
  ETIMEOUT: 'no answer from the resolver (timed out)',
  ECONNREFUSED: 'could not reach the resolver (connection refused)',
  ENOTIMP: 'the resolver does not implement this query',
}

type Expect = NonNullable<DnsOptions['expect']>

/** The observation of a failed lookup: a time-out, "no records" when none were expected, or the resolver's error. */
function failedLookup(error: unknown, q: Query, ms: number): Observation {
  const {type, name, via, ctx} = q
  const timings = {dnsMs: ms, totalMs: ms}
  const code = errorField(error, 'code') ?? ''
  if (ctx.signal.aborted)
    return {
      status: 'crit',
      summary: `${type} ${name}: timed out after ${ctx.timeoutMs} ms${via}`,
      timings,
      findings: [],
      metrics: {lookupMs: ms},
    }
  const e = q.expect
  const expectsNothing = e?.min_answers === 0 && (e.exact?.length ?? 0) === 0 && !e.all_of && !e.any_of && !e.matches
  if ((code === 'ENODATA' || code === 'ENOTFOUND') && expectsNothing) {
    return {
      status: 'ok',
      summary: `${type} ${name}: no records, as expected`,
      timings,
      findings: [],
      metrics: {answers: 0, lookupMs: ms},
    }
  }

  const why = DNS_ERRORS[code] ?? errorMessage(error).split('\n')[0]
  return {
    status: 'crit',
    summary: `${type} ${name}: ${why}${via}`,
    timings,
    findings: [],
    metrics: {answers: 0, lookupMs: ms},
  }
}

const quoted = (values: string[]) => values.map((m) => JSON.stringify(m)).join(', ')

/** How the answers fall short of `expect`, one phrase each; empty when they meet it. */
function unmet(type: DnsType, answers: string[], expect: Expect | undefined): string[] {
  const problems: string[] = []
  const min = expect?.min_answers ?? 1
  if (answers.length < min)
    problems.push(`${answers.length} answer${answers.length === 1 ? '' : 's'}, expected at least ${min}`)
  const has = (e: string) => answers.some((a) => same(type, a, e))
  if (expect?.exact) {
    const {exact} = expect
    const missing = exact.filter((e) => !has(e))
    const extra = answers.filter((a) => !exact.some((e) => same(type, a, e)))
    if (missing.length > 0 || extra.length > 0) {
      problems.push(
        `answers differ from expected${missing.length > 0 ? `; missing ${quoted(missing)}` : ''}${
          extra.length > 0 ? `; unexpected ${quoted(extra.slice(0, 3))}` : ''
        }`,
      )
    }
  }

  const missingAll = (expect?.all_of ?? []).filter((e) => !has(e))
  if (missingAll.length > 0) problems.push(`missing ${quoted(missingAll)}`)
  if (expect?.any_of && !expect.any_of.some(has)) problems.push(`none of ${quoted(expect.any_of)}`)
  for (const re of list(expect?.matches)) {
    if (!answers.some((a) => userRegex(re).test(a))) problems.push(`no answer matches /${re}/`)
  }

  return problems
}

/** The observation of a lookup that answered, judged against `expect`. */
function answered(answers: string[], q: Query, ms: number): Observation {
  const {type, name} = q
  const problems = unmet(type, answers, q.expect)
  const shown =
    answers
      .slice(0, 3)
      .map((a) => (a.length > 60 ? a.slice(0, 59) + '…' : a))
      .join(', ') + (answers.length > 3 ? `, +${answers.length - 3} more` : '')
  const status: Status = problems.length > 0 ? 'crit' : 'ok'
  const summary =
    problems.length > 0
      ? `${type} ${name}: ${problems.join('; ')} (got ${answers.length > 0 ? shown : 'none'})`
      : `${type} ${name}: ${answers.length} answer${answers.length === 1 ? '' : 's'} in ${Math.round(ms)} ms${answers.length > 0 ? ` (${shown})` : ''}`
  return {
    status,
    summary,
    timings: {dnsMs: ms, totalMs: ms},
    findings: [],
    metrics: {answers: answers.length, lookupMs: ms},
    details: {answers: answers.slice(0, 50)},
  }
}

interface Query {
  type: DnsType
  name: string
  expect: Expect | undefined
  /** " via <resolver>" when the check names one, for the summaries. */
  via: string
  ctx: ProbeContext
}

/** DNS lookup of one record type, with expected values or patterns. */
export const dnsProbe: Probe = {
  ...dnsSpec,
  async run(target: string, options: DnsOptions, ctx): Promise<Observation> {
    const q: Query = {
      type: options.type ?? 'A',
      name: target.replace(/\.$/, ''),
      expect: options.expect,
      via: ctx.net.resolver ? ` via ${ctx.net.resolver}` : '',
      ctx,
    }
    const resolver =
      makeResolver(ctx.net.resolver, ctx.timeoutMs) ??
      new dns.promises.Resolver({timeout: Math.max(100, Math.min(ctx.timeoutMs, 5000)), tries: 2})
    const started = performance.now()
    const onAbort = () => resolver.cancel()
    ctx.signal.addEventListener('abort', onAbort, {once: true})
    let answers: string[]
    let answeredAt = 0
    try {
      // The instant is taken as the lookup settles, before any other await.
      answers = await lookup(resolver, q.name, q.type).then((a) => {
        answeredAt = performance.now()
        return a
      })
    } catch (error) {
      return failedLookup(error, q, performance.now() - started)
    } finally {
      ctx.signal.removeEventListener('abort', onAbort)
    }

    return answered(answers, q, answeredAt - started)
  },
}
