import type Database from 'better-sqlite3'

import type {Status} from '../types.js'
import type {DB} from './db.js'
import {zonedParts as wallClock, zonedToEpoch} from '../util/zoned-time.js'
import {writeRows} from './multi-row.js'
import {POSTURE_KINDS} from './posture.js'
import {scanRaw} from './results.js'

/*
 * Hourly and daily rollups of results per check, an outage table, and the latency histogram they carry.
 *
 * Hours are UTC clock hours. Days are calendar days in ROLLUP_TIME_ZONE (Europe/London), so a day row
 * covers 23, 24 or 25 hours and a month of days is exactly a London calendar month.
 * "Up" means ok or warn, "down" means crit; unknown counts are kept but are neither.
 * Latency (count, sum, max, histogram) covers up results only: a timeout is an outage, not a latency.
 */

export const ROLLUP_TIME_ZONE = 'Europe/London'
export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000

// ---------------------------------------------------------------------------------------------------------
// Latency histogram: fixed log buckets, six per doubling from 0.1 ms.
// Bucket 0 holds [0, 0.1 ms); bucket k (1..HIST_LOG_BUCKETS) holds [0.1·2^((k-1)/6), 0.1·2^(k/6)) ms;
// the last bucket holds everything from 0.1·2^(122/6) ms ≈ 132 s up.
// ---------------------------------------------------------------------------------------------------------

export const HIST_MIN_MS = 0.1
export const HIST_PER_DOUBLING = 6
export const HIST_LOG_BUCKETS = 122
export const HIST_BUCKETS = HIST_LOG_BUCKETS + 2
/** Largest relative error of a reported percentile against the true nearest-rank value: 2^(1/12) − 1. */
export const HIST_RELATIVE_ERROR = 2 ** (1 / (2 * HIST_PER_DOUBLING)) - 1

export type Histogram = Float64Array

export function emptyHistogram(): Histogram {
  return new Float64Array(HIST_BUCKETS)
}

export function bucketOf(ms: number): number {
  if (!(ms >= HIST_MIN_MS)) return 0
  const k = Math.floor(Math.log2(ms / HIST_MIN_MS) * HIST_PER_DOUBLING) + 1
  return Math.min(k, HIST_BUCKETS - 1)
}

/** Lower and upper bound (ms) of a bucket; the last bucket's upper bound is Infinity. */
export function bucketBounds(k: number): [number, number] {
  if (k <= 0) return [0, HIST_MIN_MS]
  const lo = HIST_MIN_MS * 2 ** ((k - 1) / HIST_PER_DOUBLING)
  if (k >= HIST_BUCKETS - 1) return [lo, Infinity]
  return [lo, HIST_MIN_MS * 2 ** (k / HIST_PER_DOUBLING)]
}

/** Sparse encoding: (bucket index byte, LEB128 count) pairs for non-empty buckets, in index order. */
export function encodeHistogram(h: Histogram): Buffer {
  const bytes: number[] = []
  for (let k = 0; k < h.length; k++) if (h[k] > 0) pushBucket(bytes, k, h[k])
  return Buffer.from(bytes)
}

/** Reads the (bucket index, LEB128 count) pair at `at`; returns [index, count, offset after it]. */
function readBucket(blob: Uint8Array, at: number): [number, number, number] {
  let i = at
  const k = blob[i++]
  let n = 0
  let scale = 1
  for (;;) {
    const b = blob[i++]
    n += (b & 127) * scale
    if (b < 128 || i >= blob.length) break
    scale *= 128
  }

  return [k, n, i]
}

/** Appends one (bucket index, LEB128 count) pair. */
function pushBucket(bytes: number[], k: number, count: number): void {
  let n = count
  bytes.push(k)
  while (n >= 128) {
    bytes.push((n % 128) | 128)
    n = Math.floor(n / 128)
  }

  bytes.push(n)
}

/** Adds an encoded histogram into `into` (allocating one when absent) and returns it. */
export function mergeEncoded(blob: Uint8Array | null | undefined, into: Histogram = emptyHistogram()): Histogram {
  if (!blob) return into
  let i = 0
  while (i < blob.length) {
    const [k, n, next] = readBucket(blob, i)
    i = next
    if (k < into.length) into[k] += n
  }

  return into
}

export function mergeHistogram(into: Histogram, from: Histogram): Histogram {
  for (let k = 0; k < into.length; k++) into[k] += from[k]
  return into
}

/**
 * Nearest-rank percentile (p in 0..100) from a histogram: the geometric centre of the bucket holding the
 * rank, capped at the true maximum when it is known. Undefined when the histogram is empty.
 */
export function percentile(h: Histogram, p: number, maxMs?: number): number | undefined {
  let total = 0
  for (const n of h) total += n
  if (total === 0) return undefined
  const rank = Math.max(1, Math.ceil((p / 100) * total))
  let seen = 0
  for (const [k, element] of h.entries()) {
    seen += element
    if (seen < rank) continue
    let value: number
    if (k === 0) value = HIST_MIN_MS / 2
    else if (k === HIST_BUCKETS - 1) value = maxMs ?? bucketBounds(k)[0]
    else value = HIST_MIN_MS * 2 ** ((k - 0.5) / HIST_PER_DOUBLING)
    return maxMs === undefined ? value : Math.min(value, maxMs)
  }

  return undefined
}

// ---------------------------------------------------------------------------------------------------------
// Time buckets
// ---------------------------------------------------------------------------------------------------------

export function hourStart(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS
}

/** Calendar fields of an instant in a time zone (month 1..12). */
export function zonedParts(
  ts: number,
  timeZone: string,
): {year: number; month: number; day: number; hour: number; minute: number; second: number} {
  const {year, month, day, hour, minute, second} = wallClock(ts, timeZone)
  return {year, month, day, hour, minute, second}
}

/** The instant of a local wall-clock time (month 1..12; overflowing fields roll over; DST rule in util/zoned-time). */
export function zonedTime(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  timeZone = ROLLUP_TIME_ZONE,
): number {
  return zonedToEpoch(year, month, day, hour, minute, second, timeZone)
}

/** The instant of local midnight starting the given calendar day. */
export function zonedMidnight(year: number, month: number, day: number, timeZone = ROLLUP_TIME_ZONE): number {
  return zonedTime(year, month, day, 0, 0, 0, timeZone)
}

/** Start of the calendar day (in the zone) holding ts. */
export function zonedDayStart(ts: number, timeZone = ROLLUP_TIME_ZONE): number {
  const p = zonedParts(ts, timeZone)
  return zonedMidnight(p.year, p.month, p.day, timeZone)
}

/** Start of the calendar day after the one starting at dayStart. */
export function nextZonedDay(dayStart: number, timeZone = ROLLUP_TIME_ZONE): number {
  const p = zonedParts(dayStart + 12 * HOUR_MS, timeZone)
  return zonedMidnight(p.year, p.month, p.day + 1, timeZone)
}

// London's offset changes only on whole hours, so every hour lies in one day; cache day starts by hour.
const dayOfHour = new Map<number, number>()

export function dayStartOfHour(hour: number): number {
  let d = dayOfHour.get(hour)
  if (d === undefined) {
    if (dayOfHour.size > 50_000) dayOfHour.clear()
    d = zonedDayStart(hour)
    dayOfHour.set(hour, d)
  }

  return d
}

// ---------------------------------------------------------------------------------------------------------
// Rollup rows
// ---------------------------------------------------------------------------------------------------------

/** Counts and latency of a set of results. */
export interface Aggregate {
  ok: number
  warn: number
  crit: number
  unknown: number
  /** Sum and max of the latency of up (ok/warn) results, in ms. */
  sumMs: number
  maxMs: number
  hist: Histogram
}

export function emptyAggregate(): Aggregate {
  return {ok: 0, warn: 0, crit: 0, unknown: 0, sumMs: 0, maxMs: 0, hist: emptyHistogram()}
}

export function addResult(a: Aggregate, status: Status, durationMs: number): void {
  a[status]++
  if (status === 'ok' || status === 'warn') {
    const ms = Math.max(0, durationMs)
    a.sumMs += ms
    if (ms > a.maxMs) a.maxMs = ms
    a.hist[bucketOf(ms)]++
  }
}

export function mergeAggregate(into: Aggregate, from: Aggregate): Aggregate {
  into.ok += from.ok
  into.warn += from.warn
  into.crit += from.crit
  into.unknown += from.unknown
  into.sumMs += from.sumMs
  into.maxMs = Math.max(into.maxMs, from.maxMs)
  mergeHistogram(into.hist, from.hist)
  return into
}

export interface RollupRow {
  ok: number
  warn: number
  crit: number
  unknown: number
  sum_ms: number
  max_ms: number
  hist: Buffer
}

export function addRow(into: Aggregate, row: RollupRow): void {
  into.ok += row.ok
  into.warn += row.warn
  into.crit += row.crit
  into.unknown += row.unknown
  into.sumMs += row.sum_ms
  into.maxMs = Math.max(into.maxMs, row.max_ms)
  mergeEncoded(row.hist, into.hist)
}

/** One result as the rollups need it. */
export interface RollupInput {
  checkRef: number
  /** The vantage the result came from (0 or absent: none). */
  vantageRef?: number
  ts: number
  status: Status
  durationMs: number
}

type Stmt<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>

/** The statements of one schema: tables and their key columns, with or without vantage_ref. */
interface Statements {
  /** The schema keeps rollups per vantage (migration 7). */
  vantage: boolean
  /** `INSERT … (cols)` heads and `ON CONFLICT …` tails of the multi-row upserts. */
  putHour: {head: string; width: number; tail: string}
  putDay: {head: string; width: number; tail: string}
  putCursor: {head: string; width: number; tail: string}
  /** Cursor and open outage of each check ref in a JSON list, for one vantage ref. */
  cursors: Stmt<[string, number, number], {ref: number; last_ts: number | null; outage: number | null}>
  startOutage: Stmt
  extendOutage: Stmt
  endOutage: Stmt
}

/** Merges two encoded histograms (sorted sparse lists) without expanding them. */
export function mergeEncodedPair(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length === 0) return Buffer.from(b)
  if (b.length === 0) return Buffer.from(a)
  const out: number[] = []
  let i = 0
  let j = 0
  const read = readBucket
  const write = (k: number, n: number) => pushBucket(out, k, n)
  let x = i < a.length ? read(a, i) : undefined
  let y = j < b.length ? read(b, j) : undefined
  while (x || y) {
    if (x && (!y || x[0] < y[0])) {
      write(x[0], x[1])
      i = x[2]
      x = i < a.length ? read(a, i) : undefined
    } else if (y && (!x || y[0] < x[0])) {
      write(y[0], y[1])
      j = y[2]
      y = j < b.length ? read(b, j) : undefined
    } else {
      write(x![0], x![1] + y![1])
      i = x![2]
      j = y![2]
      x = i < a.length ? read(a, i) : undefined
      y = j < b.length ? read(b, j) : undefined
    }
  }

  return Buffer.from(out)
}

const blob = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array())

const statements = new WeakMap<DB, Statements & {schema: number; version: Stmt<[], number>}>()

/**
 * Statements of the rollup tables. From migration 7 on, rollups, outages and the cursor are kept per check
 * and vantage; migration 3 folds results in before that, so the statements follow the schema they find
 * (the cursor takes the vantage ref either way; without the column it is ignored).
 */
function prepared(db: DB): Statements {
  let s = statements.get(db)
  if (s && s.version.get() === s.schema) return s
  const version = s?.version ?? db.prepare<[], number>('PRAGMA schema_version').pluck()
  const schema = version.get() ?? 0
  const v =
    db.prepare("SELECT 1 FROM pragma_table_info('rollup_cursor') WHERE name = 'vantage_ref'").get() !== undefined
  const vCol = v ? ', vantage_ref' : ''
  // Adds a delta row into the stored one in a single statement; histograms merge in wk_hist_merge.
  db.function('wk_hist_merge', {deterministic: true}, (x: unknown, y: unknown) => mergeEncodedPair(blob(x), blob(y)))
  const put = (table: string, col: string) => ({
    head: `INSERT INTO ${table} (${col}, check_ref${vCol}, ok, warn, crit, unknown, sum_ms, max_ms, hist)`,
    width: v ? 10 : 9,
    tail: `ON CONFLICT(${col}, check_ref${vCol}) DO UPDATE SET ok = ok + excluded.ok, warn = warn + excluded.warn, crit = crit + excluded.crit,
      unknown = unknown + excluded.unknown, sum_ms = sum_ms + excluded.sum_ms, max_ms = max(max_ms, excluded.max_ms),
      hist = wk_hist_merge(hist, excluded.hist)`,
  })
  s = {
    schema,
    version,
    vantage: v,
    putHour: put('rollup_hourly', 'hour_start'),
    putDay: put('rollup_daily', 'day_start'),
    cursors: db.prepare(`SELECT x.value AS ref, c.last_ts, o.id AS outage FROM json_each(?) x
      LEFT JOIN rollup_cursor c ON c.check_ref = x.value AND ${v ? 'c.vantage_ref = ?' : '? IS NOT NULL'}
      LEFT JOIN outages o ON o.check_ref = x.value AND ${v ? 'o.vantage_ref = ?' : '? IS NOT NULL'} AND o.ended_at IS NULL`),
    putCursor: {
      head: `INSERT INTO rollup_cursor (check_ref${vCol}, last_ts)`,
      width: v ? 3 : 2,
      tail: `ON CONFLICT(check_ref${vCol}) DO UPDATE SET last_ts = excluded.last_ts`,
    },
    startOutage: db.prepare(
      `INSERT INTO outages (check_ref${vCol}, started_at, last_down_at, down_results) VALUES (?${v ? ', ?' : ''}, ?, ?, ?)`,
    ),
    extendOutage: db.prepare(
      'UPDATE outages SET last_down_at = max(last_down_at, ?), down_results = down_results + ? WHERE id = ?',
    ),
    endOutage: db.prepare('UPDATE outages SET ended_at = ? WHERE id = ?'),
  }
  statements.set(db, s)
  return s
}

/** A batch's contribution to one rollup row: counts, latency, and bucket counts kept sparse. */
interface Delta {
  start: number
  checkRef: number
  vantageRef: number
  ok: number
  warn: number
  crit: number
  unknown: number
  sumMs: number
  maxMs: number
  buckets: Map<number, number>
}

function addToDelta(d: Delta, status: Status, durationMs: number): void {
  d[status]++
  if (status === 'ok' || status === 'warn') {
    const ms = Math.max(0, durationMs)
    d.sumMs += ms
    if (ms > d.maxMs) d.maxMs = ms
    const k = bucketOf(ms)
    d.buckets.set(k, (d.buckets.get(k) ?? 0) + 1)
  }
}

function encodeBuckets(buckets: Map<number, number>): Buffer {
  const keys = buckets.size === 1 ? [...buckets.keys()] : [...buckets.keys()].sort((a, b) => a - b)
  const bytes: number[] = []
  for (const k of keys) pushBucket(bytes, k, buckets.get(k)!)
  return Buffer.from(bytes)
}

function writeDeltas(db: DB, s: Statements, put: Statements['putHour'], deltas: Iterable<Delta>): void {
  const list = [...deltas]
  if (!s.vantage && list.some((d) => d.vantageRef !== 0))
    throw new Error('results with a vantage need schema version 7')
  writeRows(db, put, list, (d) => [
    d.start,
    d.checkRef,
    ...(s.vantage ? [d.vantageRef] : []),
    d.ok,
    d.warn,
    d.crit,
    d.unknown,
    d.sumMs,
    d.maxMs,
    encodeBuckets(d.buckets),
  ])
}

/** One check's results of a batch (one vantage), for the outage bookkeeping. */
interface Series {
  checkRef: number
  vantageRef: number
  results: RollupInput[]
}

/**
 * Folds results into the hourly and daily rollups and the outage table. Call inside the transaction
 * that inserts the results: one multi-row upsert per ROWS_PER_STATEMENT (check, hour) and (check, day)
 * touched, one read of the cursors and open outages per vantage, and one multi-row cursor upsert.
 *
 * Outages: a down result opens one (or extends the open one); the next up result ends it at its own
 * time. Unknown results neither open nor end an outage. A result older than the newest one already
 * seen for its check (out of order) still counts in the rollups but does not move outages.
 */
/** Readies what updateRollups needs (its statements, the rollup zone's rules) ahead of a write. */
export function prepareRollups(db: DB): void {
  prepared(db)
  dayStartOfHour(hourStart(Date.now()))
}

export function updateRollups(db: DB, inputs: readonly RollupInput[]): void {
  if (inputs.length === 0) return
  const s = prepared(db)
  const hours = new Map<string, Delta>()
  const days = new Map<string, Delta>()
  const bySeries = new Map<string, Series>()
  const delta = (map: Map<string, Delta>, start: number, checkRef: number, vantageRef: number): Delta => {
    const key = `${checkRef}:${vantageRef}:${start}`
    let d = map.get(key)
    if (!d)
      map.set(
        key,
        (d = {
          start,
          checkRef,
          vantageRef,
          ok: 0,
          warn: 0,
          crit: 0,
          unknown: 0,
          sumMs: 0,
          maxMs: 0,
          buckets: new Map(),
        }),
      )
    return d
  }

  for (const r of inputs) {
    const h = hourStart(r.ts)
    const vref = r.vantageRef ?? 0
    addToDelta(delta(hours, h, r.checkRef, vref), r.status, r.durationMs)
    addToDelta(delta(days, dayStartOfHour(h), r.checkRef, vref), r.status, r.durationMs)
    const key = `${r.checkRef}:${vref}`
    const series = bySeries.get(key)
    if (series) series.results.push(r)
    else bySeries.set(key, {checkRef: r.checkRef, vantageRef: vref, results: [r]})
  }

  writeDeltas(db, s, s.putHour, hours.values())
  writeDeltas(db, s, s.putDay, days.values())
  moveOutages(db, s, [...bySeries.values()])
}

/** The outage bookkeeping of a batch: cursors and open outages read at once, outages moved, cursors written at once. */
function moveOutages(db: DB, s: Statements, all: readonly Series[]): void {
  const byVantage = new Map<number, Series[]>()
  for (const x of all) {
    const list = byVantage.get(x.vantageRef)
    if (list) list.push(x)
    else byVantage.set(x.vantageRef, [x])
  }

  const cursors: {checkRef: number; vantageRef: number; last: number}[] = []
  for (const [vref, list] of byVantage) {
    const known = new Map<number, {last_ts: number | null; outage: number | null}>()
    for (const row of s.cursors.all(JSON.stringify(list.map((x) => x.checkRef)), vref, vref)) known.set(row.ref, row)
    for (const x of list) {
      const last = seriesOutages(s, x, known.get(x.checkRef))
      if (Number.isFinite(last)) cursors.push({checkRef: x.checkRef, vantageRef: vref, last})
    }
  }

  writeRows(db, s.putCursor, cursors, (c) => (s.vantage ? [c.checkRef, c.vantageRef, c.last] : [c.checkRef, c.last]))
}

/** Moves one check's outages through its results in time order; returns the newest time seen. */
function seriesOutages(
  s: Statements,
  x: Series,
  state: {last_ts: number | null; outage: number | null} | undefined,
): number {
  const series = s.vantage ? [x.checkRef, x.vantageRef] : [x.checkRef]
  const list = x.results
  if (list.length > 1) list.sort((a, b) => a.ts - b.ts)
  let last = state?.last_ts ?? -Infinity
  let open = state?.outage ?? null
  let downs = 0
  let lastDown = 0
  for (const r of list) {
    if (r.ts < last) continue
    last = r.ts
    if (r.status === 'crit') {
      if (open === null) {
        open = Number(s.startOutage.run(...series, r.ts, r.ts, 1).lastInsertRowid)
      } else {
        downs++
        lastDown = r.ts
      }
    } else if ((r.status === 'ok' || r.status === 'warn') && open !== null) {
      if (downs > 0) s.extendOutage.run(lastDown, downs, open)
      downs = 0
      s.endOutage.run(r.ts, open)
      open = null
    }
  }

  if (downs > 0 && open !== null) s.extendOutage.run(lastDown, downs, open)
  return last
}

// ---------------------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------------------

export type RollupLevel = 'hourly' | 'daily'

/** Rollup rows with start in [from, to), added per check into `into`. */
export function addRollups(
  db: DB,
  level: RollupLevel,
  from: number,
  to: number,
  into: Map<number, Aggregate>,
  opts: {vantageRef?: number} = {},
): number {
  if (to <= from) return 0
  const [table, col] = level === 'hourly' ? ['rollup_hourly', 'hour_start'] : ['rollup_daily', 'day_start']
  // Summed per check inside SQLite. Encoded histograms are self-delimiting (bucket, count) pairs, so
  // their concatenation decodes to the sum. "+check_ref" keeps the planner on the primary-key range.
  // A raw row: check_ref, rows, ok, warn, crit, unknown, sum_ms, max_ms, hist.
  type Summed = [number, number, number, number, number, number, number, number, Buffer | null]
  const stmt = db
    .prepare<number[], Summed>(
      `SELECT check_ref, count(*), sum(ok), sum(warn), sum(crit), sum(unknown), sum(sum_ms), max(max_ms),
      CAST(group_concat(hist, x'') AS BLOB)
    FROM ${table} WHERE ${col} >= ? AND ${col} < ?${opts.vantageRef === undefined ? '' : ' AND vantage_ref = ?'} GROUP BY +check_ref`,
    )
    .raw(true)
  let n = 0
  const args = opts.vantageRef === undefined ? [from, to] : [from, to, opts.vantageRef]
  for (const [ref, rows, ok, warn, crit, unknown, sumMs, maxMs, hist] of stmt.all(...args)) {
    let a = into.get(ref)
    if (!a) into.set(ref, (a = emptyAggregate()))
    addRow(a, {ok, warn, crit, unknown, sum_ms: sumMs, max_ms: maxMs, hist: hist ?? Buffer.alloc(0)})
    n += rows
  }

  return n
}

const STATUS_OF_CODE: Status[] = ['ok', 'warn', 'crit', 'unknown']

/** Raw results with ts in [from, to), added per check into `into` (optionally one vantage's). */
export function addRaw(
  db: DB,
  from: number,
  to: number,
  into: Map<number, Aggregate>,
  opts: {vantageRef?: number} = {},
): number {
  if (to <= from) return 0
  let n = 0
  scanRaw(
    db,
    from,
    to,
    (ref, e) => {
      let a = into.get(ref)
      if (!a) into.set(ref, (a = emptyAggregate()))
      addResult(a, STATUS_OF_CODE[e.status] ?? 'unknown', e.durationMs)
      n++
    },
    opts,
  )
  return n
}

/** Retention marks: everything of a level before the mark has been pruned. */
export type RetentionLevel = 'raw' | 'hourly' | 'daily'

export function retentionMarks(db: DB): Record<RetentionLevel, number> {
  const out: Record<RetentionLevel, number> = {raw: -Infinity, hourly: -Infinity, daily: -Infinity}
  for (const row of db
    .prepare<[], {level: RetentionLevel; pruned_before: number}>('SELECT level, pruned_before FROM retention_marks')
    .all()) {
    out[row.level] = row.pruned_before
  }

  return out
}

export function setRetentionMark(db: DB, level: RetentionLevel, before: number): void {
  db.prepare(
    `INSERT INTO retention_marks (level, pruned_before) VALUES (?, ?)
    ON CONFLICT(level) DO UPDATE SET pruned_before = max(pruned_before, excluded.pruned_before)`,
  ).run(level, before)
}

export interface CheckRow {
  ref: number
  checkId: string
  name: string | null
  service: string | null
  /** A posture check: kind web-security or email-security, or any check with posture rows (tls with posture:). */
  posture: boolean
}

export function checkRows(db: DB): CheckRow[] {
  const kinds = [...POSTURE_KINDS].map((k) => `'${k}'`).join(', ')
  return db
    .prepare<[], {id: number; check_id: string; name: string | null; service: string | null; posture: number}>(
      `SELECT c.id, c.check_id, c.name, c.service,
      (c.kind IN (${kinds}) OR EXISTS (SELECT 1 FROM posture p WHERE p.check_ref = c.id)) AS posture
    FROM checks c ORDER BY c.check_id`,
    )
    .all()
    .map((r) => ({ref: r.id, checkId: r.check_id, name: r.name, service: r.service, posture: r.posture === 1}))
}

export interface OutageRow {
  checkRef: number
  startedAt: number
  lastDownAt: number
  /** Time of the first up result after the outage; null while it lasts. */
  endedAt: number | null
  downResults: number
}

/** Outages that overlap [from, to): started before `to` and not ended by `from`. */
export function outagesOverlapping(db: DB, from: number, to: number, opts: {vantageRef?: number} = {}): OutageRow[] {
  type Row = {
    check_ref: number
    started_at: number
    last_down_at: number
    ended_at: number | null
    down_results: number
  }
  const v = opts.vantageRef === undefined ? {sql: '', args: []} : {sql: ' AND vantage_ref = ?', args: [opts.vantageRef]}
  const rows = [
    ...db
      .prepare<number[], Row>(`SELECT * FROM outages WHERE ended_at > ? AND started_at < ?${v.sql}`)
      .all(from, to, ...v.args),
    ...db
      .prepare<number[], Row>(`SELECT * FROM outages WHERE ended_at IS NULL AND started_at < ?${v.sql}`)
      .all(to, ...v.args),
  ]
  return rows.map((r) => ({
    checkRef: r.check_ref,
    startedAt: r.started_at,
    lastDownAt: r.last_down_at,
    endedAt: r.ended_at,
    downResults: r.down_results,
  }))
}
