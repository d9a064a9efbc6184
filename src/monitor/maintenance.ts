/**
 * Maintenance windows: one-off (start/end or start/duration as local date-times) or recurring (a time of
 * day with a duration, every day or on named weekdays), each in an IANA time zone so that DST is honoured.
 */

export const DEFAULT_TIMEZONE = 'Europe/London'

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const

export interface MaintenanceWindow {
  name: string
  /** Check id globs (with *); empty with empty tags means every check. */
  checks: string[]
  tags: string[]
  timezone: string
  /** One-off: absolute epoch ms. */
  once?: {start: number; end: number}
  /** Recurring: minutes after local midnight, length, and weekdays (0 = Sunday); all days when null. */
  recurring?: {startMinute: number; durationMs: number; days: number[] | null}
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'long'})
    formatters.set(timeZone, f)
  }
  return f
}

/** True when the runtime knows the IANA zone. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz)
    return true
  } catch {
    return false
  }
}

export interface LocalParts {year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number}

/** Wall-clock fields of an instant in a zone. */
export function localParts(ms: number, tz: string): LocalParts {
  const parts: Record<string, string> = {}
  for (const p of formatter(tz).formatToParts(new Date(ms))) parts[p.type] = p.value
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday.toLowerCase() as (typeof WEEKDAYS)[number]),
  }
}

function offsetAt(ms: number, tz: string): number {
  const p = localParts(ms, tz)
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000
}

/**
 * The instant of a local wall-clock time in a zone. A time skipped by a DST change (01:30 on the spring
 * day in London) maps to the instant an hour later; a repeated one maps to its first occurrence.
 */
export function zonedToEpoch(year: number, month: number, day: number, hour: number, minute: number, second: number, tz: string): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute, second)
  const before = offsetAt(guess - 43_200_000, tz)
  const after = offsetAt(guess + 43_200_000, tz)
  const matches = [guess - before, guess - after].filter((t) => {
    const p = localParts(t, tz)
    return p.year === year && p.month === month && p.day === day && p.hour === hour && p.minute === minute
  })
  return matches.length > 0 ? Math.min(...matches) : guess - before
}

/** Parses `2026-12-01T22:00[:ss][Z|+hh:mm]` as an instant; without an offset the time is local to `tz`. */
export function parseLocalDateTime(text: string, tz: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/.exec(text)
  if (!m) return undefined
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => Number(x ?? 0))
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined
  if (m[7]) {
    const off = m[7] === 'Z' ? 0 : (m[7][0] === '-' ? -1 : 1) * (Number(m[7].slice(1, 3)) * 60 + Number(m[7].slice(4, 6))) * 60_000
    return Date.UTC(y, mo - 1, d, h, mi, s) - off
  }
  return zonedToEpoch(y, mo, d, h, mi, s, tz)
}

function globMatch(glob: string, id: string): boolean {
  if (!glob.includes('*')) return glob === id
  return new RegExp('^' + glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$').test(id)
}

/** Whether a window covers a check (by id glob or tag; a window naming neither covers every check). */
export function windowCovers(w: MaintenanceWindow, check: {id: string; tags: readonly string[]}): boolean {
  if (w.checks.length === 0 && w.tags.length === 0) return true
  return w.checks.some((g) => globMatch(g, check.id)) || w.tags.some((t) => check.tags.includes(t))
}

/** The end (epoch ms) of the occurrence of the window that contains `at`, or undefined when `at` is outside it. */
export function windowActiveUntil(w: MaintenanceWindow, at: number): number | undefined {
  if (w.once) return at >= w.once.start && at < w.once.end ? w.once.end : undefined
  const r = w.recurring
  if (!r) return undefined
  // An occurrence that covers `at` started on the local day of `at` or up to `durationMs` earlier.
  const daysBack = Math.ceil(r.durationMs / 86_400_000)
  for (let back = 0; back <= daysBack; back++) {
    const p = localParts(at - back * 86_400_000, w.timezone)
    const start = zonedToEpoch(p.year, p.month, p.day, Math.floor(r.startMinute / 60), r.startMinute % 60, 0, w.timezone)
    const dayOfStart = localParts(start, w.timezone).weekday
    if (r.days && !r.days.includes(dayOfStart)) continue
    if (at >= start && at < start + r.durationMs) return start + r.durationMs
  }
  return undefined
}

/** The first active window covering the check at `at`, with when it ends. */
export function activeMaintenance(windows: readonly MaintenanceWindow[], check: {id: string; tags: readonly string[]}, at: number): {window: MaintenanceWindow; until: number} | undefined {
  for (const w of windows) {
    if (!windowCovers(w, check)) continue
    const until = windowActiveUntil(w, at)
    if (until !== undefined) return {window: w, until}
  }
  return undefined
}

export function weekdayNumber(name: string): number {
  return WEEKDAYS.indexOf(name.toLowerCase() as (typeof WEEKDAYS)[number])
}
