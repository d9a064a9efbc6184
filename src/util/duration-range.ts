import {ISO_DURATION_PATTERN, parseIsoDuration} from '../incidents/time.js'
import {DURATION_MAX_MS, DURATION_PATTERN, parseDuration} from './duration.js'

/**
 * The `durationRange: [minMs, maxMs]` schema keyword: bounds a duration string; the pattern keyword
 * reports malformed ones. Used by the validators generated at build time (scripts/validators.ts).
 */
const DURATION_PARSERS: Record<string, (text: string) => number | undefined> = {
  [DURATION_PATTERN]: parseDuration,
  [ISO_DURATION_PATTERN]: parseIsoDuration,
}

/** Whether `data` passes `durationRange: range` in a schema whose `pattern` is `pattern`. */
export function durationInRange(range: [number, number], data: string, pattern: unknown): boolean {
  const p = typeof pattern === 'string' ? pattern : DURATION_PATTERN
  const ms = (DURATION_PARSERS[p] ?? parseDuration)(data)
  // A malformed value is the pattern keyword's to report; a well-formed one past any number is out of range.
  return ms === undefined ? !new RegExp(p).test(data) : Number.isFinite(ms) && ms >= range[0] && ms <= range[1]
}

/** Every duration (a string schema with a duration pattern) gets a range: `durationRange` if set, else up to DURATION_MAX_MS. */
export function withDurationRanges(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withDurationRanges)
  if (!schema || typeof schema !== 'object') return schema
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(schema)) out[k] = withDurationRanges(v)
  if (typeof out.pattern === 'string' && out.pattern in DURATION_PARSERS && out.durationRange === undefined)
    out.durationRange = [0, DURATION_MAX_MS]
  return out
}
