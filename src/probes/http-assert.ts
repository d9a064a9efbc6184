/**
 * Assertions of the http probe: a small JSONPath subset and the comparison operators shared by JSON and
 * header assertions. No eval: paths are parsed into steps.
 *
 * Paths: `$`, `$.a.b`, `$.a[0]`, `$.a[-1]` (from the end), `$['x-y']`, `$["x"]`, and mixes of them.
 */

import {userRegex} from '../util/safe-regex.js'

export type PathStep = string | number

export const OPERATORS = ['==', '!=', '<', '<=', '>', '>=', 'exists', 'absent', 'contains', 'matches'] as const
export type Operator = (typeof OPERATORS)[number]

/** Operators that take no `value`. */
export const UNARY_OPERATORS: readonly Operator[] = ['exists', 'absent']

/** Parses a path into steps; throws with a short reason when it is not in the subset. */
export function parseJsonPath(path: string): PathStep[] {
  if (!path.startsWith('$')) throw new Error('must start with $')
  const steps: PathStep[] = []
  let i = 1
  while (i < path.length) {
    const c = path[i]
    if (c === '.') {
      const m = /^[A-Za-z_$][\w$-]*/.exec(path.slice(i + 1))
      if (!m) throw new Error(`expected a name after "." at position ${i + 1}`)
      steps.push(m[0])
      i += 1 + m[0].length
    } else if (c === '[') {
      const rest = path.slice(i)
      const idx = /^\[(-?\d+)\]/.exec(rest)
      const quoted = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(rest)
      if (idx) {
        steps.push(Number(idx[1]))
        i += idx[0].length
      } else if (quoted) {
        steps.push((quoted[1] ?? quoted[2]).replaceAll(/\\(.)/g, '$1'))
        i += quoted[0].length
      } else throw new Error(`expected [index] or ['name'] at position ${i + 1}`)
    } else throw new Error(`unexpected "${c}" at position ${i + 1}`)
  }

  return steps
}

/** The value at the path, or `found: false` when some step does not exist. */
export function evalJsonPath(doc: unknown, steps: readonly PathStep[]): {found: boolean; value?: unknown} {
  let cur: unknown = doc
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur)) return {found: false}
      const i = step < 0 ? cur.length + step : step
      if (i < 0 || i >= cur.length) return {found: false}
      cur = cur[i]
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, step))
        return {found: false}
      cur = (cur as Record<string, unknown>)[step]
    }
  }

  return {found: true, value: cur}
}

/** Short text of a value for messages. */
export function show(value: unknown, max = 60): string {
  const s = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value))
  return s.length > max ? s.slice(0, max - 1) + '…' : s
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

/**
 * Equality of an actual and an expected value. Scalars compare by their text, so `"12" == 12` and
 * `"true" == true` hold (APIs often send numbers and booleans as strings); objects and arrays compare
 * structurally.
 */
export function looselyEqual(actual: unknown, expected: unknown): boolean {
  const scalar = (v: unknown) => v === null || typeof v !== 'object'
  if (scalar(actual) && scalar(expected)) return String(actual) === String(expected)
  return JSON.stringify(actual) === JSON.stringify(expected)
}

/**
 * Applies an operator. `found` says whether the value exists at all. Returns undefined when the
 * assertion holds, else the reason it does not.
 */
export function applyOperator(op: Operator, found: boolean, actual: unknown, expected: unknown): string | undefined {
  if (op === 'exists') return found ? undefined : 'is missing'
  if (op === 'absent') return found ? `is present (${show(actual)})` : undefined
  if (!found) return 'is missing'
  switch (op) {
    case '==': {
      return looselyEqual(actual, expected) ? undefined : `is ${show(actual)}, expected ${show(expected)}`
    }

    case '!=': {
      return looselyEqual(actual, expected) ? `is ${show(actual)}, expected anything else` : undefined
    }

    case '<':
    case '<=':
    case '>':
    case '>=': {
      const a = asNumber(actual)
      const b = asNumber(expected)
      if (a === undefined) return `is ${show(actual)}, not a number`
      if (b === undefined) return `cannot compare with ${show(expected)}, not a number`
      const ok = op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b
      return ok ? undefined : `is ${a}, expected ${op} ${b}`
    }

    case 'contains': {
      if (typeof actual === 'string')
        return actual.includes(String(expected)) ? undefined : `${show(actual)} does not contain ${show(expected)}`
      if (Array.isArray(actual))
        return actual.some((x) => looselyEqual(x, expected)) ? undefined : `array does not contain ${show(expected)}`
      if (actual && typeof actual === 'object')
        return Object.hasOwn(actual, String(expected)) ? undefined : `object has no key ${show(expected)}`
      return `is ${show(actual)}, which cannot contain anything`
    }

    case 'matches': {
      if (actual !== null && typeof actual === 'object') return `is ${show(actual)}, not text`
      return userRegex(String(expected)).test(String(actual))
        ? undefined
        : `${show(actual)} does not match /${String(expected)}/`
    }
  }
}

/**
 * Expected statuses: numbers, "200-299" ranges or "2xx" classes. Returns undefined when the spec is not
 * in that form.
 */
export function parseStatusSpec(spec: unknown): Array<[number, number]> | undefined {
  const items = Array.isArray(spec) ? spec : [spec]
  const out: Array<[number, number]> = []
  for (const item of items) {
    if (typeof item === 'number' && Number.isInteger(item)) {
      out.push([item, item])
      continue
    }

    if (typeof item !== 'string') return undefined
    const s = item.trim()
    let m: RegExpExecArray | null
    if ((m = /^(\d{3})$/.exec(s))) out.push([Number(m[1]), Number(m[1])])
    else if ((m = /^(\d{3})\s*-\s*(\d{3})$/.exec(s))) {
      const lo = Number(m[1])
      const hi = Number(m[2])
      if (lo > hi) return undefined
      out.push([lo, hi])
    } else if ((m = /^([1-5])xx$/i.exec(s))) out.push([Number(m[1]) * 100, Number(m[1]) * 100 + 99])
    else return undefined
  }

  return out.length > 0 ? out : undefined
}

export function statusMatches(ranges: ReadonlyArray<[number, number]>, status: number): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi)
}

export function describeStatusSpec(ranges: ReadonlyArray<[number, number]>): string {
  return ranges.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(', ')
}
