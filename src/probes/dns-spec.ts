import type {OptionProblem, ProbeSpec} from './types.js'
import {regexProblem} from '../util/safe-regex.js'

export const DNS_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'CAA'] as const
export type DnsType = (typeof DNS_TYPES)[number]

export interface DnsOptions {
  type?: DnsType
  expect?: {
    exact?: string[]
    all_of?: string[]
    any_of?: string[]
    matches?: string | string[]
    min_answers?: number
  }
}

export function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** The dns probe's schema and validation (its run() is in dns.ts). */
export const dnsSpec: ProbeSpec = {
  kind: 'dns',
  description: 'DNS lookup (A, AAAA, CNAME, MX, TXT, NS, CAA) with expected values or patterns',
  targetSchema: {
    type: 'string',
    pattern: String.raw`^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?$`,
    description: 'the name to look up, e.g. nhs.net',
  },
  required: ['type'],
  properties: {
    type: {enum: [...DNS_TYPES], description: 'record type to look up'},
    expect: {
      type: 'object',
      description: 'what the answers must be (MX values may omit the preference: "mx1.example.org")',
      properties: {
        exact: {type: 'array', items: {type: 'string'}, description: 'the answers must be exactly these (any order)'},
        all_of: {
          type: 'array',
          items: {type: 'string'},
          minItems: 1,
          description: 'each of these must be among the answers',
        },
        any_of: {
          type: 'array',
          items: {type: 'string'},
          minItems: 1,
          description: 'at least one of these must be among the answers',
        },
        matches: {
          anyOf: [{type: 'string'}, {type: 'array', items: {type: 'string'}, minItems: 1}],
          description: 'regular expression(s); each must match at least one answer',
        },
        min_answers: {type: 'integer', minimum: 0, description: 'at least this many answers (default 1)'},
      },
      additionalProperties: false,
    },
  },
  validate(options): OptionProblem[] {
    const o = options as DnsOptions
    const problems: OptionProblem[] = []
    for (const [i, re] of list(o.expect?.matches).entries()) {
      const bad = regexProblem(re)
      if (bad)
        problems.push({
          path: Array.isArray(o.expect?.matches) ? ['expect', 'matches', i] : ['expect', 'matches'],
          message: bad,
        })
    }

    return problems
  },
}
