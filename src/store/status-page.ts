import type {DB} from './db.js'

/*
 * Reads for the status page, badges and read API (src/web/). Only the checks, rollup, outage and incident
 * tables; raw results are read through store/results.ts.
 */

export interface PageCheck {
  ref: number
  checkId: string
  kind: string
  name: string | null
  service: string | null
  tier: string | null
}

export function pageChecks(db: DB): PageCheck[] {
  return (db.prepare('SELECT id, check_id, kind, name, service, tier FROM checks ORDER BY check_id').all() as
    {id: number; check_id: string; kind: string; name: string | null; service: string | null; tier: string | null}[])
    .map((r) => ({ref: r.id, checkId: r.check_id, kind: r.kind, name: r.name, service: r.service, tier: r.tier}))
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
export function rollupCounts(db: DB, level: 'hourly' | 'daily', checkRef: number, from: number, to: number): BucketCounts[] {
  const [table, col] = level === 'hourly' ? ['rollup_hourly', 'hour_start'] : ['rollup_daily', 'day_start']
  return db.prepare(`SELECT ${col} AS start, ok, warn, crit, unknown FROM ${table} WHERE check_ref = ? AND ${col} >= ? AND ${col} < ? ORDER BY ${col}`)
    .all(checkRef, from, to) as BucketCounts[]
}

export interface CheckOutage {
  startedAt: number
  lastDownAt: number
  endedAt: number | null
  downResults: number
}

/** A check's outages, newest first. */
export function recentOutages(db: DB, checkRef: number, limit: number): CheckOutage[] {
  return db.prepare(`SELECT started_at AS startedAt, last_down_at AS lastDownAt, ended_at AS endedAt, down_results AS downResults
    FROM outages WHERE check_ref = ? ORDER BY started_at DESC LIMIT ?`).all(checkRef, limit) as CheckOutage[]
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

const toIncident = (r: IncidentSql): PageIncident => ({...r, checks: r.checks ? JSON.parse(r.checks) as string[] : []})

/** Incidents in one of `states`, newest first, with their linked check ids. */
export function incidentsInStates(db: DB, states: readonly string[]): PageIncident[] {
  return (db.prepare(`SELECT ${INCIDENT_COLUMNS} FROM incidents i WHERE i.state IN (SELECT value FROM json_each(?))
    ORDER BY i.opened_at DESC, i.id DESC`).all(JSON.stringify(states)) as IncidentSql[]).map(toIncident)
}

export function incidentById(db: DB, id: number): PageIncident | undefined {
  const r = db.prepare(`SELECT ${INCIDENT_COLUMNS} FROM incidents i WHERE i.id = ?`).get(id) as IncidentSql | undefined
  return r ? toIncident(r) : undefined
}

export interface CountSums {
  ok: number
  warn: number
  crit: number
  unknown: number
}

/** Result counts per check (by row id) summed over the hourly or daily rollups starting at or after `from`. */
export function rollupSums(db: DB, level: 'hourly' | 'daily', from: number): Map<number, CountSums> {
  const [table, col] = level === 'hourly' ? ['rollup_hourly', 'hour_start'] : ['rollup_daily', 'day_start']
  const rows = db.prepare(`SELECT check_ref, sum(ok), sum(warn), sum(crit), sum(unknown) FROM ${table} WHERE ${col} >= ? GROUP BY check_ref`).raw(true)
    .all(from) as [number, number, number, number, number][]
  return new Map(rows.map(([ref, ok, warn, crit, unknown]) => [ref, {ok, warn, crit, unknown}]))
}

/** The encoded latency histograms and maxima of the hourly rollups starting in [from, to). */
export function hourlyLatencyRows(db: DB, from: number, to = Number.MAX_SAFE_INTEGER): [checkRef: number, hist: Buffer, maxMs: number][] {
  return db.prepare('SELECT check_ref, hist, max_ms FROM rollup_hourly WHERE hour_start >= ? AND hour_start < ? AND (ok + warn) > 0').raw(true).all(from, to) as [number, Buffer, number][]
}
