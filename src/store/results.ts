import type {CheckResult, Finding, Status, Timings} from '../types.js'
import {STATUS_CODE, statusFromCode} from '../types.js'
import type {DB} from './db.js'
import {writeTx} from './lock.js'
import {recordPosture} from './posture.js'
import {type RollupInput, updateRollups} from './rollups.js'

/** What the store needs to know of a check to file its results. */
export interface CheckIdentity {
  id: string
  kind: string
  target: string
  name?: string
  service?: string
  tier?: string
}

export function startRun(db: DB, source: string, at: number): number {
  return writeTx(db, () => Number(db.prepare('INSERT INTO runs (source, started_at) VALUES (?, ?)').run(source, at).lastInsertRowid))
}

export function finishRun(db: DB, runId: number, at: number): void {
  writeTx(db, () => db.prepare('UPDATE runs SET finished_at = ? WHERE id = ?').run(at, runId))
}

/** Registers (or refreshes) checks and returns their row ids by check id. */
export function upsertChecks(db: DB, checks: readonly CheckIdentity[], at: number): Map<string, number> {
  const upsert = db.prepare(`
    INSERT INTO checks (check_id, kind, target, name, service, tier, first_seen, last_seen)
    VALUES (@id, @kind, @target, @name, @service, @tier, @at, @at)
    ON CONFLICT(check_id) DO UPDATE SET kind = excluded.kind, target = excluded.target, name = excluded.name,
      service = excluded.service, tier = excluded.tier, last_seen = excluded.last_seen
    RETURNING id`)
  const refs = new Map<string, number>()
  writeTx(db, () => {
    for (const c of checks) {
      const row = upsert.get({id: c.id, kind: c.kind, target: c.target, name: c.name ?? null,
        service: c.service ?? null, tier: c.tier ?? null, at}) as {id: number}
      refs.set(c.id, row.id)
    }
  })
  return refs
}

function ms(n: number | undefined): number | null {
  return n === undefined || !Number.isFinite(n) ? null : Math.round(n)
}

function detailsJson(r: CheckResult): string | null {
  const out: {findings?: Finding[]; metrics?: Record<string, number>; details?: Record<string, unknown>} = {}
  if (r.findings.length > 0) out.findings = r.findings
  if (Object.keys(r.metrics).length > 0) out.metrics = r.metrics
  if (r.details && Object.keys(r.details).length > 0) out.details = r.details
  return Object.keys(out).length > 0 ? JSON.stringify(out) : null
}

/** Writes a batch of results in one transaction and returns their row ids. */
export function insertResults(db: DB, refs: Map<string, number>, runId: number | null, results: readonly CheckResult[]): number[] {
  const insert = db.prepare(`
    INSERT INTO results (check_ref, run_id, ts, status, duration_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, attempts, summary, details)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const ids: number[] = []
  const rolled: RollupInput[] = []
  writeTx(db, () => {
    for (const r of results) {
      const ref = refs.get(r.checkId)
      if (ref === undefined) throw new Error(`check ${r.checkId} is not registered`)
      const t = r.timings
      ids.push(Number(insert.run(ref, runId, r.startedAt, STATUS_CODE[r.status], Math.round(r.durationMs),
        ms(t.dnsMs), ms(t.connectMs), ms(t.tlsMs), ms(t.ttfbMs), r.attempts, r.summary, detailsJson(r)).lastInsertRowid))
      rolled.push({checkRef: ref, ts: r.startedAt, status: r.status, durationMs: r.durationMs})
    }
    // Hourly/daily rollups and outages move in the same transaction as the results.
    updateRollups(db, rolled)
  })
  return ids
}

/**
 * Stores one whole run (the run row, its checks, results, rollups and posture) in one transaction, so it
 * is all there or none of it is: a lock held past the lock timeout stores nothing and says so.
 */
export function storeRun(db: DB, run: {source: string; startedAt: number; finishedAt: number; checks: readonly CheckIdentity[]; results: readonly CheckResult[]}): number {
  const n = run.results.length
  return writeTx(db, () => {
    const runId = startRun(db, run.source, run.startedAt)
    const refs = upsertChecks(db, run.checks, run.startedAt)
    const ids = insertResults(db, refs, runId, run.results)
    recordPosture(db, refs, runId, run.results, ids)
    finishRun(db, runId, run.finishedAt)
    return runId
  }, `the ${n} result${n === 1 ? '' : 's'} of this run were not stored`)
}

/** A stored result as read back. */
export interface StoredResult {
  resultId: number
  runId: number | null
  checkId: string
  kind: string
  target: string
  name: string | null
  service: string | null
  ts: number
  status: Status
  durationMs: number
  timings: Timings
  attempts: number
  summary: string
  findings: Finding[]
  metrics: Record<string, number>
  details?: Record<string, unknown>
}

interface ResultRow {
  id: number
  run_id: number | null
  check_id: string
  kind: string
  target: string
  name: string | null
  service: string | null
  ts: number
  status: number
  duration_ms: number
  dns_ms: number | null
  connect_ms: number | null
  tls_ms: number | null
  ttfb_ms: number | null
  attempts: number
  summary: string
  details: string | null
}

const RESULT_COLUMNS = `r.id, r.run_id, c.check_id, c.kind, c.target, c.name, c.service, r.ts, r.status, r.duration_ms,
  r.dns_ms, r.connect_ms, r.tls_ms, r.ttfb_ms, r.attempts, r.summary, r.details`

function toStored(row: ResultRow): StoredResult {
  const extra = row.details ? (JSON.parse(row.details) as {findings?: Finding[]; metrics?: Record<string, number>; details?: Record<string, unknown>}) : {}
  const timings: Timings = {totalMs: row.duration_ms}
  if (row.dns_ms !== null) timings.dnsMs = row.dns_ms
  if (row.connect_ms !== null) timings.connectMs = row.connect_ms
  if (row.tls_ms !== null) timings.tlsMs = row.tls_ms
  if (row.ttfb_ms !== null) timings.ttfbMs = row.ttfb_ms
  return {
    resultId: row.id, runId: row.run_id, checkId: row.check_id, kind: row.kind, target: row.target, name: row.name,
    service: row.service, ts: row.ts, status: statusFromCode(row.status), durationMs: row.duration_ms, timings,
    attempts: row.attempts, summary: row.summary, findings: extra.findings ?? [], metrics: extra.metrics ?? {},
    ...(extra.details ? {details: extra.details} : {}),
  }
}

/** The last result of every known check (optionally only these ids), newest first per check. */
export function lastResults(db: DB, checkIds?: readonly string[]): StoredResult[] {
  const rows = db.prepare(`
    SELECT ${RESULT_COLUMNS} FROM checks c
    JOIN results r ON r.id = (SELECT id FROM results WHERE check_ref = c.id ORDER BY ts DESC, id DESC LIMIT 1)
    ORDER BY c.check_id`).all() as ResultRow[]
  const all = rows.map(toStored)
  return checkIds ? all.filter((r) => checkIds.includes(r.checkId)) : all
}

/** Recent results of one check, newest first. */
export function recentResults(db: DB, checkId: string, opts: {limit?: number; since?: number; until?: number} = {}): StoredResult[] {
  const rows = db.prepare(`
    SELECT ${RESULT_COLUMNS} FROM results r JOIN checks c ON c.id = r.check_ref
    WHERE c.check_id = ? AND r.ts >= ? AND r.ts <= ?
    ORDER BY r.ts DESC, r.id DESC LIMIT ?`).all(checkId, opts.since ?? 0, opts.until ?? Number.MAX_SAFE_INTEGER, opts.limit ?? 50) as ResultRow[]
  return rows.map(toStored)
}

/** When the check entered its current status: the first result after the last one with another status. */
export function statusSince(db: DB, checkId: string, status: Status): number | null {
  const row = db.prepare(`
    SELECT min(r.ts) AS since FROM results r JOIN checks c ON c.id = r.check_ref
    WHERE c.check_id = @checkId AND r.ts > coalesce(
      (SELECT max(r2.ts) FROM results r2 WHERE r2.check_ref = c.id AND r2.status != @code), -1)`)
    .get({checkId, code: STATUS_CODE[status]}) as {since: number | null}
  return row.since
}

export function knownCheck(db: DB, checkId: string): boolean {
  return db.prepare('SELECT 1 FROM checks WHERE check_id = ?').get(checkId) !== undefined
}

export function resultById(db: DB, resultId: number): StoredResult | undefined {
  const row = db.prepare(`SELECT ${RESULT_COLUMNS} FROM results r JOIN checks c ON c.id = r.check_ref WHERE r.id = ?`).get(resultId) as ResultRow | undefined
  return row ? toStored(row) : undefined
}

export function knownCheckIds(db: DB): string[] {
  return (db.prepare('SELECT check_id FROM checks ORDER BY check_id').all() as {check_id: string}[]).map((r) => r.check_id)
}
