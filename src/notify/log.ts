import type {DB} from '../store/db.js'
import {deliveries, DELIVERY_STATUSES, type DeliveryRecord, type DeliveryStatus} from '../store/outbox.js'

/** One delivery as `notify log --json` shows it: times as ISO 8601 UTC, nothing secret (the store holds none). */
export interface DeliveryView {
  id: number
  at: string
  notifier: string
  provider: string
  event: string
  checkId: string | null
  status: DeliveryStatus
  attempts: number
  httpStatus: number | null
  /** Why it failed, was put off, suppressed or held. */
  error: string | null
  message: string
  finishedAt: string | null
  lastAttemptAt: string | null
  nextAttemptAt: string | null
  expiresAt: string | null
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

export function deliveryView(r: DeliveryRecord): DeliveryView {
  return {
    id: r.id,
    at: iso(r.createdAt)!,
    notifier: r.notifier,
    provider: r.provider,
    event: r.event,
    checkId: r.checkId,
    status: r.status,
    attempts: r.attempts,
    httpStatus: r.httpStatus,
    error: r.error,
    message: r.message,
    finishedAt: iso(r.finishedAt),
    lastAttemptAt: iso(r.lastAttemptAt),
    nextAttemptAt: r.status === 'pending' ? iso(r.nextAttemptAt) : null,
    expiresAt: r.status === 'pending' ? iso(r.expiresAt) : null,
  }
}

/** The newest `limit` deliveries matching the filters, oldest first. */
export function deliveryLog(
  db: DB,
  opts: {since?: number; notifier?: string; checkId?: string; statuses?: DeliveryStatus[]; limit: number},
): DeliveryView[] {
  const rows = deliveries(db, {
    since: opts.since,
    notifier: opts.notifier,
    statuses: opts.statuses,
    limit: opts.checkId ? 1_000_000 : opts.limit,
    newest: true,
  })
  const kept = opts.checkId ? rows.filter((r) => r.checkId === opts.checkId).slice(-opts.limit) : rows
  return kept.map(deliveryView)
}

const isDeliveryStatus = (s: string): s is DeliveryStatus => DELIVERY_STATUSES.some((d) => d === s)

/** `--status` values as statuses (oclif has checked them against DELIVERY_STATUSES). */
export function deliveryStatuses(values: readonly string[] | undefined): DeliveryStatus[] | undefined {
  return values?.filter(isDeliveryStatus)
}
