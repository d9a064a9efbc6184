/**
 * Generates a benchmark database: 1,000 checks, one result a minute each, for a year of rollups
 * (hourly and daily rows, outages) and the last 30 days of raw results (43.2 million results).
 * Run by hand, never in CI:  npx tsx bench/rollups/generate.ts [--file .tmp/bench/rollups.db] [--checks 1000] [--raw-days 30] [--days 365]
 *
 * The same simulated results feed the raw results and the rollups, so raw and rollups agree for the last
 * 30 days. For speed the generator (only) sets synchronous=OFF and writes an hour of data per transaction.
 *
 * Raw results are written in the current layout: one result block per check and hour, packed by the
 * store's own block encoder (src/store/result-blocks.ts) with its dictionary in result_texts, so the file
 * opens with no migration to run.
 */
import fs from 'node:fs'
import path from 'node:path'

import type {Status} from '../../src/types.js'
import {openDatabase} from '../../src/store/db.js'
import {
  BLOCK_HOUR_MS,
  type BlockEntry,
  type BlockState,
  type Dictionary,
  emptyState,
  encodeEntries,
  textHash,
} from '../../src/store/result-blocks.js'
import {upsertChecks} from '../../src/store/results.js'
import {
  addResult,
  type Aggregate,
  dayStartOfHour,
  emptyAggregate,
  encodeHistogram,
  HOUR_MS,
  mergeAggregate,
} from '../../src/store/rollups.js'

const args = process.argv.slice(2)
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}

const file = arg('file', '.tmp/bench/rollups.db')
const CHECKS = Number(arg('checks', '1000'))
const RAW_DAYS = Number(arg('raw-days', '30'))
const DAYS = Number(arg('days', '365'))
const MINUTE = 60_000

fs.mkdirSync(path.dirname(file), {recursive: true})
for (const f of [file, file + '-wal', file + '-shm']) fs.rmSync(f, {force: true})
const db = openDatabase(file)
db.pragma('synchronous = OFF')
db.pragma('cache_size = -1000000')

// Deterministic PRNG (mulberry32).
let seed = 0x5e_ed
function rand(): number {
  seed = (seed + 0x6d_2b_79_f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
}

const now = Math.floor(Date.now() / MINUTE) * MINUTE
const start = Math.floor((now - DAYS * 86_400_000) / HOUR_MS) * HOUR_MS
const rawFrom = now - RAW_DAYS * 86_400_000

const services = Array.from({length: 20}, (_, i) => `Service ${String(i + 1).padStart(2, '0')}`)
const defs = Array.from({length: CHECKS}, (_, i) => ({
  id: `check-${String(i + 1).padStart(4, '0')}`,
  kind: i % 5 < 3 ? 'http' : 'tcp',
  target: i % 5 < 3 ? `https://svc${i}.example.nhs.uk/health` : `svc${i}.example.nhs.uk:443`,
  service: services[i % services.length],
}))
const refs = upsertChecks(db, defs, start)
const model = defs.map((d, i) => ({
  ref: refs.get(d.id)!,
  http: d.kind === 'http',
  base: 15 + rand() * 250,
  offset: (i * 37) % 60_000,
  down: 0, // minutes of outage left
  outageId: 0,
  lastTs: 0,
}))

const putBlock = db.prepare(
  'INSERT INTO result_blocks (check_ref, vantage_ref, hour, n, statuses, run_lo, run_hi, data) VALUES (?, 0, ?, ?, ?, NULL, NULL, ?)',
)
const addText = db.prepare('INSERT INTO result_texts (hash, last_hour, text) VALUES (?, ?, ?)')
const touchText = db.prepare('UPDATE result_texts SET last_hour = ? WHERE id = ?')
const putHour = db.prepare(
  'INSERT INTO rollup_hourly (hour_start, check_ref, ok, warn, crit, unknown, sum_ms, max_ms, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
)
const putDay = db.prepare(
  'INSERT INTO rollup_daily (day_start, check_ref, ok, warn, crit, unknown, sum_ms, max_ms, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
)
const startOutage = db.prepare(
  'INSERT INTO outages (check_ref, started_at, last_down_at, down_results) VALUES (?, ?, ?, 0)',
)
const extendOutage = db.prepare('UPDATE outages SET last_down_at = ?, down_results = down_results + 1 WHERE id = ?')
const endOutage = db.prepare('UPDATE outages SET ended_at = ? WHERE id = ?')
const putCursor = db.prepare('INSERT OR REPLACE INTO rollup_cursor (check_ref, last_ts) VALUES (?, ?)')

const CODE: Record<Status, number> = {ok: 0, warn: 1, crit: 2, unknown: 3}
const FINDINGS = [{id: 'http.status', severity: 'crit' as const, message: 'HTTP 503 Service Unavailable'}]

// The dictionary the writer keeps (texts by id, each marked with the newest hour using it).
let blockHour = 0
const texts = new Map<string, {id: number; hour: number}>()
const dict: Dictionary = {
  id(text) {
    const known = texts.get(text)
    if (known) {
      if (known.hour < blockHour) touchText.run((known.hour = blockHour), known.id)
      return known.id
    }

    const id = Number(addText.run(textHash(text), blockHour, text).lastInsertRowid)
    texts.set(text, {id, hour: blockHour})
    return id
  },
  text() {
    throw new Error('write-only dictionary')
  },
}
/** This hour's block of each check: entries waiting to be encoded, and the statuses seen. */
const blocks = model.map(() => ({entries: [] as BlockEntry[], statuses: 0}))
function flushBlocks(hour: number): void {
  blockHour = Math.floor(hour / BLOCK_HOUR_MS)
  for (const [c, element] of model.entries()) {
    const b = blocks[c]
    if (b.entries.length === 0) continue
    const state: BlockState = emptyState(blockHour)
    const data = encodeEntries(state, b.entries, dict)
    putBlock.run(element.ref, blockHour, b.entries.length, b.statuses, data)
    b.entries = []
    b.statuses = 0
  }
}

const rowsOf = (start: number, ref: number, a: Aggregate) => [
  start,
  ref,
  a.ok,
  a.warn,
  a.crit,
  a.unknown,
  a.sumMs,
  a.maxMs,
  encodeHistogram(a.hist),
]

const t0 = Date.now()
let raw = 0
let day = dayStartOfHour(start)
let dayAgg = model.map(() => emptyAggregate())
const hourAgg = model.map(() => emptyAggregate())
const hours = Math.ceil((now - start) / HOUR_MS)
for (let h = 0; h < hours; h++) {
  const hour = start + h * HOUR_MS
  const d = dayStartOfHour(hour)
  db.transaction(() => {
    if (d !== day) {
      for (let c = 0; c < model.length; c++) putDay.run(...rowsOf(day, model[c].ref, dayAgg[c]))
      dayAgg = model.map(() => emptyAggregate())
      day = d
    }

    for (let m = 0; m < 60; m++) {
      const minute = hour + m * MINUTE
      if (minute >= now) break
      const withRaw = minute >= rawFrom
      for (const [c, k] of model.entries()) {
        const ts = minute + k.offset
        let status: Status = 'ok'
        let ms = k.base * (0.7 + rand() * 0.6)
        if (rand() < 0.02) ms *= 2 + rand() * 6 // a slow tail
        if (k.down === 0 && rand() < 1 / 21_600) k.down = 2 + Math.floor(rand() * 40) // about two outages a month
        if (k.down > 0) {
          k.down--
          status = 'crit'
          ms = 10_000
        } else if (rand() < 0.002) status = 'warn'
        else if (rand() < 0.0005) status = 'unknown'
        addResult(hourAgg[c], status, ms)
        // Outages as updateRollups keeps them.
        if (status === 'crit') {
          if (k.outageId === 0) k.outageId = Number(startOutage.run(k.ref, ts, ts).lastInsertRowid)
          extendOutage.run(ts, k.outageId)
        } else if (status !== 'unknown' && k.outageId !== 0) {
          endOutage.run(ts, k.outageId)
          k.outageId = 0
        }

        k.lastTs = ts
        if (withRaw) {
          const dur = Math.round(ms)
          const summary =
            status === 'crit'
              ? k.http
                ? 'HTTP 503 Service Unavailable'
                : 'timed out after 10 s'
              : k.http
                ? `HTTP 200 in ${dur} ms`
                : `connected in ${dur} ms`
          const timings = k.http
            ? {
                dnsMs: Math.round(dur * 0.05),
                connectMs: Math.round(dur * 0.15),
                tlsMs: Math.round(dur * 0.25),
                ttfbMs: Math.round(dur * 0.9),
              }
            : {connectMs: dur}
          const b = blocks[c]
          b.entries.push({
            ts,
            status: CODE[status],
            durationMs: dur,
            timings,
            attempts: 1,
            runId: null,
            summary,
            metrics: {},
            findings: k.http && status === 'crit' ? FINDINGS : [],
          })
          b.statuses |= 1 << CODE[status]
          raw++
        }
      }
    }

    flushBlocks(hour)
    for (const [c, element] of model.entries()) {
      putHour.run(...rowsOf(hour, element.ref, hourAgg[c]))
      mergeAggregate(dayAgg[c], hourAgg[c])
      hourAgg[c] = emptyAggregate()
    }
  })()
  if (h % 240 === 0) process.stderr.write(`hour ${h}/${hours}, raw ${raw}, ${Math.round((Date.now() - t0) / 1000)} s\n`)
}

db.transaction(() => {
  for (const [c, element] of model.entries()) {
    putDay.run(...rowsOf(day, element.ref, dayAgg[c]))
    putCursor.run(element.ref, element.lastTs)
  }
})()
const loaded = Date.now()
process.stderr.write(`loaded ${raw} raw results in ${Math.round((loaded - t0) / 1000)} s\n`)
db.pragma('wal_checkpoint(TRUNCATE)')
db.exec('ANALYZE')
const done = Date.now()
db.close()
const {size} = fs.statSync(file)
console.log(
  JSON.stringify({
    file,
    checks: CHECKS,
    days: DAYS,
    rawDays: RAW_DAYS,
    rawResults: raw,
    dataEnds: new Date(now).toISOString(),
    loadSeconds: Math.round((loaded - t0) / 1000),
    finishSeconds: Math.round((done - loaded) / 1000),
    fileBytes: size,
  }),
)
