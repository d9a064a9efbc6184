/*
 * The JSON convention of every command (README "JSON output"): a time is an ISO 8601 string in UTC with
 * milliseconds, `2026-11-25T09:00:00.000Z`; a duration is a number named for its unit (`durationMs`).
 */

/** Epoch ms as the JSON time string. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}

/**
 * A deep copy of `value` in which every number under one of `keys` (epoch ms) is an ISO time string.
 * Strings, nulls and other fields pass through, so a field already in ISO form is left as it is.
 */
export function jsonTimes<T>(value: T, keys: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => jsonTimes(v, keys))
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = typeof v === 'number' && keys.has(k) ? isoTime(v) : jsonTimes(v, keys)
  }

  return out
}

/** Time fields of incidents, their timeline events and clocks. */
export const INCIDENT_TIMES: ReadonlySet<string> = new Set([
  'openedAt',
  'updatedAt',
  'resolvedAt',
  'closedAt',
  'occurredAt',
  'recordedAt',
  'startedAt',
  'dueAt',
  'stoppedAt',
  'previousDueAt',
  'from',
  'to',
  'until',
  'at',
])
