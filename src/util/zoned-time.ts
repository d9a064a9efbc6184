/**
 * Wall-clock time in IANA zones: the one place that turns a local date-time into an instant. No I/O.
 *
 * DST rule (RFC 5545, Temporal's 'compatible' disambiguation):
 * - a repeated local time (01:30 on the autumn change in London) is its earlier instant (BST, 00:30Z);
 * - a skipped local time (01:30 on the spring change in London) is shifted forward by the gap (02:30 BST, 01:30Z).
 */

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const

export interface ZonedParts {
  year: number
  /** 1..12 */
  month: number
  day: number
  hour: number
  minute: number
  second: number
  /** 0 = Sunday */
  weekday: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'long',
    })
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

/** Wall-clock fields of an instant in a zone. */
export function zonedParts(ms: number, tz: string): ZonedParts {
  const parts: Record<string, string> = {}
  for (const p of formatter(tz).formatToParts(new Date(ms))) parts[p.type] = p.value
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday.toLowerCase() as (typeof WEEKDAYS)[number]),
  }
}

/** Offset of the zone from UTC at an instant, in ms (London: 0 in winter, 3,600,000 in summer). */
export function zoneOffsetMs(ms: number, tz: string): number {
  const p = zonedParts(ms, tz)
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000
}

/**
 * The instant of a local wall-clock time in a zone (month 1..12; overflowing fields roll over, as in
 * Date.UTC). Repeated and skipped times follow the DST rule at the top of this file.
 */
export function zonedToEpoch(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  tz: string,
): number {
  const local = Date.UTC(year, month - 1, day, hour, minute, second)
  const before = zoneOffsetMs(local - 43_200_000, tz)
  const after = zoneOffsetMs(local + 43_200_000, tz)
  const matches = [local - before, local - after].filter((t) => t + zoneOffsetMs(t, tz) === local)
  // No match: the time was skipped; the offset in force before the change moves it forward by the gap.
  return matches.length > 0 ? Math.min(...matches) : local - before
}
