/**
 * The results layout before migration 7, frozen: the schema at migration 6 and the old write path
 * (one `results` row per result, findings/metrics/details as JSON), as `check run` and `watch` wrote
 * results until then. For the migration test and the storage bench; not used by watchkeeper itself.
 */
import type {DB} from '../../src/store/db.js'
import type {StoredResult} from '../../src/store/results.js'
import {MIGRATIONS} from '../../src/store/migrations/index.js'
import {recordPosture} from '../../src/store/posture.js'
import {
  type Aggregate,
  emptyAggregate,
  HIST_BUCKETS,
  HIST_MIN_MS,
  HIST_PER_DOUBLING,
  type RollupInput,
  updateRollups,
} from '../../src/store/rollups.js'
import {
  type CheckResult,
  type Finding,
  type Status,
  STATUS_CODE,
  statusFromCode,
  type Timings,
} from '../../src/types.js'

/**
 * Every migration but 7: the old results layout, with today's incidents and the rest (the fill uses the
 * live incident code, which knows exercise ids). Migration 7 then arrives as it would on an old file.
 */
export const OLD_MIGRATIONS = MIGRATIONS.filter((m) => m.version !== 7)

function ms(n: number | undefined): number | null {
  return n === undefined || !Number.isFinite(n) ? null : Math.round(n)
}

function detailsJson(r: CheckResult): string | null {
  const out: {findings?: unknown[]; metrics?: Record<string, number>; details?: Record<string, unknown>} = {}
  if (r.findings.length > 0) out.findings = r.findings
  if (Object.keys(r.metrics).length > 0) out.metrics = r.metrics
  if (r.details && Object.keys(r.details).length > 0) out.details = r.details
  return Object.keys(out).length > 0 ? JSON.stringify(out) : null
}

/** The old insertResults (results, rollups) and posture rows, in one transaction; returns the row ids. */
export function insertOldResults(
  db: DB,
  refs: Map<string, number>,
  runId: number | null,
  results: readonly CheckResult[],
): number[] {
  const insert = db.prepare(`
    INSERT INTO results (check_ref, run_id, ts, status, duration_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, attempts, summary, details)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const ids: number[] = []
  const rolled: RollupInput[] = []
  db.transaction(() => {
    for (const r of results) {
      const ref = refs.get(r.checkId)
      if (ref === undefined) throw new Error(`check ${r.checkId} is not registered`)
      const t = r.timings
      ids.push(
        Number(
          insert.run(
            ref,
            runId,
            r.startedAt,
            STATUS_CODE[r.status],
            Math.round(r.durationMs),
            ms(t.dnsMs),
            ms(t.connectMs),
            ms(t.tlsMs),
            ms(t.ttfbMs),
            r.attempts,
            r.summary,
            detailsJson(r),
          ).lastInsertRowid,
        ),
      )
      rolled.push({checkRef: ref, ts: r.startedAt, status: r.status, durationMs: r.durationMs})
    }

    updateRollups(db, rolled)
    recordPosture(db, refs, runId, results, ids)
  })()
  return ids
}

// The old readers (results.ts and rollups.addRaw before migration 7), to read the old layout before it is migrated.

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
  const extra = row.details
    ? (JSON.parse(row.details) as {
        findings?: Finding[]
        metrics?: Record<string, number>
        details?: Record<string, unknown>
      })
    : {}
  const timings: Timings = {totalMs: row.duration_ms}
  if (row.dns_ms !== null) timings.dnsMs = row.dns_ms
  if (row.connect_ms !== null) timings.connectMs = row.connect_ms
  if (row.tls_ms !== null) timings.tlsMs = row.tls_ms
  if (row.ttfb_ms !== null) timings.ttfbMs = row.ttfb_ms
  return {
    resultId: row.id,
    runId: row.run_id,
    checkId: row.check_id,
    kind: row.kind,
    target: row.target,
    name: row.name,
    service: row.service,
    ts: row.ts,
    status: statusFromCode(row.status),
    durationMs: row.duration_ms,
    timings,
    attempts: row.attempts,
    summary: row.summary,
    findings: extra.findings ?? [],
    metrics: extra.metrics ?? {},
    ...(extra.details ? {details: extra.details} : {}),
  }
}

export function oldLastResults(db: DB): StoredResult[] {
  const rows = db
    .prepare(
      `
    SELECT ${RESULT_COLUMNS} FROM checks c
    JOIN results r ON r.id = (SELECT id FROM results WHERE check_ref = c.id ORDER BY ts DESC, id DESC LIMIT 1)
    ORDER BY c.check_id`,
    )
    .all() as ResultRow[]
  return rows.map(toStored)
}

export function oldRecentResults(
  db: DB,
  checkId: string,
  opts: {limit?: number; since?: number; until?: number} = {},
): StoredResult[] {
  const rows = db
    .prepare(
      `
    SELECT ${RESULT_COLUMNS} FROM results r JOIN checks c ON c.id = r.check_ref
    WHERE c.check_id = ? AND r.ts >= ? AND r.ts <= ?
    ORDER BY r.ts DESC, r.id DESC LIMIT ?`,
    )
    .all(checkId, opts.since ?? 0, opts.until ?? Number.MAX_SAFE_INTEGER, opts.limit ?? 50) as ResultRow[]
  return rows.map(toStored)
}

export function oldStatusSince(db: DB, checkId: string, status: Status): number | null {
  const row = db
    .prepare(
      `
    SELECT min(r.ts) AS since FROM results r JOIN checks c ON c.id = r.check_ref
    WHERE c.check_id = @checkId AND r.ts > coalesce(
      (SELECT max(r2.ts) FROM results r2 WHERE r2.check_ref = c.id AND r2.status != @code), -1)`,
    )
    .get({checkId, code: STATUS_CODE[status]}) as {since: number | null}
  return row.since
}

export function oldResultById(db: DB, resultId: number): StoredResult | undefined {
  const row = db
    .prepare(`SELECT ${RESULT_COLUMNS} FROM results r JOIN checks c ON c.id = r.check_ref WHERE r.id = ?`)
    .get(resultId) as ResultRow | undefined
  return row ? toStored(row) : undefined
}

const SQL_BUCKET = `CASE WHEN duration_ms < ${HIST_MIN_MS} THEN 0
  ELSE min(${HIST_BUCKETS - 1}, CAST(log2(duration_ms / ${HIST_MIN_MS}) * ${HIST_PER_DOUBLING} AS INTEGER) + 1) END`

export function oldAddRaw(db: DB, from: number, to: number, into: Map<number, Aggregate>): number {
  if (to <= from) return 0
  const stmt = db
    .prepare(
      `SELECT check_ref, status, CASE WHEN status <= 1 THEN ${SQL_BUCKET} ELSE -1 END AS bucket,
      count(*), sum(max(duration_ms, 0)), max(duration_ms)
    FROM results WHERE ts >= ? AND ts < ? GROUP BY check_ref, status, bucket`,
    )
    .raw(true)
  let n = 0
  for (const [ref, code, bucket, count, sumMs, maxMs] of stmt.all(from, to) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ][]) {
    let a = into.get(ref)
    if (!a) into.set(ref, (a = emptyAggregate()))
    const status = statusFromCode(code)
    a[status] += count
    if (status === 'ok' || status === 'warn') {
      a.sumMs += sumMs
      if (maxMs > a.maxMs) a.maxMs = maxMs
      a.hist[bucket] += count
    }

    n += count
  }

  return n
}
