import type {DB} from './db.js'
import {writeTx} from './lock.js'

/**
 * The notification outbox and delivery log (table `notifications`, migrations 5 and 6). A message is a row
 * from the moment it is raised; while pending it keeps its body (the provider-neutral notification, never
 * a URL or key), the time of its next attempt and the time it expires, so a restart picks it up.
 */
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'expired' | 'suppressed' | 'held'

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'pending',
  'sent',
  'failed',
  'expired',
  'suppressed',
  'held',
]

export interface DeliveryRecord {
  id: number
  createdAt: number
  notifier: string
  provider: string
  event: string
  checkId: string | null
  subject: string
  dedupKey: string
  status: DeliveryStatus
  attempts: number
  httpStatus: number | null
  error: string | null
  message: string
  finishedAt: number | null
  nextAttemptAt: number | null
  lastAttemptAt: number | null
  expiresAt: number | null
}

const COLUMNS = `id, created_at AS createdAt, notifier, provider, event, check_id AS checkId, subject, dedup_key AS dedupKey, status,
  attempts, http_status AS httpStatus, error, message, finished_at AS finishedAt, next_attempt_at AS nextAttemptAt,
  last_attempt_at AS lastAttemptAt, expires_at AS expiresAt`

export function insertDelivery(
  db: DB,
  d: {
    createdAt: number
    notifier: string
    provider: string
    event: string
    checkId: string | null
    subject: string
    dedupKey: string
    status: DeliveryStatus
    message: string
    body?: string
    error?: string
    expiresAt?: number
  },
): number {
  const pending = d.status === 'pending'
  return writeTx(db, () =>
    Number(
      db
        .prepare(
          `INSERT INTO notifications (created_at, notifier, provider, event, check_id, subject, dedup_key, status, message, body, error,
    finished_at, next_attempt_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          d.createdAt,
          d.notifier,
          d.provider,
          d.event,
          d.checkId,
          d.subject,
          d.dedupKey,
          d.status,
          d.message,
          pending ? (d.body ?? null) : null,
          d.error ?? null,
          pending ? null : d.createdAt,
          pending ? d.createdAt : null,
          pending ? (d.expiresAt ?? null) : null,
        ).lastInsertRowid,
    ),
  )
}

/** Settles a delivery: sent, failed (refused) or expired (given up). The body is dropped. */
export function finishDelivery(
  db: DB,
  id: number,
  d: {status: DeliveryStatus; attempts: number; httpStatus?: number; error?: string; at: number},
): void {
  writeTx(db, () =>
    db
      .prepare(
        `UPDATE notifications SET status = ?, attempts = ?, http_status = ?, error = ?, finished_at = ?, last_attempt_at = COALESCE(?, last_attempt_at),
    next_attempt_at = NULL, body = NULL WHERE id = ?`,
      )
      .run(d.status, d.attempts, d.httpStatus ?? null, d.error ?? null, d.at, d.attempts > 0 ? d.at : null, id),
  )
}

/** A round failed and will be tried again at `nextAttemptAt`; the row stays pending. */
export function deferDelivery(
  db: DB,
  id: number,
  d: {attempts: number; httpStatus?: number; error?: string; at: number; nextAttemptAt: number},
): void {
  writeTx(db, () =>
    db
      .prepare(
        "UPDATE notifications SET attempts = ?, http_status = ?, error = ?, last_attempt_at = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'",
      )
      .run(d.attempts, d.httpStatus ?? null, d.error ?? null, d.at, d.nextAttemptAt, id),
  )
}

/** The last message this notifier accepted (queued or sent) about one subject (a check id, or a watch-wide topic). */
export function lastDelivery(
  db: DB,
  notifier: string,
  subject: string,
): {dedupKey: string; createdAt: number} | undefined {
  return db
    .prepare<[string, string], {dedupKey: string; createdAt: number}>(
      `SELECT dedup_key AS dedupKey, created_at AS createdAt FROM notifications
    WHERE notifier = ? AND subject = ? AND status IN ('pending', 'sent') ORDER BY id DESC LIMIT 1`,
    )
    .get(notifier, subject)
}

export function deliveries(
  db: DB,
  opts: {
    since?: number
    notifier?: string
    statuses?: readonly DeliveryStatus[]
    limit?: number
    newest?: boolean
  } = {},
): DeliveryRecord[] {
  const statuses = opts.statuses && opts.statuses.length > 0 ? JSON.stringify(opts.statuses) : null
  const rows = db
    .prepare<[{since: number; notifier: string | null; statuses: string | null; limit: number}], DeliveryRecord>(
      `SELECT ${COLUMNS} FROM notifications
    WHERE created_at >= @since AND (@notifier IS NULL OR notifier = @notifier) AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
    ORDER BY id ${opts.newest ? 'DESC' : ''} LIMIT @limit`,
    )
    .all({since: opts.since ?? 0, notifier: opts.notifier ?? null, statuses, limit: opts.limit ?? 10_000})
  return opts.newest ? rows.reverse() : rows
}

/** Pending deliveries, with their bodies, oldest first (the outbox a start resumes). */
export interface PendingDelivery {
  id: number
  notifier: string
  body: string | null
  attempts: number
  nextAttemptAt: number | null
  expiresAt: number | null
}

export function pendingDeliveries(db: DB): PendingDelivery[] {
  return db
    .prepare<[], PendingDelivery>(
      `SELECT id, notifier, body, attempts, next_attempt_at AS nextAttemptAt, expires_at AS expiresAt FROM notifications
    WHERE status = 'pending' ORDER BY id`,
    )
    .all()
}

/** Messages held by maintenance since `since` about these checks (for the closing notice). */
export function heldSince(db: DB, checkIds: readonly string[], since: number): number {
  const row = db
    .prepare<[number, string], {n: number}>(
      `SELECT count(DISTINCT created_at || ':' || event || ':' || COALESCE(check_id, '')) AS n FROM notifications
    WHERE status = 'held' AND created_at >= ? AND check_id IN (SELECT value FROM json_each(?))`,
    )
    .get(since, JSON.stringify(checkIds))
  return row?.n ?? 0
}

/** Per check, the last state message held by maintenance since `since` (to release a recovery when the window closes). */
export function lastHeldEvents(db: DB, checkIds: readonly string[], since: number): Map<string, string> {
  const rows = db
    .prepare<[number, string], {checkId: string; event: string}>(
      `SELECT check_id AS checkId, event FROM notifications WHERE status = 'held' AND created_at >= ?
    AND event IN ('failing', 'degraded', 'recovered', 'reminder', 'flapping', 'stable') AND check_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    )
    .all(since, JSON.stringify(checkIds))
  return new Map(rows.map((r) => [r.checkId, r.event]))
}
