import type {DB} from '../store/db.js'
import {lastResults, recentResults, statusSince, type StoredResult} from '../store/results.js'
import type {Status} from '../types.js'

export interface StatusRow {
  checkId: string
  kind: string
  target: string
  service: string | null
  status: Status
  /** Epoch ms of the first result in the current status. */
  since: number
  lastRun: number
  lastLatencyMs: number
  summary: string
  /** Latencies of the recent results, oldest first (for a sparkline). */
  recentLatencyMs: number[]
  recentStatuses: Status[]
}

/** The last result of each check, since when it has been in that status, and its recent latencies. */
export function statusReport(db: DB, opts: {ids?: readonly string[]; recent?: number} = {}): StatusRow[] {
  return lastResults(db, opts.ids).map((r: StoredResult) => {
    const recent = recentResults(db, r.checkId, {limit: opts.recent ?? 20}).reverse()
    return {
      checkId: r.checkId, kind: r.kind, target: r.target, service: r.service, status: r.status,
      since: statusSince(db, r.checkId, r.status) ?? r.ts, lastRun: r.ts, lastLatencyMs: r.durationMs, summary: r.summary,
      recentLatencyMs: recent.map((x) => x.durationMs), recentStatuses: recent.map((x) => x.status),
    }
  })
}
