import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import type {CheckResult, Status} from '../../src/types.js'
import {ResultWriter} from '../../src/monitor/result-writer.js'
import {sloReport} from '../../src/reports/slo.js'
import {statusReport} from '../../src/reports/status.js'
import {uptimeReport} from '../../src/reports/uptime.js'
import {openDatabase} from '../../src/store/db.js'
import {findVantage, lastResults, recentResults, statusSince, storeRun, upsertChecks} from '../../src/store/results.js'
import {runCli, tmpDir} from '../helpers/cli.js'

const T0 = Date.UTC(2026, 10, 20, 9, 0, 0)
const MIN = 60_000

function result(status: Status, at: number, ms: number): CheckResult {
  return {
    checkId: 'api',
    kind: 'http',
    target: 'https://api.test/',
    status,
    summary: `HTTP ${status === 'ok' ? 200 : 503} in ${ms} ms`,
    startedAt: at,
    durationMs: ms,
    attempts: 1,
    timings: {connectMs: 2, ttfbMs: ms - 3, totalMs: ms},
    findings: [],
    metrics: {httpStatus: status === 'ok' ? 200 : 503},
  }
}

describe('vantages', () => {
  const tmp = tmpDir('wk-vantage-')
  afterAll(() => tmp.cleanup())
  const internet = {id: 'aws-london', net: 'internet', region: 'eu-west-2'}
  const hscn = {id: 'trust-hscn', net: 'hscn'}

  it('stamps results with their vantage and filters history, status, uptime and SLO by it; one vantage reads as none', async () => {
    const file = path.join(tmp.dir, 'two.db')
    const db = openDatabase(file)
    const refs = upsertChecks(db, [{id: 'api', kind: 'http', target: 'https://api.test/'}], T0)
    const a = new ResultWriter(db, refs, null, {vantage: internet})
    const b = new ResultWriter(db, refs, null, {vantage: hscn})
    // The internet vantage sees an outage from minute 30 to 40; HSCN sees the service up throughout.
    for (let m = 0; m < 120; m++) {
      a.add(result(m >= 30 && m < 40 ? 'crit' : 'ok', T0 + m * MIN, 40))
      b.add(result('ok', T0 + m * MIN + 500, 12))
    }

    a.flush()
    b.flush()
    const ia = findVantage(db, 'aws-london')!
    const ib = findVantage(db, 'trust-hscn')!
    expect(() => findVantage(db, 'nowhere')).toThrow(/No results from vantage "nowhere"/)
    expect(recentResults(db, 'api', {limit: 500})).toHaveLength(240)
    expect(recentResults(db, 'api', {limit: 500, vantageRef: ia}).every((r) => r.vantage === 'aws-london')).toBe(true)
    expect(recentResults(db, 'api', {limit: 500, vantageRef: ib}).map((r) => r.durationMs)).toEqual(
      new Array(120).fill(12),
    )
    expect(lastResults(db, undefined, {vantageRef: ia})[0].ts).toBe(T0 + 119 * MIN)
    expect(statusSince(db, 'api', 'ok', {vantageRef: ia})).toBe(T0 + 40 * MIN)
    expect(statusSince(db, 'api', 'ok', {vantageRef: ib})).toBe(T0 + 500)

    const window = {since: T0, until: T0 + 120 * MIN, label: '2h'}
    const up = (vantageRef?: number) => uptimeReport(db, window, {vantageRef}).checks[0]
    expect(up(ia)).toMatchObject({results: 120, crit: 10})
    expect(up(ia).outages).toMatchObject({count: 1, downtimeMs: 10 * MIN})
    expect(up(ib)).toMatchObject({results: 120, crit: 0, outages: {count: 0}})
    expect(up()).toMatchObject({results: 240, crit: 10})
    const slo = sloReport(db, {objective: 99, windowMs: 2 * 3_600_000, until: T0 + 120 * MIN}, {vantageRef: ib})
    expect(slo.checks[0]).toMatchObject({id: 'api', eligible: 120, bad: 0})
    expect(
      sloReport(db, {objective: 99, windowMs: 2 * 3_600_000, until: T0 + 120 * MIN}, {vantageRef: ia}).checks[0],
    ).toMatchObject({eligible: 120, bad: 10})
    expect(statusReport(db, {now: T0 + 2 * 60 * MIN, vantageRef: ib}).checks[0].lastLatencyMs).toBe(12)
    db.close()

    const cli = await runCli(['history', 'api', '--vantage', 'trust-hscn', '--limit', '3', '--json', '--db', file])
    expect(cli.code, cli.stderr).toBe(0)
    expect(JSON.parse(cli.stdout).results.map((r: {vantage: string}) => r.vantage)).toEqual([
      'trust-hscn',
      'trust-hscn',
      'trust-hscn',
    ])
    const bad = await runCli(['report', 'uptime', '--vantage', 'nowhere', '--db', file])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/No results from vantage "nowhere"[\s\S]*aws-london, trust-hscn/)
  }, 60_000)

  it('with a single vantage, every read is the same filtered or not', () => {
    const db = openDatabase(path.join(tmp.dir, 'one.db'))
    const results = Array.from({length: 90}, (_, m) => result(m % 17 === 3 ? 'crit' : 'ok', T0 + m * MIN, 30 + (m % 5)))
    storeRun(db, {
      source: 'check run',
      startedAt: T0,
      finishedAt: T0 + 90 * MIN,
      checks: [{id: 'api', kind: 'http', target: 'https://api.test/'}],
      results,
      vantage: internet,
    })
    const v = findVantage(db, 'aws-london')
    const window = {since: T0 + 7 * MIN, until: T0 + 83 * MIN, label: 'x'}
    expect(uptimeReport(db, window, {vantageRef: v})).toEqual(uptimeReport(db, window))
    expect(recentResults(db, 'api', {limit: 100, vantageRef: v})).toEqual(recentResults(db, 'api', {limit: 100}))
    expect(statusReport(db, {now: T0 + 91 * MIN, vantageRef: v})).toEqual(statusReport(db, {now: T0 + 91 * MIN}))
    db.close()
  })
})
