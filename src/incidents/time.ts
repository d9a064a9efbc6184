/** Europe/London wall time, ISO 8601 durations and England and Wales business days. No I/O. */

import {zonedParts, zonedToEpoch, zoneOffsetMs} from '../util/zoned-time.js'

const LONDON = 'Europe/London'

export interface LocalParts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

export function londonParts(ms: number): LocalParts {
  const {year, month, day, hour, minute, second} = zonedParts(ms, LONDON)
  return {year, month, day, hour, minute, second}
}

/** Offset of London from UTC at an instant, in ms (0 in winter, 3,600,000 in summer). */
export function londonOffsetMs(ms: number): number {
  return zoneOffsetMs(ms, LONDON)
}

/** The instant of a London wall-clock time (DST rule in util/zoned-time: the earlier instant when the clocks go back). */
export function fromLondon(p: LocalParts): number {
  return zonedToEpoch(p.year, p.month, p.day, p.hour, p.minute, p.second, LONDON)
}

/** `2024-05-06 14:03:00 BST` style London time. */
export function formatLondon(ms: number): string {
  const p = londonParts(ms)
  const zone = londonOffsetMs(ms) === 0 ? 'GMT' : 'BST'
  const two = (n: number) => String(n).padStart(2, '0')
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)} ${zone}`
}

/** `2024-05-06 13:03:00Z` */
export function formatUtc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z')
}

export const ISO_DURATION_PATTERN = String.raw`^P(?!$)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$`

/** `PT72H`, `P2D`, `PT30M`, `P1DT12H` into ms (days are 24 h); undefined when malformed. */
export function parseIsoDuration(text: string): number | undefined {
  if (!new RegExp(ISO_DURATION_PATTERN).test(text)) return undefined
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text)
  if (!m) return undefined
  const [, w, d, h, mi, s] = m.map((x) => (x === undefined ? 0 : Number(x)))
  return Math.round(((((w * 7 + d) * 24 + h) * 60 + mi) * 60 + s) * 1000)
}

/** `PT1H30M` from ms (whole seconds). */
export function toIsoDuration(ms: number): string {
  let s = Math.round(ms / 1000)
  const d = Math.floor(s / 86_400)
  s -= d * 86_400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  const time = `${h ? h + 'H' : ''}${m ? m + 'M' : ''}${s ? s + 'S' : ''}`
  return `P${d ? d + 'D' : ''}${time ? 'T' + time : d ? '' : 'T0S'}`
}

/**
 * England and Wales bank holidays 2024–2028 (gov.uk/bank-holidays; 2027–2028 follow the standing rules,
 * including substitute days, and may change by proclamation). Years outside the table are computed by
 * the same rules (see computedBankHolidays).
 */
export const ENGLAND_WALES_BANK_HOLIDAYS: Readonly<Record<number, readonly string[]>> = {
  2024: [
    '2024-01-01',
    '2024-03-29',
    '2024-04-01',
    '2024-05-06',
    '2024-05-27',
    '2024-08-26',
    '2024-12-25',
    '2024-12-26',
  ],
  2025: [
    '2025-01-01',
    '2025-04-18',
    '2025-04-21',
    '2025-05-05',
    '2025-05-26',
    '2025-08-25',
    '2025-12-25',
    '2025-12-26',
  ],
  2026: [
    '2026-01-01',
    '2026-04-03',
    '2026-04-06',
    '2026-05-04',
    '2026-05-25',
    '2026-08-31',
    '2026-12-25',
    '2026-12-28',
  ],
  2027: [
    '2027-01-01',
    '2027-03-26',
    '2027-03-29',
    '2027-05-03',
    '2027-05-31',
    '2027-08-30',
    '2027-12-27',
    '2027-12-28',
  ],
  2028: [
    '2028-01-03',
    '2028-04-14',
    '2028-04-17',
    '2028-05-01',
    '2028-05-29',
    '2028-08-28',
    '2028-12-25',
    '2028-12-26',
  ],
}

function ymd(y: number, m: number, d: number): string {
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** Day of week (0 Sunday) of a calendar date. */
function weekday(y: number, m: number, d: number): number {
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay()
}

function addDays(y: number, m: number, d: number, n: number): [number, number, number] {
  const t = new Date(Date.UTC(y, m - 1, d + n))
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()]
}

/** Easter Sunday (Gregorian, anonymous algorithm). */
function easter(y: number): [number, number] {
  const a = y % 19
  const b = Math.floor(y / 100)
  const c = y % 100
  const d = Math.floor(b / 4)
  const e = b % 4
  const f = Math.floor((b + 8) / 25)
  const g = Math.floor((b - f + 1) / 3)
  const h = (19 * a + b - d - g + 15) % 30
  const i = Math.floor(c / 4)
  const k = c % 4
  const l = (32 + 2 * e + 2 * i - h - k) % 7
  const m = Math.floor((a + 11 * h + 22 * l) / 451)
  const month = Math.floor((h + l - 7 * m + 114) / 31)
  return [month, ((h + l - 7 * m + 114) % 31) + 1]
}

/** The standing England and Wales rules: New Year, Good Friday, Easter Monday, May Day, Spring, Summer, Christmas, Boxing Day. */
export function computedBankHolidays(y: number): string[] {
  const out: string[] = []
  const firstMonday = (m: number) => {
    let d = 1
    while (weekday(y, m, d) !== 1) d++
    return ymd(y, m, d)
  }

  const lastMonday = (m: number) => {
    let d = new Date(Date.UTC(y, m, 0)).getUTCDate()
    while (weekday(y, m, d) !== 1) d--
    return ymd(y, m, d)
  }

  const jan1 = weekday(y, 1, 1)
  out.push(ymd(y, 1, jan1 === 6 ? 3 : jan1 === 0 ? 2 : 1))
  const [em, ed] = easter(y)
  out.push(ymd(...addDays(y, em, ed, -2)), ymd(...addDays(y, em, ed, 1)))
  out.push(firstMonday(5), lastMonday(5), lastMonday(8))
  const xmas = weekday(y, 12, 25)
  // Substitute days: a holiday on a weekend moves to the next weekday not already a holiday.
  switch (xmas) {
    case 6: {
      out.push(ymd(y, 12, 27), ymd(y, 12, 28))
      break
    }

    case 0: {
      out.push(ymd(y, 12, 27), ymd(y, 12, 26))
      break
    }

    case 5: {
      out.push(ymd(y, 12, 25), ymd(y, 12, 28))
      break
    }

    default: {
      out.push(ymd(y, 12, 25), ymd(y, 12, 26))
    }
  }

  return out.sort()
}

const holidayCache = new Map<number, Set<string>>()

export function isBankHoliday(y: number, m: number, d: number): boolean {
  let set = holidayCache.get(y)
  if (!set) {
    set = new Set(ENGLAND_WALES_BANK_HOLIDAYS[y] ?? computedBankHolidays(y))
    holidayCache.set(y, set)
  }

  return set.has(ymd(y, m, d))
}

export function isBusinessDay(y: number, m: number, d: number): boolean {
  const w = weekday(y, m, d)
  return w !== 0 && w !== 6 && !isBankHoliday(y, m, d)
}

/**
 * The instant `days` England and Wales business days after `start`, at the same London wall-clock time:
 * weekends and bank holidays are not counted.
 */
export function addBusinessDays(start: number, days: number): number {
  const p = londonParts(start)
  let [y, m, d] = [p.year, p.month, p.day]
  let counted = 0
  while (counted < days) {
    ;[y, m, d] = addDays(y, m, d, 1)
    if (isBusinessDay(y, m, d)) counted++
  }

  return fromLondon({...p, year: y, month: m, day: d})
}
