/** Shared value types of watchkeeper's core. No I/O here. */

export type Status = 'ok' | 'warn' | 'crit' | 'unknown'

export const STATUSES: readonly Status[] = ['ok', 'warn', 'crit', 'unknown']

/** Nagios exit code and the small integer stored in the database. */
export const STATUS_CODE: Record<Status, number> = {ok: 0, warn: 1, crit: 2, unknown: 3}

export function statusFromCode(code: number): Status {
  return STATUSES[code] ?? 'unknown'
}

/** Severity order used to pick the worst of several statuses: ok < warn < unknown < crit. */
const STATUS_RANK: Record<Status, number> = {ok: 0, warn: 1, unknown: 2, crit: 3}

/** A status's place in that order (0 ok … 3 crit). */
export function statusRank(s: Status): number {
  return STATUS_RANK[s]
}

export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'ok'
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s
  return worst
}

/** Exit code of a run: the worst status, as Nagios plugins do (crit beats unknown). */
export function exitCodeFor(statuses: Iterable<Status>): number {
  return STATUS_CODE[worstStatus(statuses)]
}

export type Severity = 'info' | 'warn' | 'crit'

export interface Finding {
  /** Stable dotted lower-case id, listed in src/findings.ts. */
  id: string
  severity: Severity
  message: string
}

/**
 * Phase timings of one attempt, blackbox_exporter's phases, each from the socket, TLS and HTTP events that
 * bound it: resolve (dnsMs), connect (TCP), tls (handshake), processing (connection ready to first response
 * byte) and transfer (first byte to end of body), summed over redirects, add up to totalMs. ttfbMs is totalMs
 * without the final body's transfer.
 */
export interface Timings {
  dnsMs?: number
  connectMs?: number
  tlsMs?: number
  processingMs?: number
  transferMs?: number
  ttfbMs?: number
  totalMs?: number
}

/** What one probe returns for one attempt. */
export interface Observation {
  status: Status
  /** One line. */
  summary: string
  timings: Timings
  findings: Finding[]
  /** Named numbers, e.g. httpStatus, certDaysLeft. */
  metrics: Record<string, number>
  /** Extra structured facts worth keeping (e.g. negotiated protocol); omitted when empty. */
  details?: Record<string, unknown>
  /** Warn/crit thresholds of some metrics, for Nagios perfdata (not stored); alertBelow when low values are bad. */
  thresholds?: Record<string, {warn?: number; crit?: number; alertBelow?: boolean}>
}

/** A check's result as the runner reports and stores it. */
export interface CheckResult extends Observation {
  checkId: string
  kind: string
  target: string
  service?: string
  /** Epoch ms when the (last) attempt started. */
  startedAt: number
  durationMs: number
  attempts: number
  /** Milliseconds the event loop that timed the (last) attempt was blocked during it; absent under 1 ms. */
  loopDelayMs?: number
  /** Set when that delay may have polluted the timings (monitor/loop-delay.ts: timingSuspect). */
  timingSuspect?: true
}

export interface Clock {
  now(): number
}

export const systemClock: Clock = {now: () => Date.now()}
