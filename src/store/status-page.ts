import type Database from 'better-sqlite3'

import type {CheckState} from '../monitor/evaluator.js'
import type {DB} from './db.js'

/*
 * Reads for the status page, badges and read API (src/web/). Only the checks, rollup, outage and incident
 * tables; raw results are read through store/results.ts.
 */

const statements = new WeakMap<DB, Map<string, Database.Statement<unknown[], unknown>>>()

/**
 * A statement prepared once per connection (the status model is rebuilt every few seconds, and preparing
 * is a good part of a small read). Each SQL text must always be used in the same mode (raw, pluck or rows).
 */
export function prepared<P extends unknown[], R>(db: DB, sql: string): Database.Statement<P, R> {
  let byText = statements.get(db)
  if (!byText) statements.set(db, (byText = new Map()))
  let st = byText.get(sql)
  if (!st) byText.set(sql, (st = db.prepare(sql)))
  return st as Database.Statement<P, R>
}

export interface PageCheck {
  ref: number
  checkId: string
  kind: string
  name: string | null
  service: string | null
  tier: string | null
}

export function pageChecks(db: DB): PageCheck[] {
  return prepared<
    [],
    {id: number; check_id: string; kind: string; name: string | null; service: string | null; tier: string | null}
  >(db, 'SELECT id, check_id, kind, name, service, tier FROM checks ORDER BY check_id')
    .all()
    .map((r) => ({ref: r.id, checkId: r.check_id, kind: r.kind, name: r.name, service: r.service, tier: r.tier}))
}

/** The row id of one check, or undefined. */
export function pageCheckRef(db: DB, checkId: string): number | undefined {
  return prepared<[string], number>(db, 'SELECT id FROM checks WHERE check_id = ?').pluck().get(checkId)
}

export interface BucketCounts {
  /** Start of the hour (UTC) or London day, epoch ms. */
  start: number
  ok: number
  warn: number
  crit: number
  unknown: number
}

/** One check's hourly or daily rollup counts with a start in [from, to), oldest first. */
export function rollupCounts(
  db: DB,
  level: 'hourly' | 'daily',
  checkRef: number,
  from: number,
  to: number,
): BucketCounts[] {
  const [table, col] = level === 'hourly' ? ['rollup_hourly', 'hour_start'] : ['rollup_daily', 'day_start']
  return prepared<[number, number, number], BucketCounts>(
    db,
    `SELECT ${col} AS start, ok, warn, crit, unknown FROM ${table} WHERE check_ref = ? AND ${col} >= ? AND ${col} < ? ORDER BY ${col}`,
  ).all(checkRef, from, to)
}

export interface CheckOutage {
  startedAt: number
  lastDownAt: number
  endedAt: number | null
  downResults: number
}

/** A check's outages, newest first. */
export function recentOutages(db: DB, checkRef: number, limit: number): CheckOutage[] {
  return prepared<[number, number], CheckOutage>(
    db,
    `SELECT started_at AS startedAt, last_down_at AS lastDownAt, ended_at AS endedAt, down_results AS downResults
    FROM outages WHERE check_ref = ? ORDER BY started_at DESC LIMIT ?`,
  ).all(checkRef, limit)
}

export interface PageIncident {
  id: number
  title: string
  severity: string
  state: string
  service: string | null
  openedAt: number
  updatedAt: number
  resolvedAt: number | null
  closedAt: number | null
  checks: string[]
}

type IncidentSql = Omit<PageIncident, 'checks'> & {checks: string | null}

const INCIDENT_COLUMNS = `i.id, i.title, i.severity, i.state, i.service, i.opened_at AS openedAt, i.updated_at AS updatedAt,
  i.resolved_at AS resolvedAt, i.closed_at AS closedAt,
  (SELECT json_group_array(check_id) FROM (SELECT check_id FROM incident_checks WHERE incident_id = i.id ORDER BY check_id)) AS checks`

const toIncident = (r: IncidentSql): PageIncident => {
  const checks: unknown = r.checks ? JSON.parse(r.checks) : []
  return {...r, checks: Array.isArray(checks) ? checks.map(String) : []}
}

/** Incidents in one of `states`, newest first, with their linked check ids. */
export function incidentsInStates(db: DB, states: readonly string[]): PageIncident[] {
  return prepared<[string], IncidentSql>(
    db,
    `SELECT ${INCIDENT_COLUMNS} FROM incidents i WHERE i.state IN (SELECT value FROM json_each(?))
    ORDER BY i.opened_at DESC, i.id DESC`,
  )
    .all(JSON.stringify(states))
    .map(toIncident)
}

export function incidentById(db: DB, id: number): PageIncident | undefined {
  const r = prepared<[number], IncidentSql>(db, `SELECT ${INCIDENT_COLUMNS} FROM incidents i WHERE i.id = ?`).get(id)
  return r ? toIncident(r) : undefined
}

export interface CountSums {
  ok: number
  warn: number
  crit: number
  unknown: number
}

export type HourlyRow = [
  checkRef: number,
  ok: number,
  warn: number,
  crit: number,
  unknown: number,
  hist: Buffer | null,
  maxMs: number | null,
]

/**
 * Hourly rollups starting in [from, to), summed per check inside SQLite: counts, the latency histograms of
 * the hours with up results (encoded histograms are self-delimiting pairs, so their concatenation decodes
 * to their sum) and the largest of their maxima. "+check_ref" keeps the planner on the primary-key range.
 */
export function hourlyRows(db: DB, from: number, to = Number.MAX_SAFE_INTEGER): HourlyRow[] {
  return prepared<[number, number], HourlyRow>(
    db,
    `SELECT check_ref, sum(ok), sum(warn), sum(crit), sum(unknown), CAST(group_concat(CASE WHEN ok + warn > 0 THEN hist END, x'') AS BLOB),
    max(CASE WHEN ok + warn > 0 THEN max_ms END) FROM rollup_hourly WHERE hour_start >= ? AND hour_start < ? GROUP BY +check_ref`,
  )
    .raw(true)
    .all(from, to)
}

/** Result counts per check (by row id) summed over the daily rollups starting in [from, to). */
export function dailySums(db: DB, from: number, to = Number.MAX_SAFE_INTEGER): Map<number, CountSums> {
  const rows = prepared<[number, number], [number, number, number, number, number]>(
    db,
    'SELECT check_ref, sum(ok), sum(warn), sum(crit), sum(unknown) FROM rollup_daily WHERE day_start >= ? AND day_start < ? GROUP BY +check_ref',
  )
    .raw(true)
    .all(from, to)
  return new Map(rows.map(([ref, ok, warn, crit, unknown]) => [ref, {ok, warn, crit, unknown}]))
}

const CHECK_STATES = new Set<string>(['pending', 'ok', 'degraded', 'failing'])

export interface PageCheckState {
  state: CheckState
  since: number
  flapping: boolean
}

/** What the page shows of watch's check states (the evaluator's counters are not read), by check id. */
export function pageStates(db: DB): Map<string, PageCheckState> {
  const rows = prepared<[], [string, string, number, number]>(
    db,
    'SELECT check_id, state, since, flapping FROM monitor_state',
  )
    .raw(true)
    .all()
  const out = new Map<string, PageCheckState>()
  for (const [id, state, since, flapping] of rows)
    if (isCheckState(state)) out.set(id, {state, since, flapping: flapping === 1})
  return out
}

function isCheckState(s: string): s is CheckState {
  return CHECK_STATES.has(s)
}
