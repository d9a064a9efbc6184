import fs from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {afterEach, describe, expect, it} from 'vitest'

import type {CheckResult} from '../../src/types.js'
import {UserError} from '../../src/errors.js'
import {uptimeReport} from '../../src/reports/uptime.js'
import {openDatabase} from '../../src/store/db.js'
import {
  backupDatabase,
  databaseStats,
  DEFAULT_RETENTION,
  parseRetention,
  pruneOnce,
  vacuum,
  verifyDatabaseFile,
} from '../../src/store/maintenance.js'
import {type DeliveryStatus, insertDelivery} from '../../src/store/outbox.js'
import {latestPosture} from '../../src/store/posture.js'
import {
  finishRun,
  insertResults,
  lastResults,
  resultById,
  resultCount,
  startRun,
  storeRun,
} from '../../src/store/results.js'
import {addRollups, type Aggregate, HOUR_MS, retentionMarks, zonedDayStart} from '../../src/store/rollups.js'
import {runCli} from '../helpers/cli.js'
import {DAY, freshDb, HOUR, MINUTE, result, store} from './seed.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

const NOW = Date.UTC(2026, 10, 20, 12, 34, 56)

/** One result every 10 minutes for 120 days before NOW, plus one old run. */
function seed() {
  const f = freshDb('wk-prune-')
  cleanups.push(f.cleanup)
  const results: CheckResult[] = []
  for (let t = NOW - 120 * DAY; t < NOW; t += 10 * MINUTE)
    results.push(result('web', t, t % (5 * HOUR) < 20 * MINUTE ? 'crit' : 'ok', 40))
  const refs = store(f.db, {web: 'Web'}, results, 1000)
  const run = startRun(f.db, 'check run', NOW - 100 * DAY)
  insertResults(f.db, refs, run, [result('web', NOW - 100 * DAY + 1, 'ok', 40)])
  finishRun(f.db, run, NOW - 100 * DAY + 2)
  results.push(result('web', NOW - 100 * DAY + 1, 'ok', 40))
  return {...f, results, refs}
}

const count = (db: ReturnType<typeof openDatabase>, table: string) =>
  table === 'results' ? resultCount(db) : (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as {n: number}).n

describe('db prune', () => {
  it('dry run counts and deletes nothing; a real run deletes only rows past retention, in batches, keeping rollups', async () => {
    const {db, results} = seed()
    // Raw results are pruned by whole hours: the cutoff is the start of its hour.
    const rawCut = Math.floor((NOW - 30 * DAY) / HOUR) * HOUR
    const oldRaw = results.filter((r) => r.startedAt < rawCut).length
    const before = {
      results: count(db, 'results'),
      hourly: count(db, 'rollup_hourly'),
      daily: count(db, 'rollup_daily'),
      outages: count(db, 'outages'),
    }
    expect(before.results).toBe(results.length)

    const event = db.prepare("INSERT INTO monitor_events (check_id, ts, kind, message) VALUES ('c', ?, 'state', 'x')")
    event.run(rawCut - DAY)
    event.run(rawCut + DAY)
    // The outbox: settled deliveries older than the cutoff go, pending ones stay whatever their age.
    const note = (status: DeliveryStatus, at: number) =>
      insertDelivery(db, {
        createdAt: at,
        notifier: 'ops',
        provider: 'webhook',
        event: 'failing',
        checkId: 'web',
        subject: 'web',
        dedupKey: `k${at}`,
        status,
        message: 'web failing',
        body: '{}',
      })
    note('sent', rawCut - DAY)
    note('pending', rawCut - DAY)
    note('sent', rawCut + DAY)
    const dry = await pruneOnce(db, NOW, DEFAULT_RETENTION, {dryRun: true})
    expect(dry.deleted.monitorEvents).toBe(1)
    expect(dry.deleted.notifications).toBe(1)
    expect(dry.deleted.results).toBe(oldRaw)
    expect(dry.deleted.runs).toBe(1) // the run finished before the cutoff: its results go too
    expect(dry.deleted.rollupHourly).toBe(before.hourly - 90 * 24)
    expect(dry.deleted.rollupDaily).toBe(0)
    expect(count(db, 'results')).toBe(before.results)
    expect(retentionMarks(db).raw).toBe(-Infinity)

    const real = await pruneOnce(db, NOW, DEFAULT_RETENTION, {batchSize: 1000, pauseMs: 1})
    expect(real.deleted.results).toBe(oldRaw)
    expect(real.deleted.runs).toBe(1)
    expect(real.deleted.rollupHourly).toBe(dry.deleted.rollupHourly)
    expect(real.deleted.rollupDaily).toBe(0)
    expect(real.deleted.outages).toBe(0)
    expect(real.deleted.monitorEvents).toBe(1)
    expect((db.prepare('SELECT ts FROM monitor_events').all() as {ts: number}[]).map((r) => r.ts)).toEqual([
      rawCut + DAY,
    ])
    expect(db.prepare('SELECT status, created_at FROM notifications ORDER BY id').all()).toEqual([
      {status: 'pending', created_at: rawCut - DAY},
      {status: 'sent', created_at: rawCut + DAY},
    ])
    expect(real.deleted.notifications).toBe(1)
    // The dictionary keeps only texts used since the cutoff's hour.
    expect(
      db
        .prepare('SELECT count(*) FROM result_texts WHERE last_hour < ?')
        .pluck()
        .get(rawCut / HOUR),
    ).toBe(0)
    // One block per hour: 90 days of blocks in batches of 1000.
    expect(real.batches).toBeGreaterThanOrEqual(Math.ceil((90 * 24) / 1000))
    expect(count(db, 'results')).toBe(results.length - oldRaw)
    expect(count(db, 'rollup_daily')).toBe(before.daily)
    expect(count(db, 'outages')).toBe(before.outages)
    expect(retentionMarks(db)).toEqual({raw: rawCut, hourly: NOW - 90 * DAY, daily: NOW - 731 * DAY})
    expect(lastResults(db)[0].ts).toBe(results.filter((r) => r.startedAt < NOW).at(-2)!.startedAt)

    // A second run finds nothing more.
    const again = await pruneOnce(db, NOW, DEFAULT_RETENTION)
    expect(again.deleted).toEqual({
      results: 0,
      resultTexts: 0,
      posture: 0,
      runs: 0,
      monitorEvents: 0,
      notifications: 0,
      rollupHourly: 0,
      rollupDaily: 0,
      outages: 0,
    })
  })

  it('keeps reports working past raw retention, widening pruned edges to the hour or day and saying so', async () => {
    const {db, results} = seed()
    await pruneOnce(db, NOW, DEFAULT_RETENTION)
    const total = (since: number, until: number) =>
      results.filter((r) => r.startedAt >= since && r.startedAt < until).length

    const recent = uptimeReport(db, {since: NOW - 7 * DAY, until: NOW, label: '7d'})
    expect(recent.approximate).toBe(false)
    expect(recent.checks[0].results).toBe(total(NOW - 7 * DAY, NOW))

    // 60 days back: raw results are gone, the hourly rows are there: the edge widens to its hour.
    const mid = uptimeReport(db, {since: NOW - 60 * DAY, until: NOW, label: '60d'})
    const midFrom = Math.floor((NOW - 60 * DAY) / HOUR_MS) * HOUR_MS
    expect(mid.approximate).toBe(true)
    expect(mid.coveredSince).toBe(new Date(midFrom).toISOString())
    expect(mid.checks[0].results).toBe(total(midFrom, NOW))

    // 110 days back: hourly rows are gone too: the edge widens to its London day.
    const old = uptimeReport(db, {since: NOW - 110 * DAY, until: NOW, label: '110d'})
    const oldFrom = zonedDayStart(NOW - 110 * DAY)
    expect(old.coveredSince).toBe(new Date(oldFrom).toISOString())
    expect(old.checks[0].results).toBe(total(oldFrom, NOW))
    expect(old.checks[0].crit).toBe(
      results.filter((r) => r.startedAt >= oldFrom && r.startedAt < NOW && r.status === 'crit').length,
    )
  })

  it('prunes posture rows (and their findings) with the raw results they came from', async () => {
    const f = freshDb('wk-prune-posture-')
    cleanups.push(f.cleanup)
    const posture = (at: number): CheckResult => ({
      checkId: 'web',
      kind: 'web-security',
      target: 'https://w.test/',
      status: 'warn',
      summary: 'grade B',
      startedAt: at,
      durationMs: 300,
      attempts: 1,
      timings: {totalMs: 300},
      findings: [{id: 'web.csp.missing', severity: 'warn', message: 'no CSP'}],
      metrics: {},
      details: {grade: 'B', score: 80},
    })
    for (const at of [NOW - 40 * DAY, NOW - DAY]) {
      storeRun(f.db, {
        source: 'check run',
        startedAt: at,
        finishedAt: at + 1000,
        checks: [{id: 'web', kind: 'web-security', target: 'https://w.test/'}],
        results: [posture(at)],
      })
    }

    const real = await pruneOnce(f.db, NOW, DEFAULT_RETENTION)
    expect(real.deleted).toMatchObject({results: 1, posture: 1, runs: 1})
    expect(f.db.prepare('SELECT ts FROM posture').pluck().all()).toEqual([NOW - DAY])
    expect(f.db.prepare('SELECT count(*) FROM posture_findings').pluck().get()).toBe(1)
    expect(latestPosture(f.db)[0]).toMatchObject({ts: NOW - DAY, grade: 'B'})
    expect(resultById(f.db, latestPosture(f.db)[0].resultId)?.findings).toEqual([
      {id: 'web.csp.missing', severity: 'warn', message: 'no CSP'},
    ])
  })

  it('parses retention durations and refuses less than a day', () => {
    expect(parseRetention('30d', 'x')).toBe(30 * DAY)
    expect(parseRetention('2y', 'x')).toBe(730 * DAY)
    expect(parseRetention('13w', 'x')).toBe(91 * DAY)
    expect(() => parseRetention('5h', '--keep-raw')).toThrow(UserError)
    expect(() => parseRetention('soon', '--keep-raw')).toThrow(/--keep-raw/)
  })

  it('lets a concurrent writer in while `db prune` deletes a large backlog (real CLI, short busy timeout)', async () => {
    const f = freshDb('wk-prune-cli-')
    cleanups.push(f.cleanup)
    const old = Date.now() - 60 * DAY
    const backlog = Array.from({length: 60_000}, (_, i) => result('bulk', old + i * 1000, 'ok', 12))
    store(f.db, {bulk: undefined}, backlog, 5000)
    f.db.close()
    // The writer waits at most 100 ms for the lock: deleting the backlog in one transaction takes longer
    // (about 200-300 ms here, and the writer then fails with "database is locked"); 500-row batches do not.
    const writer = openDatabase(f.file, {busyTimeoutMs: 100})
    cleanups.push(() => writer.close())
    const refs = store(writer, {live: undefined}, [])
    const child = runCli(['db', 'prune', '--db', f.file, '--batch-size', '500', '--json'])
    let done = false
    void child.then(() => (done = true))
    let writes = 0
    while (!done) {
      insertResults(writer, refs, null, [result('live', Date.now(), 'ok', 5)])
      writes++
      await sleep(2)
    }

    const out = await child
    expect(out.code).toBe(0)
    const report = JSON.parse(out.stdout)
    expect(report.deleted.results).toBe(60_000)
    expect(report.batches).toBeGreaterThanOrEqual(1)
    expect(writes).toBeGreaterThan(50)
    expect(count(writer, 'results')).toBe(writes)
  })
})

describe('db backup, vacuum and stats', () => {
  it('backs up online to a file that opens and holds the rows; refuses to overwrite without force', async () => {
    const {db, dir, results} = seed()
    const file = path.join(dir, 'copy.db')
    const report = await backupDatabase(db, file)
    expect(report.file).toBe(file)
    expect(report.bytes).toBeGreaterThan(0)
    expect(verifyDatabaseFile(file)).toEqual({ok: true, integrity: 'ok', results: results.length})
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const copy = openDatabase(file, {readonly: true})
    const m = new Map<number, Aggregate>()
    addRollups(copy, 'daily', 0, NOW + DAY, m)
    expect([...m.values()][0].ok + [...m.values()][0].crit).toBe(results.length)
    copy.close()

    await expect(backupDatabase(db, file)).rejects.toThrow(/already exists/)
    await expect(backupDatabase(db, db.name)).rejects.toThrow(/database itself/)
    store(db, {web: 'Web'}, [result('web', NOW, 'ok', 1)])
    await backupDatabase(db, file, {force: true})
    expect(verifyDatabaseFile(file).results).toBe(results.length + 1)
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([])
  })

  it('reports sizes, rows per table, bytes per result and the time span; vacuum gives space back after a prune', async () => {
    const {db, results} = seed()
    const s = databaseStats(db)
    expect(s.schemaVersion).toBeGreaterThanOrEqual(3)
    expect(s.results.rows).toBe(results.length)
    expect(s.results.oldest).toBe(new Date(NOW - 120 * DAY).toISOString())
    expect(s.results.bytesPerResult).toBeGreaterThan(2)
    expect(s.results.bytesPerResult).toBeLessThan(500)
    expect(s.rollups.daily.rows).toBeGreaterThanOrEqual(120)
    expect(s.tables.find((t) => t.name === 'rollup_hourly')!.rows).toBe(s.rollups.hourly.rows)
    expect(s.fileBytes + s.walBytes).toBeGreaterThanOrEqual(s.pages * s.pageSize - s.pageSize)
    expect(s.outages.rows).toBeGreaterThan(0)

    await pruneOnce(db, NOW, {raw: DAY, hourly: 2 * DAY, daily: 731 * DAY})
    const v = vacuum(db)
    expect(v.afterBytes).toBeLessThan(v.beforeBytes)
    const after = databaseStats(db)
    expect(after.walBytes).toBe(0)
    expect(after.prunedBefore.raw).toBe(new Date(Math.floor((NOW - DAY) / HOUR) * HOUR).toISOString())
  })
})
