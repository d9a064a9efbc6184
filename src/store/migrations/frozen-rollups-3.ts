import type Database from 'better-sqlite3'

/*
 * A frozen copy of the rollup fold as it stood when migration 3 shipped: results without vantages folded
 * into rollup_hourly, rollup_daily, outages and rollup_cursor. The live code (src/store/rollups.ts) may
 * change; this copy must not, so migration 3 gives the same tables on every database it ever runs on.
 */

type Status = 'ok' | 'warn' | 'crit' | 'unknown'

/** Status codes as stored in results.status before migration 7. */
export const STATUS_OF_CODE: readonly Status[] = ['ok', 'warn', 'crit', 'unknown']

export interface FoldInput {
  checkRef: number
  ts: number
  status: Status
  durationMs: number
}

const HOUR_MS = 3_600_000
const TIME_ZONE = 'Europe/London'
// Six log buckets per doubling from 0.1 ms; bucket 0 holds [0, 0.1 ms), the last everything from about 132 s.
const HIST_MIN_MS = 0.1
const HIST_PER_DOUBLING = 6
const HIST_BUCKETS = 124

function bucketOf(ms: number): number {
  if (!(ms >= HIST_MIN_MS)) return 0
  const k = Math.floor(Math.log2(ms / HIST_MIN_MS) * HIST_PER_DOUBLING) + 1
  return Math.min(k, HIST_BUCKETS - 1)
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

function pushBucket(bytes: number[], k: number, count: number): void {
  let n = count
  bytes.push(k)
  while (n >= 128) {
    bytes.push((n % 128) | 128)
    n = Math.floor(n / 128)
  }

  bytes.push(n)
}

/** Merges two encoded histograms (sorted sparse lists of bucket, count) without expanding them. */
function mergeEncodedPair(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length === 0) return Buffer.from(b)
  if (b.length === 0) return Buffer.from(a)
  const out: number[] = []
  let x: [number, number, number] | undefined = readBucket(a, 0)
  let y: [number, number, number] | undefined = readBucket(b, 0)
  const next = (blob: Uint8Array, p: [number, number, number]) =>
    p[2] < blob.length ? readBucket(blob, p[2]) : undefined
  while (x || y) {
    if (x && (!y || x[0] < y[0])) {
      pushBucket(out, x[0], x[1])
      x = next(a, x)
    } else if (y && (!x || y[0] < x[0])) {
      pushBucket(out, y[0], y[1])
      y = next(b, y)
    } else if (x && y) {
      pushBucket(out, x[0], x[1] + y[1])
      x = next(a, x)
      y = next(b, y)
    }
  }

  return Buffer.from(out)
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function londonParts(ms: number): {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
} {
  let f = formatters.get(TIME_ZONE)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: TIME_ZONE,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(TIME_ZONE, f)
  }

  const parts: Record<string, string> = {}
  for (const p of f.formatToParts(new Date(ms))) parts[p.type] = p.value
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  }
}

function offsetMs(ms: number): number {
  const p = londonParts(ms)
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000
}

/** The instant of London midnight starting a calendar day (a repeated time is its earlier instant). */
function londonMidnight(year: number, month: number, day: number): number {
  const local = Date.UTC(year, month - 1, day, 0, 0, 0)
  const before = offsetMs(local - 43_200_000)
  const after = offsetMs(local + 43_200_000)
  const matches = [local - before, local - after].filter((t) => t + offsetMs(t) === local)
  return matches.length > 0 ? Math.min(...matches) : local - before
}

const dayOfHour = new Map<number, number>()

/** London's offset changes only on whole hours, so every UTC hour lies in one London day. */
function dayStartOfHour(hour: number): number {
  let d = dayOfHour.get(hour)
  if (d === undefined) {
    if (dayOfHour.size > 50_000) dayOfHour.clear()
    const p = londonParts(hour)
    d = londonMidnight(p.year, p.month, p.day)
    dayOfHour.set(hour, d)
  }

  return d
}

interface Delta {
  start: number
  checkRef: number
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
  const bytes: number[] = []
  for (const k of [...buckets.keys()].sort((a, b) => a - b)) pushBucket(bytes, k, buckets.get(k) ?? 0)
  return Buffer.from(bytes)
}

interface CursorRow {
  last_ts: number | null
  outage: number | null
}

interface Statements {
  putHour: Database.Statement<unknown[]>
  putDay: Database.Statement<unknown[]>
  cursor: Database.Statement<[number], CursorRow>
  putCursor: Database.Statement<[number, number]>
  startOutage: Database.Statement<[number, number, number, number]>
  extendOutage: Database.Statement<[number, number, number]>
  endOutage: Database.Statement<[number, number]>
}

function prepare(db: Database.Database): Statements {
  db.function('wk_m3_hist_merge', {deterministic: true}, (x: unknown, y: unknown) =>
    mergeEncodedPair(x instanceof Uint8Array ? x : new Uint8Array(), y instanceof Uint8Array ? y : new Uint8Array()),
  )
  const put = (table: string, col: string) =>
    db.prepare<unknown[]>(`
    INSERT INTO ${table} (${col}, check_ref, ok, warn, crit, unknown, sum_ms, max_ms, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(${col}, check_ref) DO UPDATE SET ok = ok + excluded.ok, warn = warn + excluded.warn, crit = crit + excluded.crit,
      unknown = unknown + excluded.unknown, sum_ms = sum_ms + excluded.sum_ms, max_ms = max(max_ms, excluded.max_ms),
      hist = wk_m3_hist_merge(hist, excluded.hist)`)
  return {
    putHour: put('rollup_hourly', 'hour_start'),
    putDay: put('rollup_daily', 'day_start'),
    cursor: db.prepare<[number], CursorRow>(`SELECT c.last_ts, o.id AS outage FROM (SELECT ? AS ref) x
      LEFT JOIN rollup_cursor c ON c.check_ref = x.ref LEFT JOIN outages o ON o.check_ref = x.ref AND o.ended_at IS NULL`),
    putCursor: db.prepare<[number, number]>(
      'INSERT INTO rollup_cursor (check_ref, last_ts) VALUES (?, ?) ON CONFLICT(check_ref) DO UPDATE SET last_ts = excluded.last_ts',
    ),
    startOutage: db.prepare<[number, number, number, number]>(
      'INSERT INTO outages (check_ref, started_at, last_down_at, down_results) VALUES (?, ?, ?, ?)',
    ),
    extendOutage: db.prepare<[number, number, number]>(
      'UPDATE outages SET last_down_at = max(last_down_at, ?), down_results = down_results + ? WHERE id = ?',
    ),
    endOutage: db.prepare<[number, number]>('UPDATE outages SET ended_at = ? WHERE id = ?'),
  }
}

/** Moves one check's outages and cursor over its results (sorted by time); older-than-cursor results are skipped. */
function foldOutages(s: Statements, checkRef: number, list: FoldInput[]): void {
  const state = s.cursor.get(checkRef)
  let last = state?.last_ts ?? -Infinity
  let open = state?.outage ?? null
  let downs = 0
  let lastDown = 0
  for (const r of list) {
    if (r.ts < last) continue
    last = r.ts
    if (r.status === 'crit') {
      if (open === null) {
        open = Number(s.startOutage.run(checkRef, r.ts, r.ts, 1).lastInsertRowid)
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
  if (Number.isFinite(last)) s.putCursor.run(checkRef, last)
}

/** Folds a batch of results into the rollups and outages (inside the migration's transaction). */
export function foldResults(db: Database.Database, inputs: readonly FoldInput[], s: Statements = prepare(db)): void {
  if (inputs.length === 0) return
  const hours = new Map<string, Delta>()
  const days = new Map<string, Delta>()
  const byCheck = new Map<number, FoldInput[]>()
  const delta = (map: Map<string, Delta>, start: number, checkRef: number): Delta => {
    const key = `${checkRef}:0:${start}`
    let d = map.get(key)
    if (!d)
      map.set(key, (d = {start, checkRef, ok: 0, warn: 0, crit: 0, unknown: 0, sumMs: 0, maxMs: 0, buckets: new Map()}))
    return d
  }

  for (const r of inputs) {
    const h = Math.floor(r.ts / HOUR_MS) * HOUR_MS
    addToDelta(delta(hours, h, r.checkRef), r.status, r.durationMs)
    addToDelta(delta(days, dayStartOfHour(h), r.checkRef), r.status, r.durationMs)
    let list = byCheck.get(r.checkRef)
    if (!list) byCheck.set(r.checkRef, (list = []))
    list.push(r)
  }

  const write = (put: Statements['putHour'], d: Delta) =>
    put.run(d.start, d.checkRef, d.ok, d.warn, d.crit, d.unknown, d.sumMs, d.maxMs, encodeBuckets(d.buckets))
  for (const d of hours.values()) write(s.putHour, d)
  for (const d of days.values()) write(s.putDay, d)
  for (const [checkRef, list] of byCheck)
    foldOutages(s, checkRef, list.length > 1 ? list.sort((a, b) => a.ts - b.ts) : list)
}

/** The statements foldResults uses, prepared once for a run of batches. */
export const prepareFold = prepare
