import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {errorMessage, UserError} from '../errors.js'
import {formatDuration, parseDuration} from '../util/duration.js'
import {databaseFile, type DB, pragmaNumber, pragmaText} from './db.js'
import {withLockWait, writeTx} from './lock.js'
import {resultSpan} from './results.js'
import {DAY_MS, type RetentionLevel, retentionMarks, setRetentionMark} from './rollups.js'

/** How long each level of data is kept, in ms. */
export interface RetentionPolicy {
  raw: number
  hourly: number
  daily: number
}

export const DEFAULT_RETENTION: RetentionPolicy = {raw: 30 * DAY_MS, hourly: 90 * DAY_MS, daily: 731 * DAY_MS}

/** Parses a retention duration such as `30d`, `13w`, `2y` (a year is 365 days) into ms; throws a UserError. */
export function parseRetention(text: string, what: string): number {
  const m = /^(\d+)y$/.exec(text)
  const ms = m ? Number(m[1]) * 365 * DAY_MS : parseDuration(text)
  if (ms === undefined || ms < DAY_MS) {
    throw new UserError(`${what} must be a duration of at least one day, such as 30d, 13w or 2y (got "${text}").`, {
      code: 'E_USAGE',
      exit: 2,
    })
  }

  return ms
}

export interface PruneOptions {
  dryRun?: boolean
  /** Rows deleted per transaction; each transaction holds the write lock only briefly. */
  batchSize?: number
  /** Pause between batches, so a concurrent writer (a `check run` from cron) gets the lock. */
  pauseMs?: number
  signal?: AbortSignal
}

export interface PruneReport {
  dryRun: boolean
  /** Rows older than these times (epoch ms) are deleted. */
  cutoffs: Record<RetentionLevel, number>
  /** Rows deleted (or, with dryRun, that would be). */
  deleted: {
    results: number
    resultTexts: number
    posture: number
    runs: number
    monitorEvents: number
    notifications: number
    rollupHourly: number
    rollupDaily: number
    outages: number
  }
  batches: number
  elapsedMs: number
}

/** What pruning deletes; `hour` targets compare whole UTC hours (epoch ms / 3600000) with the cutoff's hour. */
const TARGETS = [
  // A block goes once its whole hour is older than the cutoff (reports never read raw results before the mark).
  {key: 'results', level: 'raw', table: 'result_blocks', where: 'hour < ?', hour: true},
  {key: 'resultTexts', level: 'raw', table: 'result_texts', where: 'last_hour < ?', hour: true},
  // Posture rows of results that are gone (their findings go with them).
  {key: 'posture', level: 'raw', table: 'posture', where: 'ts < ?', hour: false},
  // A run goes when it is over and older than the cutoff; one never finished, when no block holds its results.
  {
    key: 'runs',
    level: 'raw',
    table: 'runs',
    hour: false,
    where: `coalesce(finished_at, started_at) < ? AND (finished_at IS NOT NULL
    OR NOT EXISTS (SELECT 1 FROM result_blocks b WHERE b.run_lo <= runs.id AND b.run_hi >= runs.id))`,
  },
  // The state machine's event log grows by one row a failed result during a connectivity loss.
  {key: 'monitorEvents', level: 'raw', table: 'monitor_events', where: 'ts < ?', hour: false},
  // Settled notifications (sent, failed, expired, suppressed); pending and held ones stay until settled.
  {
    key: 'notifications',
    level: 'raw',
    table: 'notifications',
    where: "created_at < ? AND status NOT IN ('pending', 'held')",
    hour: false,
  },
  {key: 'rollupHourly', level: 'hourly', table: 'rollup_hourly', where: 'hour_start < ?', hour: false},
  {key: 'rollupDaily', level: 'daily', table: 'rollup_daily', where: 'day_start < ?', hour: false},
  {key: 'outages', level: 'daily', table: 'outages', where: 'ended_at < ?', hour: false},
] as const

/**
 * Deletes raw results (whole hours: the raw cutoff is the start of its hour), posture rows, runs, monitor
 * events, settled notifications, rollups and ended outages older than the policy allows, in bounded batches
 * (one short transaction each, with a pause between), so a concurrent writer is never locked out for
 * long. Rollups are never touched by raw pruning: reports over old periods keep working. Safe to call
 * periodically (the `watch` scheduler does); a call with nothing to delete costs a few index probes.
 */
export async function pruneOnce(
  db: DB,
  now: number,
  policy: RetentionPolicy = DEFAULT_RETENTION,
  opts: PruneOptions = {},
): Promise<PruneReport> {
  const started = Date.now()
  const batchSize = opts.batchSize ?? 5000
  const pauseMs = opts.pauseMs ?? 5
  // Raw results are kept in hourly blocks: the raw cutoff is the start of its UTC hour.
  const rawCut = Math.floor((now - policy.raw) / 3_600_000) * 3_600_000
  const cutoffs: Record<RetentionLevel, number> = {raw: rawCut, hourly: now - policy.hourly, daily: now - policy.daily}
  const cutoffOf = (t: (typeof TARGETS)[number]) =>
    t.hour ? Math.floor(cutoffs[t.level] / 3_600_000) : cutoffs[t.level]
  const deleted = {
    results: 0,
    resultTexts: 0,
    posture: 0,
    runs: 0,
    monitorEvents: 0,
    notifications: 0,
    rollupHourly: 0,
    rollupDaily: 0,
    outages: 0,
  }
  let batches = 0
  if (opts.dryRun) {
    for (const t of TARGETS) {
      const what = t.key === 'results' ? 'coalesce(sum(n), 0)' : 'count(*)'
      deleted[t.key] = countOf(db, `SELECT ${what} FROM ${t.table} WHERE ${t.where}`, cutoffOf(t))
    }

    return {dryRun: true, cutoffs, deleted, batches, elapsedMs: Date.now() - started}
  }

  // Marks first: from now on reports do not read rows that are about to go.
  writeTx(db, () => {
    for (const level of ['raw', 'hourly', 'daily'] as const) setRetentionMark(db, level, cutoffs[level])
  })
  for (const t of TARGETS) {
    // Rollup tables have no rowid: their key is (start, check_ref).
    const key =
      t.table === 'rollup_hourly'
        ? 'hour_start, check_ref'
        : t.table === 'rollup_daily'
          ? 'day_start, check_ref'
          : 'rowid'
    const del = db.prepare(
      `DELETE FROM ${t.table} WHERE (${key}) IN (SELECT ${key} FROM ${t.table} WHERE ${t.where} LIMIT ?)`,
    )
    // Results are counted, not blocks: each batch sums the blocks it deletes.
    const count =
      t.key === 'results'
        ? db
            .prepare<[number, number], number>(
              `SELECT coalesce(sum(n), 0) FROM (SELECT n FROM ${t.table} WHERE ${t.where} LIMIT ?)`,
            )
            .pluck()
        : undefined
    for (;;) {
      opts.signal?.throwIfAborted()
      let results = 0
      const n = writeTx(db, () => {
        if (count) results = count.get(cutoffOf(t), batchSize) ?? 0
        return del.run(cutoffOf(t), batchSize).changes
      })
      batches++
      deleted[t.key] += count ? results : n
      if (n < batchSize) break
      await sleep(pauseMs)
    }
  }

  return {dryRun: false, cutoffs, deleted, batches, elapsedMs: Date.now() - started}
}

export interface VacuumReport {
  beforeBytes: number
  afterBytes: number
  elapsedMs: number
}

/** Size of the database file plus its WAL, in bytes. */
function fileBytes(file: string): number {
  let n = 0
  for (const f of [file, file + '-wal']) {
    try {
      n += fs.statSync(f).size
    } catch {
      // absent
    }
  }

  return n
}

/** VACUUM (rebuilds the file, returning free pages to the disk) then truncates the WAL. */
export function vacuum(db: DB): VacuumReport {
  const started = Date.now()
  const beforeBytes = fileBytes(db.name)
  withLockWait(db, () => db.exec('VACUUM'))
  db.pragma('optimize')
  db.pragma('wal_checkpoint(TRUNCATE)')
  return {beforeBytes, afterBytes: fileBytes(db.name), elapsedMs: Date.now() - started}
}

export interface BackupReport {
  file: string
  bytes: number
  pages: number
  elapsedMs: number
}

/**
 * Online backup with SQLite's backup API (writers may go on meanwhile). Written to a temporary file
 * beside the destination and renamed into place, so a failed backup never leaves a half file.
 */
export async function backupDatabase(db: DB, file: string, opts: {force?: boolean} = {}): Promise<BackupReport> {
  const started = Date.now()
  const dest = path.resolve(file)
  if (dest === path.resolve(databaseFile(db))) {
    throw new UserError('The backup file is the database itself.', {
      hint: 'Name another file.',
      code: 'E_USAGE',
      exit: 2,
    })
  }

  if (fs.existsSync(dest) && !opts.force) {
    throw new UserError(`${file} already exists.`, {
      hint: 'Pass --force to overwrite it, or name another file.',
      code: 'E_EXISTS',
    })
  }

  const dir = path.dirname(dest)
  if (!fs.existsSync(dir)) throw new UserError(`Folder ${dir} does not exist.`, {code: 'E_NO_DIR'})
  const tmp = path.join(dir, `.${path.basename(dest)}.${process.pid}.tmp`)
  let pages = 0
  try {
    const result = await db.backup(tmp, {
      progress({totalPages}) {
        pages = totalPages
        return 1000
      },
    })
    pages = result.totalPages
    fs.chmodSync(tmp, 0o600)
    fs.renameSync(tmp, dest)
  } catch (error) {
    fs.rmSync(tmp, {force: true})
    throw new UserError(`Backup to ${file} failed: ${errorMessage(error)}`, {code: 'E_BACKUP'})
  }

  return {file: dest, bytes: fs.statSync(dest).size, pages, elapsedMs: Date.now() - started}
}

export interface TableStats {
  name: string
  rows: number
  /** Bytes of the table and its indexes. */
  bytes: number
}

export interface DbStats {
  file: string
  fileBytes: number
  walBytes: number
  pageSize: number
  pages: number
  freePages: number
  schemaVersion: number
  tables: TableStats[]
  results: {rows: number; oldest: string | null; newest: string | null; bytesPerResult: number | null}
  rollups: {
    hourly: {rows: number; oldest: string | null; newest: string | null; bytesPerRow: number | null}
    daily: {rows: number; oldest: string | null; newest: string | null; bytesPerRow: number | null}
  }
  outages: {rows: number; open: number}
  /** Data older than these times has been pruned. */
  prunedBefore: Partial<Record<RetentionLevel, string>>
}

const iso = (ts: number | null): string | null => (ts === null ? null : new Date(ts).toISOString())

/** Sizes, row counts and time spans of the database (reads every page once, for the per-table sizes). */
export function databaseStats(db: DB): DbStats {
  const bytesByTable = new Map<string, number>()
  for (const row of db
    .prepare<[], {tbl: string; bytes: number}>(
      `SELECT coalesce(s.tbl_name, d.name) AS tbl, sum(d.pgsize) AS bytes
      FROM dbstat d LEFT JOIN sqlite_schema s ON s.name = d.name GROUP BY tbl`,
    )
    .all()) {
    bytesByTable.set(row.tbl, row.bytes)
  }

  const tables = db
    .prepare<[], string>(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
    )
    .pluck()
    .all()
    .map((name) => ({
      name,
      rows: countOf(db, `SELECT count(*) FROM "${name.replaceAll('"', '""')}"`),
      bytes: bytesByTable.get(name) ?? 0,
    }))
  const rowsOf = (name: string) => tables.find((t) => t.name === name)?.rows ?? 0
  const bytesOf = (name: string) => bytesByTable.get(name) ?? 0
  const per = (name: string) =>
    rowsOf(name) > 0 ? Math.round(((bytesByTable.get(name) ?? 0) / rowsOf(name)) * 10) / 10 : null
  const span = (sql: string) =>
    db.prepare<[], {lo: number | null; hi: number | null}>(sql).get() ?? {lo: null, hi: null}
  const raw = resultSpan(db)
  const hourly = span('SELECT min(hour_start) AS lo, max(hour_start) AS hi FROM rollup_hourly')
  const daily = span('SELECT min(day_start) AS lo, max(day_start) AS hi FROM rollup_daily')
  const marks = retentionMarks(db)
  const prunedBefore: Partial<Record<RetentionLevel, string>> = {}
  for (const level of ['raw', 'hourly', 'daily'] as const)
    if (Number.isFinite(marks[level])) prunedBefore[level] = new Date(marks[level]).toISOString()
  const file = databaseFile(db)
  return {
    file,
    fileBytes: fs.statSync(file).size,
    walBytes: fs.existsSync(file + '-wal') ? fs.statSync(file + '-wal').size : 0,
    pageSize: pragmaNumber(db, 'page_size'),
    pages: pragmaNumber(db, 'page_count'),
    freePages: pragmaNumber(db, 'freelist_count'),
    schemaVersion: pragmaNumber(db, 'user_version'),
    tables,
    results: {
      rows: raw.rows,
      oldest: iso(raw.oldest),
      newest: iso(raw.newest),
      bytesPerResult:
        raw.rows > 0 ? Math.round(((bytesOf('result_blocks') + bytesOf('result_texts')) / raw.rows) * 10) / 10 : null,
    },
    rollups: {
      hourly: {
        rows: rowsOf('rollup_hourly'),
        oldest: iso(hourly.lo),
        newest: iso(hourly.hi),
        bytesPerRow: per('rollup_hourly'),
      },
      daily: {
        rows: rowsOf('rollup_daily'),
        oldest: iso(daily.lo),
        newest: iso(daily.hi),
        bytesPerRow: per('rollup_daily'),
      },
    },
    outages: {
      rows: rowsOf('outages'),
      open: countOf(db, 'SELECT count(*) FROM outages WHERE ended_at IS NULL'),
    },
    prunedBefore,
  }
}

/** The one number a count or sum query returns. */
function countOf(db: DB, sql: string, ...params: number[]): number {
  return (
    db
      .prepare<number[], number>(sql)
      .pluck()
      .get(...params) ?? 0
  )
}

/** Opens a backup (or any database file) read-only to check it: integrity and row counts. */
export function verifyDatabaseFile(file: string): {ok: boolean; integrity: string; results: number} {
  const db = new Database(file, {readonly: true, fileMustExist: true})
  try {
    const integrity = pragmaText(db, 'quick_check')
    const blocks =
      db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'result_blocks'").get() !== undefined
    const results = countOf(
      db,
      blocks ? 'SELECT coalesce(sum(n), 0) FROM result_blocks' : 'SELECT count(*) FROM results',
    )
    return {ok: integrity === 'ok', integrity, results}
  } finally {
    db.close()
  }
}

export function describePolicy(p: RetentionPolicy): string {
  return `raw ${formatDuration(p.raw)}, hourly ${formatDuration(p.hourly)}, daily ${formatDuration(p.daily)}`
}
