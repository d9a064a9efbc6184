import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import type {Status} from '../../src/types.js'
import {openDatabase} from '../../src/store/db.js'
import {resultsMigration} from '../../src/store/migrations/001-results.js'
import {
  addRaw,
  addRollups,
  type Aggregate,
  bucketBounds,
  bucketOf,
  emptyHistogram,
  encodeHistogram,
  HIST_BUCKETS,
  HIST_RELATIVE_ERROR,
  mergeEncoded,
  mergeEncodedPair,
  outagesOverlapping,
  percentile,
  zonedDayStart,
} from '../../src/store/rollups.js'
import {exactPercentile, freshDb, HOUR, MINUTE, result, store} from './seed.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function db() {
  const f = freshDb()
  cleanups.push(f.cleanup)
  return f
}

/** A deterministic spread of latencies, 1..2000 ms with a long tail. */
function latency(i: number): number {
  const x = (i * 7919) % 1000
  return x < 900 ? 20 + (x % 180) : 200 + ((x * 13) % 1800)
}

function statusAt(i: number): Status {
  if (i % 97 === 5) return 'crit'
  if (i % 89 === 3) return 'warn'
  if (i % 83 === 7) return 'unknown'
  return 'ok'
}

function one(map: Map<number, Aggregate>): Aggregate {
  expect(map.size).toBe(1)
  return [...map.values()][0]
}

describe('latency histogram', () => {
  it('puts values in log buckets of six per doubling from 0.1 ms, with under- and overflow buckets', () => {
    expect(bucketOf(0)).toBe(0)
    expect(bucketOf(0.0999)).toBe(0)
    expect(bucketOf(0.1)).toBe(1)
    expect(bucketOf(0.2)).toBe(7)
    expect(bucketOf(1)).toBe(Math.floor(Math.log2(10) * 6) + 1)
    expect(bucketOf(120_000)).toBeLessThan(HIST_BUCKETS - 1)
    expect(bucketOf(200_000)).toBe(HIST_BUCKETS - 1)
    for (const v of [0.15, 3, 47, 999, 12_345, 119_999]) {
      const [lo, hi] = bucketBounds(bucketOf(v))
      expect(v).toBeGreaterThanOrEqual(lo)
      expect(v).toBeLessThan(hi)
      expect(hi / lo).toBeCloseTo(2 ** (1 / 6), 10)
    }
  })

  it('encodes sparsely and decodes to the same counts, merging by addition', () => {
    const h = emptyHistogram()
    h[3] = 1
    h[40] = 127
    h[41] = 128
    h[80] = 5_000_000
    const blob = encodeHistogram(h)
    expect(blob.length).toBe(2 + 2 + 3 + 5)
    const back = mergeEncoded(blob)
    expect([...back]).toEqual([...h])
    const twice = mergeEncoded(blob, mergeEncoded(blob))
    expect(twice[80]).toBe(10_000_000)
    expect(twice[41]).toBe(256)
  })

  it('merges two encoded histograms without expanding them, as adding their counts', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const a = emptyHistogram()
      const b = emptyHistogram()
      for (let k = 0; k < HIST_BUCKETS; k++) {
        if ((k * seed) % 7 === 0) a[k] = (k * seed * 31) % 300
        if ((k + seed) % 5 === 0) b[k] = (k * 17 + seed * 1000) % 20_000
      }

      const sum = emptyHistogram()
      for (let k = 0; k < HIST_BUCKETS; k++) sum[k] = a[k] + b[k]
      expect([...mergeEncoded(mergeEncodedPair(encodeHistogram(a), encodeHistogram(b)))]).toEqual([...sum])
    }

    expect([...mergeEncodedPair(Buffer.alloc(0), encodeHistogram(emptyHistogram()))]).toEqual([])
  })

  it('gives nearest-rank percentiles within one bucket (±6%) of the exact value, capped at the max', () => {
    const values = Array.from({length: 5000}, (_, i) => latency(i) + (i % 10) / 10)
    const h = emptyHistogram()
    for (const v of values) h[bucketOf(v)]++
    const max = Math.max(...values)
    for (const p of [1, 50, 90, 95, 99, 99.9, 100]) {
      const exact = exactPercentile(values, p)
      const est = percentile(h, p, max)!
      expect(bucketOf(est)).toBe(bucketOf(exact))
      expect(Math.abs(est - exact) / exact).toBeLessThanOrEqual(HIST_RELATIVE_ERROR + 1e-12)
      expect(est).toBeLessThanOrEqual(max)
    }

    expect(percentile(emptyHistogram(), 50)).toBeUndefined()
  })
})

describe('rollups maintained by insertResults', () => {
  // 2026-10-25 is the day British Summer Time ends: the London day runs 25 hours, 23:00Z to 00:00Z.
  const start = Date.UTC(2026, 9, 24, 20, 0) + 17_000
  const n = 32 * 60
  const results = Array.from({length: n}, (_, i) => result('api', start + i * MINUTE, statusAt(i), latency(i)))

  it('counts per status, latency sum/max and percentiles per hour and per London day', () => {
    const {db: d} = db()
    store(d, {api: 'Svc'}, results)
    const longDay = zonedDayStart(Date.UTC(2026, 9, 25, 12))
    expect(new Date(longDay).toISOString()).toBe('2026-10-24T23:00:00.000Z')
    const map = new Map<number, Aggregate>()
    addRollups(d, 'daily', longDay, longDay + 1, map)
    const day = one(map)
    const inDay = results.filter((r) => r.startedAt >= longDay && r.startedAt < longDay + 25 * HOUR)
    expect(inDay.length).toBe(1500)
    const count = (s: Status) => inDay.filter((r) => r.status === s).length
    expect({ok: day.ok, warn: day.warn, crit: day.crit, unknown: day.unknown}).toEqual({
      ok: count('ok'),
      warn: count('warn'),
      crit: count('crit'),
      unknown: count('unknown'),
    })
    const up = inDay.filter((r) => r.status === 'ok' || r.status === 'warn').map((r) => r.durationMs)
    expect(day.sumMs).toBe(up.reduce((a, b) => a + b, 0))
    expect(day.maxMs).toBe(Math.max(...up))
    for (const p of [50, 95, 99])
      expect(bucketOf(percentile(day.hist, p, day.maxMs)!)).toBe(bucketOf(exactPercentile(up, p)))

    const hourMap = new Map<number, Aggregate>()
    const h = Date.UTC(2026, 9, 25, 1)
    addRollups(d, 'hourly', h, h + HOUR, hourMap)
    const hour = one(hourMap)
    const inHour = results.filter((r) => r.startedAt >= h && r.startedAt < h + HOUR)
    expect(hour.ok + hour.warn + hour.crit + hour.unknown).toBe(60)
    expect(hour.crit).toBe(inHour.filter((r) => r.status === 'crit').length)

    const allHours = new Map<number, Aggregate>()
    expect(addRollups(d, 'hourly', 0, Date.UTC(2030, 0), allHours)).toBe(32)
    const allDays = new Map<number, Aggregate>()
    expect(addRollups(d, 'daily', 0, Date.UTC(2030, 0), allDays)).toBe(3)
    const total = one(allDays)
    expect(total.ok + total.warn + total.crit + total.unknown).toBe(n)
  })

  it('sums raw results in SQL exactly as the rollups hold them (same buckets, counts, sum and max)', () => {
    const {db: d} = db()
    // Integer durations across the whole histogram range, as raw results store them.
    const spread = Array.from({length: 3000}, (_, i) =>
      result('api', start + i * 4000, statusAt(i), i % 3 === 0 ? i * 47 : i % 200),
    )
    store(d, {api: undefined}, spread)
    const from = Math.ceil(start / HOUR) * HOUR
    const raw = new Map<number, Aggregate>()
    const rolled = new Map<number, Aggregate>()
    expect(addRaw(d, from, from + HOUR, raw)).toBe(900)
    addRollups(d, 'hourly', from, from + HOUR, rolled)
    const x = one(raw)
    const y = one(rolled)
    expect({...x, hist: [...x.hist]}).toEqual({...y, hist: [...y.hist]})
    expect(x.hist.filter((n) => n > 0).length).toBeGreaterThan(40)
  })

  it('gives the same rollups whatever the batch size', () => {
    const a = db().db
    const b = db().db
    store(a, {api: undefined}, results, 1)
    store(b, {api: undefined}, results, 700)
    for (const level of ['hourly', 'daily'] as const) {
      const ma = new Map<number, Aggregate>()
      const mb = new Map<number, Aggregate>()
      addRollups(a, level, 0, Date.UTC(2030, 0), ma)
      addRollups(b, level, 0, Date.UTC(2030, 0), mb)
      const x = one(ma)
      const y = one(mb)
      expect({...x, hist: [...x.hist]}).toEqual({...y, hist: [...y.hist]})
    }
  })

  it('keeps an outage table: first down result to first up result; unknown neither ends nor extends', () => {
    const {db: d} = db()
    const t = Date.UTC(2026, 5, 1, 9)
    const seq: Status[] = ['ok', 'crit', 'crit', 'unknown', 'crit', 'ok', 'ok', 'crit', 'warn', 'unknown', 'crit']
    store(
      d,
      {web: undefined},
      seq.map((s, i) => result('web', t + i * MINUTE, s, 50)),
      3,
    )
    const outages = outagesOverlapping(d, 0, Date.UTC(2030, 0))
    outages.sort((x, y) => x.startedAt - y.startedAt)
    expect(outages.map((o) => [o.startedAt - t, o.endedAt === null ? null : o.endedAt - t, o.downResults])).toEqual([
      [1 * MINUTE, 5 * MINUTE, 3],
      [7 * MINUTE, 8 * MINUTE, 1],
      [10 * MINUTE, null, 1],
    ])
    // A late result older than the newest seen counts in the rollups but does not move outages.
    store(d, {web: undefined}, [result('web', t + 2 * MINUTE + 30_000, 'ok', 50)])
    expect(outagesOverlapping(d, 0, Date.UTC(2030, 0)).length).toBe(3)
    const m = new Map<number, Aggregate>()
    addRollups(d, 'hourly', t, t + HOUR, m)
    expect(one(m).ok).toBe(4)
    // The next up result ends the open outage.
    store(d, {web: undefined}, [result('web', t + 12 * MINUTE, 'ok', 50)])
    const open = outagesOverlapping(d, 0, Date.UTC(2030, 0)).find((o) => o.startedAt === t + 10 * MINUTE)!
    expect(open.endedAt).toBe(t + 12 * MINUTE)
  })

  it('folds results stored before migration 3 into the rollups when it runs', () => {
    const f = db()
    const file = path.join(f.dir, 'old.db')
    // A database at schema 1 with results written by an older watchkeeper.
    const old = openDatabase(file, {migrations: [resultsMigration]})
    const refs = new Map<string, number>()
    const ref = Number(
      old
        .prepare(
          `INSERT INTO checks (check_id, kind, target, first_seen, last_seen) VALUES ('api', 'tcp', 'x:1', 0, 0)`,
        )
        .run().lastInsertRowid,
    )
    refs.set('api', ref)
    const insert = old.prepare(
      'INSERT INTO results (check_ref, ts, status, duration_ms, summary) VALUES (?, ?, ?, ?, ?)',
    )
    const codes: Record<Status, number> = {ok: 0, warn: 1, crit: 2, unknown: 3}
    old.transaction(() => {
      for (const r of results) insert.run(ref, r.startedAt, codes[r.status], r.durationMs, r.summary)
    })()
    old.close()
    const migrated = openDatabase(file)
    cleanups.push(() => migrated.close())
    const fresh = db().db
    store(fresh, {api: undefined}, results)
    for (const level of ['hourly', 'daily'] as const) {
      const ma = new Map<number, Aggregate>()
      const mb = new Map<number, Aggregate>()
      addRollups(migrated, level, 0, Date.UTC(2030, 0), ma)
      addRollups(fresh, level, 0, Date.UTC(2030, 0), mb)
      const x = one(ma)
      const y = one(mb)
      expect({...x, hist: [...x.hist]}).toEqual({...y, hist: [...y.hist]})
    }

    expect(outagesOverlapping(migrated, 0, Date.UTC(2030, 0)).length).toBe(
      outagesOverlapping(fresh, 0, Date.UTC(2030, 0)).length,
    )
    expect(outagesOverlapping(migrated, 0, Date.UTC(2030, 0)).length).toBeGreaterThan(5)
  })
})
