import {parseDuration} from './duration.js'

/** An absolute time (ISO 8601 / YYYY-MM-DD) or an age before `now` (`30m`, `24h`, `7d`) as epoch ms. */
export function parseTime(text: string, now: number): number | undefined {
  const age = parseDuration(text)
  if (age !== undefined) return now - age
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined
  const t = Date.parse(text)
  return Number.isNaN(t) ? undefined : t
}
