/**
 * Regular expressions written by users (http `expect.matches`, JSON and header `op: matches`, the tcp
 * `banner`, dns `expect.matches`). They run on RE2 (the re2js port), whose matching time is linear in
 * the length of the text, so no pattern can hang a check, `/metrics` or the notifiers the way a
 * backtracking engine does on `^(a+)+$`. JavaScript syntax is accepted and translated (`\uXXXX`,
 * `\cX`, `(?<name>…)`); `(?i)`, `(?m)` and `(?s)` set flags inside the pattern. Backreferences and
 * lookaround have no linear-time form: they are validation errors, with their position in the pattern.
 */
import {createRequire} from 'node:module'

type RE2JSClass = typeof import('re2js').RE2JS
type RE2JS = InstanceType<RE2JSClass>

// Loaded on the first pattern (about 50 ms of start-up that commands without patterns skip).
let engine: RE2JSClass | undefined
function re2(): RE2JSClass {
  engine ??= (createRequire(import.meta.url)('re2js') as {RE2JS: RE2JSClass}).RE2JS
  return engine
}

export interface UserRegex {
  readonly source: string
  test(text: string): boolean
}

export class RegexSyntaxError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message)
  }
}

const UNSUPPORTED = 'is not supported: patterns run on RE2, in linear time, which has no'

/** The first construct RE2 cannot take, with its 1-based position, scanning as JavaScript reads a pattern. */
function unsupported(pattern: string): string | undefined {
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    const at = `at character ${i + 1}`
    if (c === '\\') {
      const n = pattern[i + 1] ?? ''
      if (!inClass && /[1-9]/.test(n)) return `backreference \\${n} ${at} ${UNSUPPORTED} backreferences`
      if (!inClass && n === 'k' && pattern[i + 2] === '<')
        return `named backreference ${at} ${UNSUPPORTED} backreferences`
      if (inClass && n === 'b') return `[\\b] ${at} is not supported: write \\x08 for a backspace`
      i++
      continue
    }

    if (inClass) {
      if (c === ']') inClass = false
      continue
    }

    if (c === '[') {
      inClass = true
      // A leading "]" or "^]" is a literal member, as in JavaScript.
      if (pattern[i + 1] === '^') i++
      if (pattern[i + 1] === ']') i++
      continue
    }

    if (c === '(' && pattern[i + 1] === '?') {
      const ahead = pattern.slice(i + 2, i + 4)
      if (ahead.startsWith('=') || ahead.startsWith('!'))
        return `lookahead (?${ahead[0]} ${at} ${UNSUPPORTED} lookaround`
      if (ahead === '<=' || ahead === '<!') return `lookbehind (?${ahead} ${at} ${UNSUPPORTED} lookaround`
    }
  }

  return undefined
}

function compile(pattern: string): RE2JS {
  const why = unsupported(pattern)
  if (why) throw new RegexSyntaxError(why, true)
  try {
    return re2().compile(re2().translateRegExp(pattern))
  } catch (error) {
    throw new RegexSyntaxError(String((error as Error).message).replace(/^error parsing regexp: /, ''))
  }
}

const cache = new Map<string, UserRegex>()
const CACHE_MAX = 512

/** A compiled user pattern (kept, since checks run the same patterns again and again); throws RegexSyntaxError. */
export function userRegex(pattern: string): UserRegex {
  const hit = cache.get(pattern)
  if (hit) return hit
  const re = compile(pattern)
  const compiled: UserRegex = {source: pattern, test: (text) => re.test(text)}
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string)
  cache.set(pattern, compiled)
  return compiled
}

/** Why a pattern cannot be used, for validation messages; undefined when it compiles. */
export function regexProblem(pattern: string): string | undefined {
  try {
    userRegex(pattern)
    return undefined
  } catch (error) {
    if (error instanceof RegexSyntaxError)
      return error.unsupported
        ? `regular expression: ${error.message}`
        : `not a valid regular expression: ${error.message}`
    throw error
  }
}
