import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import type {CheckResult, Status} from '../../src/types.js'
import {openDatabase} from '../../src/store/db.js'
import {
  type BlockEntry,
  blockState,
  decodeBlock,
  type Dictionary,
  emptyState,
  encodeEntries,
} from '../../src/store/result-blocks.js'
import {insertResults, recentResults, type StoredResult, storeRun, upsertChecks} from '../../src/store/results.js'
import {addRaw, addRollups, type Aggregate, outagesOverlapping} from '../../src/store/rollups.js'
import {entriesForGolden} from './block-golden-entries.js'
import {freshDb, HOUR, MINUTE} from './seed.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function db() {
  const f = freshDb('wk-write-path-')
  cleanups.push(f.cleanup)
  return f
}

/** A dictionary in memory: ids in order of first use. */
function memoryDictionary(): Dictionary & {texts: string[]} {
  const texts: string[] = []
  return {
    texts,
    id(t) {
      const i = texts.indexOf(t)
      if (i !== -1) return i + 1
      texts.push(t)
      return texts.length
    },
    text: (id) => texts[id - 1],
  }
}

const GOLDEN = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'block-golden.json'), 'utf8')) as {
  hex: string
  texts: string[]
}
const HOUR_NO = 493_000

describe('result block encoding', () => {
  it('writes the bytes and dictionary texts the block layout pinned, and reads the entries back', () => {
    const dict = memoryDictionary()
    const st = emptyState(HOUR_NO)
    const entries = entriesForGolden(HOUR_NO)
    const parts: string[] = []
    for (let i = 0; i < entries.length; i += 7)
      parts.push(encodeEntries(st, entries.slice(i, i + 7), dict).toString('hex'))
    expect(parts.join('')).toBe(GOLDEN.hex)
    expect(dict.texts).toEqual(GOLDEN.texts)
    const back = decodeBlock(Buffer.from(GOLDEN.hex, 'hex'), HOUR_NO, dict).entries
    expect(back).toEqual(entries.map((e): BlockEntry => ({...e, findings: e.findings})))
  })

  it('finds the same appending state without building entries as a full decode does, at every length', () => {
    const dict = memoryDictionary()
    const entries = entriesForGolden(HOUR_NO)
    const st = emptyState(HOUR_NO)
    let data = Buffer.alloc(0)
    for (const [i, e] of entries.entries()) {
      data = Buffer.concat([data, encodeEntries(st, [e], dict)])
      if (i % 10 !== 9) continue
      const lean = blockState(data, HOUR_NO, dict)
      expect(lean).toEqual(decodeBlock(data, HOUR_NO, dict, {light: true}).state)
      expect(lean).toEqual(st)
    }

    expect(() => blockState(data.subarray(0, -1), HOUR_NO, dict)).toThrow(/truncated/)
  })
})

function http(checkId: string, startedAt: number, status: Status, durationMs: number, i: number): CheckResult {
  return {
    checkId,
    kind: 'http',
    target: `https://${checkId}.test/`,
    status,
    summary: status === 'crit' ? 'HTTP 503 (expected 200-299)' : `HTTP 200 in ${durationMs} ms`,
    timings: {
      dnsMs: i % 3,
      connectMs: 2,
      processingMs: durationMs - 4,
      transferMs: 1,
      ttfbMs: durationMs - 1,
      totalMs: durationMs,
    },
    findings: i % 7 === 0 ? [{id: 'http.test', severity: 'warn', message: `finding ${i}`}] : [],
    metrics: {httpStatus: status === 'crit' ? 503 : 200, bodyBytes: 10 + i},
    startedAt,
    durationMs,
    attempts: 1 + (i % 5 === 0 ? 1 : 0),
  }
}

/** What a stored result must read back as. */
const shapeOf = (r: CheckResult) => ({
  checkId: r.checkId,
  ts: r.startedAt,
  status: r.status,
  durationMs: r.durationMs,
  summary: r.summary,
  findings: r.findings,
  metrics: r.metrics,
  attempts: r.attempts,
})
const storedShape = (r: StoredResult) => ({
  checkId: r.checkId,
  ts: r.ts,
  status: r.status,
  durationMs: r.durationMs,
  summary: r.summary,
  findings: r.findings,
  metrics: r.metrics,
  attempts: r.attempts,
})

describe('write path', () => {
  it('appends right to a block another connection appended to, and after a rolled-back batch', () => {
    const {db: a, file} = db()
    const b = openDatabase(file)
    cleanups.unshift(() => b.close())
    const t = Date.UTC(2026, 5, 1, 9)
    const refsA = upsertChecks(a, [{id: 'web', kind: 'http', target: 'https://web.test/'}], t)
    const refsB = upsertChecks(b, [{id: 'web', kind: 'http', target: 'https://web.test/'}], t)
    const written: CheckResult[] = []
    let i = 0
    const next = (status: Status = 'ok') => http('web', t + i * MINUTE, status, 40 + ((i * 37) % 90), i++)
    for (let round = 0; round < 4; round++) {
      // After the rolled-back batch below, the first batch appends from the state this connection kept; the
      // other connection's batch then makes that state stale for the third.
      for (const conn of [
        [a, refsA],
        [b, refsB],
        [a, refsA],
      ] as const) {
        const batch = [next(), next(round === 2 ? 'crit' : 'ok'), next()]
        insertResults(conn[0], conn[1], null, batch)
        written.push(...batch)
      }

      // A batch in a transaction that rolls back leaves nothing, and the next batch still appends right.
      expect(() =>
        a.transaction(() => {
          insertResults(a, refsA, null, [next('crit')])
          throw new Error('rolled back')
        })(),
      ).toThrow('rolled back')
    }

    const stored = recentResults(a, 'web', {limit: 1000}).reverse()
    expect(stored.map(storedShape)).toEqual(written.map(shapeOf))
    expect(new Set(stored.map((r) => r.resultId)).size).toBe(written.length)
  })

  it('stores a run of 250 checks over several statements: every check, result, rollup and outage', () => {
    const {db: d} = db()
    const t = Date.UTC(2026, 5, 1, 9, 30)
    const checks = Array.from({length: 250}, (_, k) => ({
      id: `c-${k}`,
      kind: 'http',
      target: `https://c-${k}.test/`,
      name: `Check ${k}`,
    }))
    const runs: CheckResult[][] = []
    for (let r = 0; r < 3; r++) {
      const results = checks.map((c, k) =>
        http(c.id, t + r * 20 * MINUTE + k * 10, (k + r) % 50 === 0 ? 'crit' : 'ok', 30 + ((k * 13 + r) % 200), k),
      )
      storeRun(d, {
        source: 'check run',
        startedAt: t + r * 20 * MINUTE,
        finishedAt: t + r * 20 * MINUTE + 5000,
        checks,
        results,
      })
      runs.push(results)
    }

    expect(d.prepare('SELECT count(*) FROM checks').pluck().get()).toBe(250)
    expect(d.prepare("SELECT name FROM checks WHERE check_id = 'c-249'").pluck().get()).toBe('Check 249')
    for (const k of [0, 99, 100, 249]) {
      expect(recentResults(d, `c-${k}`).reverse().map(storedShape)).toEqual(runs.map((rs) => shapeOf(rs[k])))
    }

    // Rollups: the same as summing the raw results, hour by hour and for the London day.
    for (const [from, to] of [
      [Date.UTC(2026, 5, 1, 9), Date.UTC(2026, 5, 1, 10)],
      [Date.UTC(2026, 5, 1, 10), Date.UTC(2026, 5, 1, 11)],
    ]) {
      const rolled = new Map<number, Aggregate>()
      const raw = new Map<number, Aggregate>()
      addRollups(d, 'hourly', from, to, rolled)
      addRaw(d, from, to, raw)
      expect(rolled.size).toBe(250)
      for (const [ref, x] of raw)
        expect({...rolled.get(ref), hist: [...(rolled.get(ref)?.hist ?? [])]}).toEqual({...x, hist: [...x.hist]})
    }

    const daily = new Map<number, Aggregate>()
    addRollups(d, 'daily', Date.UTC(2026, 4, 31, 23), Date.UTC(2026, 5, 1, 23), daily)
    expect([...daily.values()].reduce((n, x) => n + x.ok + x.crit, 0)).toBe(750)
    // Outages: checks crit in run r (k + r ≡ 0 mod 50) open one, ended by their next ok result.
    const outages = outagesOverlapping(d, 0, Date.UTC(2030, 0)).map((o) => [
      o.startedAt - t,
      o.endedAt === null ? null : o.endedAt - t,
      o.downResults,
    ])
    const expected: (number | null)[][] = []
    for (let k = 0; k < 250; k++) {
      for (let r = 0; r < 3; r++) {
        if ((k + r) % 50 !== 0) continue
        expected.push([r * 20 * MINUTE + k * 10, r < 2 ? (r + 1) * 20 * MINUTE + k * 10 : null, 1])
      }
    }

    const order = (x: (number | null)[], y: (number | null)[]) => (x[0] as number) - (y[0] as number)
    expect(outages.sort(order)).toEqual(expected.sort(order))
    // The cursor holds each check's newest time.
    expect(
      d
        .prepare('SELECT count(*) FROM rollup_cursor WHERE last_ts = ?')
        .pluck()
        .get(t + 40 * MINUTE + 2490),
    ).toBe(1)
    expect(d.prepare('SELECT min(last_ts) FROM rollup_cursor').pluck().get()).toBe(t + 40 * MINUTE)
  })

  it('reads the file it wrote with a plain SQLite connection: one block per check and hour, counts that add up', () => {
    const {db: d, file} = db()
    const t = Date.UTC(2026, 5, 1, 9, 58)
    const checks = Array.from({length: 120}, (_, k) => ({id: `c-${k}`, kind: 'http', target: `https://c-${k}.test/`}))
    const refs = upsertChecks(d, checks, t)
    // Two batches either side of an hour boundary: a block per check in each hour.
    insertResults(
      d,
      refs,
      null,
      checks.map((c, k) => http(c.id, t + k, 'ok', 50, k)),
    )
    insertResults(
      d,
      refs,
      null,
      checks.map((c, k) => http(c.id, t + HOUR / 30 + k, 'ok', 50, k)),
    )
    insertResults(
      d,
      refs,
      null,
      checks.map((c, k) => http(c.id, t + HOUR / 30 + MINUTE + k, 'ok', 50, k)),
    )
    d.close()
    const plain = new Database(file, {readonly: true})
    try {
      expect(
        plain
          .prepare('SELECT hour, count(*) AS blocks, sum(n) AS results FROM result_blocks GROUP BY hour ORDER BY hour')
          .all(),
      ).toEqual([
        {hour: Math.floor(t / HOUR), blocks: 120, results: 120},
        {hour: Math.floor(t / HOUR) + 1, blocks: 120, results: 240},
      ])
    } finally {
      plain.close()
    }
  })
})
