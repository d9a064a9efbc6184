import path from 'node:path'

import type {CheckResult, Status} from '../../src/types.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {insertResults, upsertChecks} from '../../src/store/results.js'
import {tmpDir} from '../helpers/cli.js'

export const MINUTE = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000

/** A fresh database file in a temp folder, through the real store (migrations included). */
export function freshDb(prefix = 'wk-rollups-'): {db: DB; file: string; dir: string; cleanup: () => void} {
  const t = tmpDir(prefix)
  const file = path.join(t.dir, 'watchkeeper.db')
  const db = openDatabase(file)
  return {
    db,
    file,
    dir: t.dir,
    cleanup() {
      if (db.open) db.close()
      t.cleanup()
    },
  }
}

export function result(checkId: string, startedAt: number, status: Status, durationMs: number): CheckResult {
  return {
    checkId,
    kind: 'tcp',
    target: `${checkId}.test:443`,
    status,
    summary: `${status} in ${durationMs} ms`,
    timings: {totalMs: durationMs},
    findings: [],
    metrics: {},
    startedAt,
    durationMs,
    attempts: 1,
  }
}

/** Registers checks (id → service) and writes results with the real insertResults, in batches. */
export function store(
  db: DB,
  checks: Record<string, string | undefined>,
  results: readonly CheckResult[],
  batch = 100,
): Map<string, number> {
  const refs = upsertChecks(
    db,
    Object.entries(checks).map(([id, service]) => ({id, kind: 'tcp', target: `${id}.test:443`, service})),
    results[0]?.startedAt ?? 0,
  )
  for (let i = 0; i < results.length; i += batch) insertResults(db, refs, null, results.slice(i, i + batch))
  return refs
}

/** Exact nearest-rank percentile of a list. */
export function exactPercentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]
}
