const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}

/** Regex (as a string, for JSON Schema) of a duration such as `500ms`, `10s`, `5m`, `1h30m`, `7d`. */
export const DURATION_PATTERN = String.raw`^(\d+(\.\d+)?(ms|s|m|h|d|w))+$`

/**
 * Range of a duration that arms a timer (check, notifier and command timeouts): 1 ms to 24 days. Node's
 * timers take at most 2^31-1 ms (24.8 days) and fire at once for anything longer.
 */
export const TIMEOUT_RANGE: [number, number] = [1, 24 * 86_400_000]

/** Upper bound of any other duration (windows, intervals): ten years, far inside what dates can hold. */
export const DURATION_MAX_MS = 3650 * 86_400_000

/** Parses `500ms`, `10s`, `5m`, `1h30m`, `7d` into milliseconds; undefined when malformed or past any finite number. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined
  let total = 0
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNITS[m[2]]
  return Number.isFinite(total) ? Math.round(total) : undefined
}

/** Like parseDuration but throws a readable error; for values the schema already checked. */
export function durationMs(text: string | number): number {
  if (typeof text === 'number') return text
  const v = parseDuration(text)
  if (v === undefined) throw new Error(`not a duration: ${text} (expected e.g. 500ms, 10s, 5m)`)
  return v
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
  const parts: string[] = []
  let rest = Math.round(ms / 1000)
  for (const [unit, secs] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / secs)
    if (n > 0) parts.push(`${n}${unit}`)
    rest -= n * secs
    if (parts.length === 2) break
  }

  return parts.join('')
}
