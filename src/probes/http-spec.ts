import type {JsonSchema, OptionProblem, ProbeSpec} from './types.js'
import {errorMessage} from '../errors.js'
import {DURATION_PATTERN, durationMs} from '../util/duration.js'
import {regexProblem} from '../util/safe-regex.js'
import {type Operator, OPERATORS, parseJsonPath, parseStatusSpec, UNARY_OPERATORS} from './http-assert.js'

export const DEFAULT_MAX_REDIRECTS = 5
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

export interface Assertion {
  path?: string
  name?: string
  op?: Operator
  value?: unknown
}

export interface HttpOptions {
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

const duration = (description: string): JsonSchema => ({
  type: 'string',
  pattern: DURATION_PATTERN,
  description: `${description} (a duration such as 500ms, 2s)`,
})
const statusItem: JsonSchema = {
  anyOf: [
    {type: 'integer', minimum: 100, maximum: 599},
    {type: 'string', pattern: String.raw`^(\d{3}|\d{3}\s*-\s*\d{3}|[1-5]xx)$`},
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

export function opOf(a: Assertion): Operator {
  return a.op ?? (a.value === undefined ? 'exists' : '==')
}

function validateHttp(options: Record<string, unknown>): OptionProblem[] {
  const o = options as HttpOptions
  const problems: OptionProblem[] = []
  try {
    const url = new URL(String(options.target))
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      problems.push({path: ['target'], message: `expected an http:// or https:// URL, got ${url.protocol}`})
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
          problems.push({
            path: ['expect', key, i, 'path'],
            message: `not a supported JSON path (${errorMessage(error)}); use $.a.b, $.a[0] or $['a-b']`,
          })
        }
      }

      const op = opOf(a)
      if (!UNARY_OPERATORS.includes(op) && a.value === undefined)
        problems.push({path: ['expect', key, i], message: `operator "${op}" needs a value`})
      if (UNARY_OPERATORS.includes(op) && a.value !== undefined)
        problems.push({path: ['expect', key, i, 'value'], message: `operator "${op}" takes no value`})
      const bad = op === 'matches' && a.value !== undefined ? regexProblem(String(a.value)) : undefined
      if (bad) problems.push({path: ['expect', key, i, 'value'], message: bad})
    }
  }

  checkAssertions(o.expect?.json, 'json')
  checkAssertions(o.expect?.headers, 'headers')
  if (o.latency?.warn && o.latency?.crit && durationMs(o.latency.warn) > durationMs(o.latency.crit)) {
    problems.push({path: ['latency', 'warn'], message: `warn (${o.latency.warn}) is above crit (${o.latency.crit})`})
  }

  if ((o.method === 'GET' || o.method === 'HEAD') && o.body !== undefined)
    problems.push({path: ['body'], message: `a ${o.method} request has no body`})
  return problems
}

/** The http probe's schema and validation (its run() is in http.ts). */
export const httpSpec: ProbeSpec = {
  kind: 'http',
  description: 'HTTP(S) request: status, latency, body/JSON/header assertions, redirects, phase timings',
  targetSchema: {type: 'string', pattern: '^https?://', description: 'the URL to request, e.g. https://www.nhs.uk/'},
  properties: {
    method: {
      enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      description: 'request method (default GET)',
    },
    headers: {
      type: 'object',
      additionalProperties: {type: 'string'},
      description: 'request headers; values may use ${env:NAME}',
    },
    body: {type: 'string', description: 'request body'},
    follow_redirects: {type: 'boolean', description: 'follow 3xx redirects (default true)'},
    max_redirects: {
      type: 'integer',
      minimum: 0,
      maximum: 20,
      description: `redirects followed at most (default ${DEFAULT_MAX_REDIRECTS}); more is crit`,
    },
    max_body_bytes: {
      type: 'integer',
      minimum: 1,
      maximum: 256 * 1024 * 1024,
      description: `bytes of body read at most (default ${DEFAULT_MAX_BODY_BYTES}); a longer body is crit`,
    },
    latency: {
      type: 'object',
      properties: {
        warn: duration('total time above which the check warns'),
        crit: duration('total time above which the check is crit'),
      },
      additionalProperties: false,
      description: 'thresholds on the total request time',
    },
    expect: {
      type: 'object',
      description: 'what the response must look like',
      properties: {
        status: {
          anyOf: [statusItem, {type: 'array', items: statusItem, minItems: 1}],
          description: 'accepted statuses (default 200-299 when redirects are followed, 200-399 when not)',
        },
        contains: {
          anyOf: [{type: 'string'}, {type: 'array', items: {type: 'string'}}],
          description: 'text the body must contain (each of a list)',
        },
        not_contains: {
          anyOf: [{type: 'string'}, {type: 'array', items: {type: 'string'}}],
          description: 'text the body must not contain',
        },
        matches: {type: 'string', description: 'regular expression the body must match'},
        json: {
          type: 'array',
          items: assertionProps('path', "JSON path: $.a.b, $.a[0], $['a-b']"),
          description: 'assertions on the JSON body',
        },
        headers: {
          type: 'array',
          items: assertionProps('name', 'response header name (any case)'),
          description: 'assertions on response headers',
        },
      },
      additionalProperties: false,
    },
  },
  validate: validateHttp,
}
