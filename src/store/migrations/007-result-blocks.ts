import {createHash} from 'node:crypto'

import type Database from 'better-sqlite3'

import type {Migration} from './index.js'

/*
 * Results move from one row each (a rowid table and three indexes) into blocks: one row per check,
 * vantage and UTC hour with the hour's results packed (src/store/result-blocks.ts describes the format).
 * Old results are converted here with a frozen copy of the block encoder, so this migration does not
 * change when the live code does. Result ids change (block id × 4096 + position); every id stored in
 * posture, monitor_state and monitor_events is converted, and every referenced old id (incident
 * timelines and notification bodies hold some, which are never rewritten) is kept in result_aliases.
 */

const CAPACITY = 4096
const HOUR = 3_600_000
const TIMINGS = [
  ['dnsMs', 'dns_ms'],
  ['connectMs', 'connect_ms'],
  ['tlsMs', 'tls_ms'],
  ['ttfbMs', 'ttfb_ms'],
] as const

class Out {
  bytes: number[] = []

  u(v: number): void {
    let n = v
    while (n >= 128) {
      this.bytes.push((n % 128) | 128)
      n = Math.floor(n / 128)
    }

    this.bytes.push(n)
  }

  s(v: number): void {
    this.u(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  f(v: number): void {
    const b = Buffer.alloc(8)
    b.writeDoubleLE(v)
    for (const x of b) this.bytes.push(x)
  }
}

interface State {
  n: number
  prevTs: number
  prevDelta: number
  shape: number
  text: number
  extra: number
  run: number
  prevDuration: number
  prev: Map<string, number>
  nums: Map<number, number[]>
  statuses: number
  runLo: number | null
  runHi: number | null
  out: Out
}

function fresh(hour: number): State {
  return {
    n: 0,
    prevTs: hour * HOUR,
    prevDelta: 0,
    shape: -1,
    text: -1,
    extra: 0,
    run: 0,
    prevDuration: 0,
    prev: new Map(),
    nums: new Map(),
    statuses: 0,
    runLo: null,
    runHi: null,
    out: new Out(),
  }
}

function codeOf(v: number): 'i' | 't' | 'f' {
  if (Number.isSafeInteger(v) && Math.abs(v) < 2 ** 48) return 'i'
  const t = Math.round(v * 10)
  if (Number.isSafeInteger(t) && Math.abs(t) < 2 ** 48 && t / 10 === v) return 't'
  return 'f'
}

interface OldRow {
  id: number
  check_ref: number
  run_id: number | null
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

/** An old row's details column: findings, metrics and details as JSON. */
interface OldExtra {
  findings?: unknown[]
  metrics?: Record<string, unknown>
  details?: Record<string, unknown>
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}

function oldExtra(details: string | null): OldExtra {
  if (!details) return {}
  const parsed: unknown = JSON.parse(details)
  const extra: OldExtra = {}
  if (!isObject(parsed)) return extra
  if (Array.isArray(parsed.findings)) extra.findings = parsed.findings
  if (isObject(parsed.metrics)) extra.metrics = parsed.metrics
  if (isObject(parsed.details)) extra.details = parsed.details
  return extra
}

/** The shape fields of a row (its timings, then its numeric metrics) and their values in order. */
function shapeOf(r: OldRow, extra: OldExtra): {fields: [string, string][]; values: number[]} {
  const fields: [string, string][] = []
  const values: number[] = []
  for (const [name, col] of TIMINGS) {
    const v = r[col]
    if (v === null) continue
    fields.push([name, 'i'])
    values.push(v)
  }

  for (const [k, v] of Object.entries(extra.metrics ?? {})) {
    if (typeof v !== 'number') continue
    fields.push(['#' + k, codeOf(v)])
    values.push(v)
  }

  return {fields, values}
}

/** A summary as its template and numbers (one holding the slot character is kept whole). */
function splitSummary(summary: string): {template: string; numbers: number[]} {
  const numbers: number[] = []
  const template = summary.includes('\u0001')
    ? 'L' + summary
    : 'T' +
      summary.replaceAll(/(?<!\d)(?:0|[1-9]\d{0,14})(?!\d)/g, (m) => {
        numbers.push(Number(m))
        return '\u0001'
      })
  return {template, numbers}
}

/** The dictionary text of a row's findings and details, if it has any. */
function extraText(extra: OldExtra): string | undefined {
  const x: {findings?: unknown[]; details?: Record<string, unknown>} = {}
  if (extra.findings && extra.findings.length > 0) x.findings = extra.findings
  if (extra.details && Object.keys(extra.details).length > 0) x.details = extra.details
  return x.findings || x.details ? 'X' + JSON.stringify(x) : undefined
}

/** One encoded row: its dictionary ids and what is written of it besides them. */
interface Coded {
  shape: number
  text: number
  extra: number
  fields: [string, string][]
  values: number[]
  numbers: number[]
}

/** Writes a row's bytes to the block and moves the state on to it. */
function write(st: State, r: OldRow, c: Coded): void {
  const run = r.run_id ?? 0
  const {out} = st
  let flags = r.status & 3
  if (c.shape === st.shape) flags |= 4
  if (c.text === st.text) flags |= 8
  if (c.extra === st.extra) flags |= 16
  if (run === st.run) flags |= 32
  if (r.attempts === 1) flags |= 64
  out.bytes.push(flags)
  const delta = r.ts - st.prevTs
  out.s(delta - st.prevDelta)
  st.prevDelta = delta
  st.prevTs = r.ts
  if (!(flags & 4)) out.u(c.shape)
  if (!(flags & 64)) out.u(r.attempts)
  if (!(flags & 32)) out.s(run - st.run)
  out.s(r.duration_ms - st.prevDuration)
  st.prevDuration = r.duration_ms
  for (const [i, [k, code]] of c.fields.entries()) {
    const v = c.values[i]
    if (code === 'f') {
      out.f(v)
      continue
    }

    const n = code === 't' ? Math.round(v * 10) : v
    out.s(n - (st.prev.get(k) ?? 0))
    st.prev.set(k, n)
  }

  if (!(flags & 8)) out.u(c.text)
  const before = st.nums.get(c.text)
  for (const [i, n] of c.numbers.entries()) out.s(n - (before?.[i] ?? 0))
  st.nums.set(c.text, c.numbers)
  if (!(flags & 16)) out.u(c.extra)
  st.shape = c.shape
  st.text = c.text
  st.extra = c.extra
  st.run = run
  st.n++
}

/** Records a row's status and run id in the block's statuses and run bounds. */
function tally(st: State, r: OldRow): void {
  st.statuses |= 1 << (r.status & 3)
  if (r.run_id !== null) {
    st.runLo = st.runLo === null ? r.run_id : Math.min(st.runLo, r.run_id)
    st.runHi = st.runHi === null ? r.run_id : Math.max(st.runHi, r.run_id)
  }
}

function encode(st: State, r: OldRow, dict: (text: string) => number): void {
  const extra = oldExtra(r.details)
  const {fields, values} = shapeOf(r, extra)
  const shape = dict('S' + JSON.stringify(fields))
  const {template, numbers} = splitSummary(r.summary)
  const text = dict(template)
  const x = extraText(extra)
  const extraId = x === undefined ? 0 : dict(x)
  write(st, r, {shape, text, extra: extraId, fields, values, numbers})
  tally(st, r)
}

/** New tables: vantages, the text dictionary, the blocks and the aliases of old result ids. */
const CREATE_SQL = `
      -- Where results were taken from (watch.vantage). vantage_ref 0 elsewhere means none.
      CREATE TABLE vantages (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        vantage_id  TEXT NOT NULL UNIQUE,
        net         TEXT,
        region      TEXT,
        first_seen  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL
      );
      -- Dictionary of the texts blocks refer to: shapes, summary templates, findings and details (JSON).
      -- last_hour is the newest hour (epoch ms / 3600000) of a block using it, for pruning.
      CREATE TABLE result_texts (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        hash       INTEGER NOT NULL,
        last_hour  INTEGER NOT NULL,
        text       TEXT NOT NULL
      );
      CREATE INDEX result_texts_hash ON result_texts(hash);
      CREATE INDEX result_texts_hour ON result_texts(last_hour);
      -- Results of one check and vantage in one UTC hour (hour = epoch ms / 3600000), packed in data;
      -- statuses has bit 1 << status for each status present; run_lo/run_hi bound the run ids in it.
      CREATE TABLE result_blocks (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        check_ref   INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        vantage_ref INTEGER NOT NULL,
        hour        INTEGER NOT NULL,
        n           INTEGER NOT NULL,
        statuses    INTEGER NOT NULL,
        run_lo      INTEGER,
        run_hi      INTEGER,
        data        BLOB NOT NULL
      );
      CREATE INDEX result_blocks_check ON result_blocks(check_ref, hour, vantage_ref);
      CREATE INDEX result_blocks_hour ON result_blocks(hour);
      CREATE INDEX result_blocks_run ON result_blocks(run_lo) WHERE run_lo IS NOT NULL;
      -- Result ids from before this layout that something still refers to, and their new ids.
      CREATE TABLE result_aliases (
        old_id  INTEGER PRIMARY KEY,
        new_id  INTEGER NOT NULL
      );
    `

/** Posture loses its foreign key to results (findings keep theirs to posture); ids are converted. */
const POSTURE_SQL = `
      CREATE TABLE posture_v7 (
        id          INTEGER PRIMARY KEY,
        result_id   INTEGER NOT NULL UNIQUE,
        check_ref   INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        run_id      INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        ts          INTEGER NOT NULL,
        status      INTEGER NOT NULL,
        evaluated   INTEGER NOT NULL,
        grade       TEXT,
        score       INTEGER
      );
      INSERT INTO posture_v7 (id, result_id, check_ref, run_id, ts, status, evaluated, grade, score)
        SELECT p.id, coalesce(a.new_id, p.result_id), p.check_ref, p.run_id, p.ts, p.status, p.evaluated, p.grade, p.score
        FROM posture p LEFT JOIN result_aliases a ON a.old_id = p.result_id ORDER BY p.id;
      CREATE TABLE posture_findings_v7 (
        posture_id  INTEGER NOT NULL REFERENCES posture_v7(id) ON DELETE CASCADE,
        finding_id  TEXT NOT NULL,
        severity    TEXT NOT NULL,
        message     TEXT NOT NULL
      );
      INSERT INTO posture_findings_v7 (posture_id, finding_id, severity, message)
        SELECT posture_id, finding_id, severity, message FROM posture_findings ORDER BY rowid;
      DROP TABLE posture_findings;
      DROP TABLE posture;
      ALTER TABLE posture_v7 RENAME TO posture;
      ALTER TABLE posture_findings_v7 RENAME TO posture_findings;
      CREATE INDEX posture_check_ts ON posture(check_ref, ts);
      CREATE INDEX posture_run ON posture(run_id);
      CREATE INDEX posture_findings_row ON posture_findings(posture_id);

    `

const MONITOR_SQL = `
      UPDATE monitor_state SET last_result_id = (SELECT new_id FROM result_aliases WHERE old_id = last_result_id)
        WHERE last_result_id IN (SELECT old_id FROM result_aliases);
      UPDATE monitor_events SET result_id = (SELECT new_id FROM result_aliases WHERE old_id = result_id)
        WHERE result_id IN (SELECT old_id FROM result_aliases);
    `

/** Rollups, outages and the outage cursor gain a vantage; the old results table goes. */
const ROLLUPS_SQL = `
      -- Rollups, outages and the outage cursor per check and vantage (0: none).
      CREATE TABLE rollup_hourly_v7 (
        hour_start  INTEGER NOT NULL,
        check_ref   INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        vantage_ref INTEGER NOT NULL DEFAULT 0,
        ok          INTEGER NOT NULL,
        warn        INTEGER NOT NULL,
        crit        INTEGER NOT NULL,
        unknown     INTEGER NOT NULL,
        sum_ms      REAL NOT NULL,
        max_ms      REAL NOT NULL,
        hist        BLOB NOT NULL,
        PRIMARY KEY (hour_start, check_ref, vantage_ref)
      ) WITHOUT ROWID;
      INSERT INTO rollup_hourly_v7 (hour_start, check_ref, vantage_ref, ok, warn, crit, unknown, sum_ms, max_ms, hist)
        SELECT hour_start, check_ref, 0, ok, warn, crit, unknown, sum_ms, max_ms, hist FROM rollup_hourly;
      DROP TABLE rollup_hourly;
      ALTER TABLE rollup_hourly_v7 RENAME TO rollup_hourly;
      CREATE INDEX rollup_hourly_check ON rollup_hourly(check_ref);
      CREATE TABLE rollup_daily_v7 (
        day_start   INTEGER NOT NULL,
        check_ref   INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        vantage_ref INTEGER NOT NULL DEFAULT 0,
        ok          INTEGER NOT NULL,
        warn        INTEGER NOT NULL,
        crit        INTEGER NOT NULL,
        unknown     INTEGER NOT NULL,
        sum_ms      REAL NOT NULL,
        max_ms      REAL NOT NULL,
        hist        BLOB NOT NULL,
        PRIMARY KEY (day_start, check_ref, vantage_ref)
      ) WITHOUT ROWID;
      INSERT INTO rollup_daily_v7 (day_start, check_ref, vantage_ref, ok, warn, crit, unknown, sum_ms, max_ms, hist)
        SELECT day_start, check_ref, 0, ok, warn, crit, unknown, sum_ms, max_ms, hist FROM rollup_daily;
      DROP TABLE rollup_daily;
      ALTER TABLE rollup_daily_v7 RENAME TO rollup_daily;
      CREATE INDEX rollup_daily_check ON rollup_daily(check_ref);
      CREATE TABLE rollup_cursor_v7 (
        check_ref   INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        vantage_ref INTEGER NOT NULL DEFAULT 0,
        last_ts     INTEGER NOT NULL,
        PRIMARY KEY (check_ref, vantage_ref)
      ) WITHOUT ROWID;
      INSERT INTO rollup_cursor_v7 (check_ref, vantage_ref, last_ts) SELECT check_ref, 0, last_ts FROM rollup_cursor;
      DROP TABLE rollup_cursor;
      ALTER TABLE rollup_cursor_v7 RENAME TO rollup_cursor;
      ALTER TABLE outages ADD COLUMN vantage_ref INTEGER NOT NULL DEFAULT 0;
      DROP INDEX outages_open;
      CREATE UNIQUE INDEX outages_open ON outages(check_ref, vantage_ref) WHERE ended_at IS NULL;

      DROP INDEX results_check_ts;
      DROP INDEX results_ts;
      DROP INDEX results_run;
      DROP TABLE results;
    `

/** Old result ids that something refers to (posture, monitor state and events, timelines, notifications). */
function referencedIds(db: Database.Database, tables: ReadonlySet<string>): Set<number> {
  const referenced = new Set<number>()
  const collect = (sql: string) => {
    if (!tables.has(/FROM (\w+)/.exec(sql)?.[1] ?? '')) return
    for (const v of db.prepare<[], unknown>(sql).pluck().all())
      if (typeof v === 'number' && Number.isSafeInteger(v)) referenced.add(v)
  }

  collect('SELECT result_id FROM posture')
  collect('SELECT last_result_id FROM monitor_state WHERE last_result_id IS NOT NULL')
  collect('SELECT result_id FROM monitor_events WHERE result_id IS NOT NULL')
  collect(
    `SELECT json_extract(data, '$.resultId') FROM timeline_events WHERE json_valid(data) AND json_extract(data, '$.resultId') IS NOT NULL`,
  )
  collect(
    `SELECT json_extract(body, '$.resultId') FROM notifications WHERE body IS NOT NULL AND json_valid(body) AND json_extract(body, '$.resultId') IS NOT NULL`,
  )
  return referenced
}

/** The text dictionary as blocks are written: `id(text)` stores a new text once; `finish()` records the newest hour of each. */
class TextDictionary {
  hour = 0
  private readonly texts = new Map<string, {id: number; hour: number; stored: number}>()
  private readonly add: Database.Statement<[number, number, string]>

  constructor(private readonly db: Database.Database) {
    this.add = db.prepare<[number, number, string]>('INSERT INTO result_texts (hash, last_hour, text) VALUES (?, ?, ?)')
  }

  id(text: string): number {
    const t = this.texts.get(text)
    if (t) {
      if (this.hour > t.hour) t.hour = this.hour
      return t.id
    }

    const id = Number(
      this.add.run(createHash('sha1').update(text).digest().readUIntBE(0, 6), this.hour, text).lastInsertRowid,
    )
    this.texts.set(text, {id, hour: this.hour, stored: this.hour})
    return id
  }

  finish(): void {
    const touch = this.db.prepare<[number, number]>('UPDATE result_texts SET last_hour = ? WHERE id = ?')
    for (const t of this.texts.values()) if (t.hour > t.stored) touch.run(t.hour, t.id)
  }
}

/** Packs every old result row into blocks; returns the new id of each referenced old one. */
function packResults(
  db: Database.Database,
  referenced: ReadonlySet<number>,
  texts: TextDictionary,
): Map<number, number> {
  const maxOld = db.prepare<[], number>('SELECT coalesce(max(id), 0) FROM results').pluck().get() ?? 0
  let nextBlock = Math.floor(maxOld / CAPACITY) + 1
  const putBlock = db.prepare<
    [number, number, number, number, number, number | null, number | null, Buffer]
  >(`INSERT INTO result_blocks (id, check_ref, vantage_ref, hour, n, statuses, run_lo, run_hi, data)
      VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?)`)
  const moved = new Map<number, number>()
  const dict = (text: string) => texts.id(text)
  let cur: {ref: number; hour: number; id: number; st: State} | undefined
  const flush = () => {
    if (!cur || cur.st.n === 0) return
    putBlock.run(
      cur.id,
      cur.ref,
      cur.hour,
      cur.st.n,
      cur.st.statuses,
      cur.st.runLo,
      cur.st.runHi,
      Buffer.from(cur.st.out.bytes),
    )
  }

  // Paged by key: a statement cannot write while another one is still iterating.
  const page = db.prepare<
    [number, number, number],
    OldRow
  >(`SELECT id, check_ref, run_id, ts, status, duration_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, attempts, summary, details
      FROM results WHERE (check_ref, ts, id) > (?, ?, ?) ORDER BY check_ref, ts, id LIMIT 10000`)
  let key: [number, number, number] = [-1, -Number.MAX_SAFE_INTEGER, -1]
  for (;;) {
    const rows = page.all(...key)
    if (rows.length === 0) break
    for (const r of rows) {
      const h = Math.floor(r.ts / HOUR)
      if (!cur || cur.ref !== r.check_ref || cur.hour !== h || cur.st.n >= CAPACITY) {
        flush()
        cur = {ref: r.check_ref, hour: h, id: nextBlock++, st: fresh(h)}
      }

      texts.hour = h
      if (referenced.has(r.id)) moved.set(r.id, cur.id * CAPACITY + cur.st.n)
      encode(cur.st, r, dict)
    }

    const last = rows[rows.length - 1]
    key = [last.check_ref, last.ts, last.id]
  }

  flush()
  return moved
}

export const resultBlocksMigration: Migration = {
  version: 7,
  name: 'results packed in hourly blocks per check and vantage; vantages',
  up(db) {
    db.exec(CREATE_SQL)
    const tables = new Set(db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all())
    const referenced = referencedIds(db, tables)
    const texts = new TextDictionary(db)
    const moved = packResults(db, referenced, texts)
    texts.finish()
    const alias = db.prepare<[number, number]>('INSERT INTO result_aliases (old_id, new_id) VALUES (?, ?)')
    for (const [from, to] of moved) alias.run(from, to)
    db.exec(POSTURE_SQL)
    if (tables.has('monitor_state')) db.exec(MONITOR_SQL)
    db.exec(ROLLUPS_SQL)
  },
}
