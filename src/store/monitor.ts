import type {CheckState, MonitorEvent, MonitorState} from '../monitor/evaluator.js'
import type {DB} from './db.js'
import {STATUS_CODE, statusFromCode} from '../types.js'
import {writeTx} from './lock.js'
import {recentResultIds} from './results.js'

/** A monitor_state row; only saveMonitorStates writes the table, so state and alerted hold its values. */
interface StateRow {
  check_id: string
  state: CheckState
  since: number
  bad_streak: number
  not_ok_streak: number
  ok_streak: number
  pass_streak: number
  bad_since: number | null
  last_status: number | null
  last_result_id: number | null
  last_ts: number | null
  alerted: MonitorState['alerted']
  alerted_at: number | null
  flapping: number
  changes: string
  incident_id: number | null
}

export interface StoredMonitorState extends MonitorState {
  /** The incident this check opened and that was open when last seen. */
  incidentId: number | null
}

function fromRow(r: StateRow): StoredMonitorState {
  return {
    checkId: r.check_id,
    state: r.state,
    since: r.since,
    badStreak: r.bad_streak,
    notOkStreak: r.not_ok_streak,
    okStreak: r.ok_streak,
    passStreak: r.pass_streak,
    badSince: r.bad_since,
    lastStatus: r.last_status === null ? null : statusFromCode(r.last_status),
    lastResultId: r.last_result_id,
    lastTs: r.last_ts,
    alerted: r.alerted,
    alertedAt: r.alerted_at,
    flapping: r.flapping === 1,
    changes: changeTimes(r.changes),
    incidentId: r.incident_id,
  }
}

/** The stored `changes` column: a JSON array of state change times. */
function changeTimes(json: string): number[] {
  const value: unknown = JSON.parse(json)
  return Array.isArray(value) ? value.filter((t): t is number => typeof t === 'number') : []
}

/** Every stored check state, by check id. */
export function loadMonitorStates(db: DB): Map<string, StoredMonitorState> {
  const rows = db.prepare<[], StateRow>('SELECT * FROM monitor_state').all()
  return new Map(rows.map((r) => [r.check_id, fromRow(r)]))
}

export function getMonitorState(db: DB, checkId: string): StoredMonitorState | undefined {
  const row = db.prepare<[string], StateRow>('SELECT * FROM monitor_state WHERE check_id = ?').get(checkId)
  return row ? fromRow(row) : undefined
}

/** Writes check states (one transaction). */
export function saveMonitorStates(db: DB, states: readonly StoredMonitorState[], at: number): void {
  const upsert = db.prepare(`
    INSERT INTO monitor_state (check_id, state, since, bad_streak, not_ok_streak, ok_streak, pass_streak, bad_since, last_status,
      last_result_id, last_ts, alerted, alerted_at, flapping, changes, incident_id, updated_at)
    VALUES (@checkId, @state, @since, @badStreak, @notOkStreak, @okStreak, @passStreak, @badSince, @lastStatus,
      @lastResultId, @lastTs, @alerted, @alertedAt, @flapping, @changes, @incidentId, @at)
    ON CONFLICT(check_id) DO UPDATE SET state = excluded.state, since = excluded.since, bad_streak = excluded.bad_streak,
      not_ok_streak = excluded.not_ok_streak, ok_streak = excluded.ok_streak, pass_streak = excluded.pass_streak,
      bad_since = excluded.bad_since, last_status = excluded.last_status, last_result_id = excluded.last_result_id,
      last_ts = excluded.last_ts, alerted = excluded.alerted, alerted_at = excluded.alerted_at, flapping = excluded.flapping,
      changes = excluded.changes, incident_id = excluded.incident_id, updated_at = excluded.updated_at`)
  writeTx(db, () => {
    for (const s of states) {
      upsert.run({
        ...s,
        lastStatus: s.lastStatus === null ? null : STATUS_CODE[s.lastStatus],
        flapping: s.flapping ? 1 : 0,
        changes: JSON.stringify(s.changes),
        at,
      })
    }
  })
}

/** Forgets the states of checks no longer in the catalogue. */
export function deleteMonitorStates(db: DB, checkIds: readonly string[]): void {
  const del = db.prepare('DELETE FROM monitor_state WHERE check_id = ?')
  writeTx(db, () => {
    for (const id of checkIds) del.run(id)
  })
}

/** A row of monitor_events: an announced event of the state machine, or a change not announced (with why). */
export interface MonitorEventRecord {
  kind:
    | MonitorEvent['kind']
    | 'state'
    | 'incident'
    | 'posture'
    | 'connectivity-lost'
    | 'connectivity-restored'
    | 'not-counted'
    | 'maintenance-started'
    | 'maintenance-ended'
  checkId: string
  state: string | null
  previous: string | null
  at: number
  resultId: number | null
  message: string
  suppressed?: string | null
}

/** Appends monitor events. */
export function insertMonitorEvents(db: DB, events: readonly MonitorEventRecord[]): void {
  const insert =
    db.prepare(`INSERT INTO monitor_events (check_id, ts, kind, state, previous, result_id, message, suppressed)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
  writeTx(db, () => {
    for (const e of events)
      insert.run(e.checkId, e.at, e.kind, e.state, e.previous, e.resultId, e.message, e.suppressed ?? null)
  })
}

export interface StoredMonitorEvent {
  id: number
  checkId: string
  ts: number
  kind: string
  state: string | null
  previous: string | null
  resultId: number | null
  message: string
  suppressed: string | null
}

export function monitorEvents(
  db: DB,
  opts: {checkId?: string; since?: number; limit?: number} = {},
): StoredMonitorEvent[] {
  const rows = db
    .prepare<{checkId: string | null; since: number; limit: number}, StoredMonitorEvent>(
      `SELECT id, check_id AS checkId, ts, kind, state, previous, result_id AS resultId, message, suppressed
    FROM monitor_events WHERE (@checkId IS NULL OR check_id = @checkId) AND ts >= @since ORDER BY ts, id LIMIT @limit`,
    )
    .all({checkId: opts.checkId ?? null, since: opts.since ?? 0, limit: opts.limit ?? 10_000})
  return rows
}

/** Ids of the most recent results of a check with crit/unknown status, newest first (evidence). */
export function recentFailedResultIds(db: DB, checkId: string, limit: number): number[] {
  return recentResultIds(db, checkId, ['crit', 'unknown'], limit)
}

// Notification deliveries live in outbox.ts.
export {
  deliveries,
  type DeliveryRecord,
  type DeliveryStatus,
  finishDelivery,
  insertDelivery,
  lastDelivery,
  pendingDeliveries,
} from './outbox.js'

// Watch-wide facts.

export function getMeta<T>(db: DB, key: string): T | undefined {
  const row = db.prepare<[string], string>('SELECT value FROM watch_meta WHERE key = ?').pluck().get(key)
  // Values are our own JSON, written by setMeta with the caller's type.
  return row === undefined ? undefined : (JSON.parse(row) as T)
}

export function setMeta(db: DB, key: string, value: unknown, at: number): void {
  writeTx(db, () =>
    db
      .prepare(
        `INSERT INTO watch_meta (key, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, JSON.stringify(value), at),
  )
}
