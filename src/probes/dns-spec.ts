import type {FromSchema} from '../util/schema-type.js'
import type {OptionProblem, ProbeSpec} from './types.js'
import {regexProblem} from '../util/safe-regex.js'

export const DNS_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'CAA'] as const
export type DnsType = (typeof DNS_TYPES)[number]

const properties = {
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
} as const

const required = ['type'] as const

/** The dns probe's own keys, as its schema describes them. */
export type DnsOptions = FromSchema<{
  readonly type: 'object'
  readonly properties: typeof properties
  readonly required: typeof required
}>

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
  required: [...required],
  properties,
  validate(options): OptionProblem[] {
    const {expect} = options
    const matches: unknown = typeof expect === 'object' && expect !== null ? Reflect.get(expect, 'matches') : undefined
    const problems: OptionProblem[] = []
    for (const [i, re] of (Array.isArray(matches) ? matches : [matches]).entries()) {
      const bad = typeof re === 'string' ? regexProblem(re) : undefined
      if (bad)
        problems.push({
          path: Array.isArray(matches) ? ['expect', 'matches', i] : ['expect', 'matches'],
          message: bad,
        })
    }

    return problems
  },
}
