/**
 * Maintenance windows: one-off (start/end or start/duration as local date-times) or recurring (a time of
 * day with a duration, every day or on named weekdays), each in an IANA time zone so that DST is honoured.
 */

import {globMatch} from '../util/glob.js'
import {type ZonedParts, zonedParts, zonedToEpoch} from '../util/zoned-time.js'

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

/** Wall-clock fields of an instant in a zone. */
export const localParts = zonedParts
export type LocalParts = ZonedParts

/** Parses `2026-12-01T22:00[:ss][Z|+hh:mm]` as an instant; without an offset the time is local to `tz`. */
export function parseLocalDateTime(text: string, tz: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/.exec(text)
  if (!m) return undefined
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => Number(x ?? 0))
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined
  if (m[7]) {
    const off =
      m[7] === 'Z'
        ? 0
        : (m[7][0] === '-' ? -1 : 1) * (Number(m[7].slice(1, 3)) * 60 + Number(m[7].slice(4, 6))) * 60_000
    return Date.UTC(y, mo - 1, d, h, mi, s) - off
  }

  return zonedToEpoch(y, mo, d, h, mi, s, tz)
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
    const start = zonedToEpoch(
      p.year,
      p.month,
      p.day,
      Math.floor(r.startMinute / 60),
      r.startMinute % 60,
      0,
      w.timezone,
    )
    const dayOfStart = localParts(start, w.timezone).weekday
    if (r.days && !r.days.includes(dayOfStart)) continue
    if (at >= start && at < start + r.durationMs) return start + r.durationMs
  }

  return undefined
}

/** The first active window covering the check at `at`, with when it ends. */
export function activeMaintenance(
  windows: readonly MaintenanceWindow[],
  check: {id: string; tags: readonly string[]},
  at: number,
): {window: MaintenanceWindow; until: number} | undefined {
  for (const w of windows) {
    if (!windowCovers(w, check)) continue
    const until = windowActiveUntil(w, at)
    if (until !== undefined) return {window: w, until}
  }

  return undefined
}

export function weekdayNumber(name: string): number {
  const days: readonly string[] = WEEKDAYS
  return days.indexOf(name.toLowerCase())
}

export {isTimeZone, zonedToEpoch} from '../util/zoned-time.js'
