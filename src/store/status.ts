import type {DB} from './db.js'

/** Reads for `status`: what a person needs beside the last result (open incidents, the last alert). */

export interface OpenIncidentOfCheck {
  id: number
  title: string
  severity: string
  state: string
  openedAt: number
}

/** Incidents in one of `states` linked to each check, newest first per check. */
export function openIncidentsByCheck(db: DB, states: readonly string[]): Map<string, OpenIncidentOfCheck[]> {
  const rows = db
    .prepare<[string], OpenIncidentOfCheck & {checkId: string}>(
      `SELECT ic.check_id AS checkId, i.id, i.title, i.severity, i.state, i.opened_at AS openedAt
    FROM incident_checks ic JOIN incidents i ON i.id = ic.incident_id
    WHERE i.state IN (SELECT value FROM json_each(?)) ORDER BY i.opened_at DESC, i.id DESC`,
    )
    .all(JSON.stringify(states))
  const out = new Map<string, OpenIncidentOfCheck[]>()
  for (const {checkId, ...incident} of rows) {
    let list = out.get(checkId)
    if (!list) out.set(checkId, (list = []))
    list.push(incident)
  }

  return out
}

export interface AlertRecord {
  /** The events of the messages, oldest first, e.g. failing then incident-opened. */
  events: string[]
  /** Epoch ms the newest message was queued. */
  createdAt: number
  /** Per notifier and event, the newest outcome: pending, sent, failed or suppressed. */
  deliveries: {notifier: string; event: string; status: string; error: string | null}[]
}

/**
 * The messages about a check queued since `since` (the start of its current state), or, with no such
 * message or no `since`, the newest one.
 */
export function alertsOfCheck(db: DB, checkId: string, since: number | null): AlertRecord | undefined {
  type Row = {event: string; createdAt: number; notifier: string; status: string; error: string | null}
  const cols = 'event, created_at AS createdAt, notifier, status, error'
  let rows =
    since === null
      ? []
      : db
          .prepare<[string, number], Row>(
            `SELECT ${cols} FROM notifications WHERE check_id = ? AND created_at >= ? ORDER BY id`,
          )
          .all(checkId, since)
  if (rows.length === 0) {
    rows = db
      .prepare<[string, string], Row>(
        `SELECT ${cols} FROM notifications WHERE check_id = ? AND created_at = (SELECT max(created_at) FROM notifications WHERE check_id = ?) ORDER BY id`,
      )
      .all(checkId, checkId)
  }

  if (rows.length === 0) return undefined
  const latest = new Map<string, Row>()
  for (const r of rows) latest.set(`${r.notifier}\u0000${r.event}`, r)
  return {
    events: [...new Set(rows.map((r) => r.event))],
    createdAt: Math.max(...rows.map((r) => r.createdAt)),
    deliveries: [...latest.values()].map((r) => ({
      notifier: r.notifier,
      event: r.event,
      status: r.status,
      error: r.error,
    })),
  }
}
