/**
 * The one grammar of time flags (`--since`, `--until`, `--at`), in the default zone Europe/London:
 * - `now`;
 * - a duration ago: `90m`, `7d`, `2h30m`, optionally followed by ` ago`;
 * - a date `2026-10-01`: local midnight;
 * - a local date-time `2026-10-01T09:00[:ss]` (or with a space): local time, DST rule in util/zoned-time;
 * - an ISO time with a zone: `2026-10-01T08:00:00Z`, `2026-10-01T09:00+01:00`.
 * Anything else is a usage error (E_USAGE, exit 2) naming the flag.
 */
import {UserError} from '../errors.js'
import {parseDuration} from './duration.js'
import {zonedToEpoch} from './zoned-time.js'

export const WHEN_TIME_ZONE = 'Europe/London'

/** Appended to each time flag's --help. */
export const WHEN_HELP =
  'now, an age (90m, 7d, "2h ago"), a date (2026-10-01: London midnight), 2026-10-01T09:00 (London time) or an ISO time with a zone'

/** The instant a time flag names, or undefined when it does not follow the grammar. */
export function readWhen(text: string, now: number, timeZone = WHEN_TIME_ZONE): number | undefined {
  const s = text.trim()
  if (s === 'now') return now
  const ago = parseDuration(s.replace(/\s*ago$/, ''))
  if (ago !== undefined) return now - ago
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (m) {
    const [y, mo, d] = m.slice(1, 4).map(Number)
    return validDate(y, mo, d) ? zonedToEpoch(y, mo, d, 0, 0, 0, timeZone) : undefined
  }

  m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s)
  if (m) {
    const [y, mo, d, h, mi, sec] = m.slice(1, 7).map((x) => Number(x ?? 0))
    return validDate(y, mo, d) && h <= 23 && mi <= 59 && sec <= 59
      ? zonedToEpoch(y, mo, d, h, mi, sec, timeZone)
      : undefined
  }

  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(s)) {
    const t = Date.parse(s.replace(' ', 'T'))
    if (!Number.isNaN(t)) return t
  }

  return undefined
}

function validDate(y: number, mo: number, d: number): boolean {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= new Date(Date.UTC(y, mo, 0)).getUTCDate()
}

/** readWhen for a flag; throws the usage error naming it. */
export function parseWhen(text: string, now: number, flag: string): number {
  const t = readWhen(text, now)
  if (t === undefined)
    throw new UserError(`${flag} ${text}: not a time.`, {hint: `Use ${WHEN_HELP}.`, code: 'E_USAGE', exit: 2})
  return t
}
