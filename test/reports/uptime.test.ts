import {afterEach, describe, expect, it} from 'vitest'

import type {CheckResult, Status} from '../../src/types.js'
import {UserError} from '../../src/errors.js'
import {renderUptime} from '../../src/reports/render.js'
import {aggregateWindow, parseInstant, resolveWindow, uptimeReport} from '../../src/reports/uptime.js'
import {bucketOf} from '../../src/store/rollups.js'
import {exactPercentile, freshDb, HOUR, MINUTE, result, store} from '../store/seed.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

const T0 = Date.UTC(2026, 10, 2, 0, 0, 30) // GMT: London time is UTC
const N = 3 * 24 * 60
const CHECKS: Record<string, string | undefined> = {
  'login-api': 'NHS login',
  'login-web': 'NHS login',
  'app-api': 'NHS App',
  solo: undefined,
}

function statusOf(id: string, i: number): Status {
  const inRange = (a: number, b: number) => i >= a && i < b
  switch (id) {
    case 'login-api': {
      return inRange(600, 630) || inRange(2000, 2005) ? 'crit' : inRange(700, 710) ? 'unknown' : 'ok'
    }

    case 'login-web': {
      return inRange(100, 160) ? 'warn' : 'ok'
    }

    case 'app-api': {
      return inRange(1000, 1120) ? 'crit' : inRange(1500, 1600) ? 'unknown' : 'ok'
    }

    default: {
      return i >= 4000 ? 'crit' : 'ok'
    }
  }
}

function seed() {
  const f = freshDb('wk-uptime-')
  cleanups.push(f.cleanup)
  const results: CheckResult[] = []
  for (let i = 0; i < N; i++) {
    for (const id of Object.keys(CHECKS))
      results.push(result(id, T0 + i * MINUTE, statusOf(id, i), 15 + ((i * 31 + id.length * 7) % 400)))
  }

  store(f.db, CHECKS, results)
  return {...f, results}
}

describe('report uptime', () => {
  it('gives availability, counts, latency, longest outage and MTTR per check and service, from rollups plus raw edges', () => {
    const {db, results} = seed()
    const since = T0 + 5 * HOUR + 17 * MINUTE + 10_000
    const until = T0 + 4083 * MINUTE
    const report = uptimeReport(db, {since, until, label: 'test'})
    expect(report.approximate).toBe(false)
    const inWindow = results.filter((r) => r.startedAt >= since && r.startedAt < until)

    for (const id of Object.keys(CHECKS)) {
      const mine = inWindow.filter((r) => r.checkId === id)
      const n = (s: Status) => mine.filter((r) => r.status === s).length
      const row = report.checks.find((c) => c.id === id)!
      expect({results: row.results, ok: row.ok, warn: row.warn, crit: row.crit, unknown: row.unknown}).toEqual({
        results: mine.length,
        ok: n('ok'),
        warn: n('warn'),
        crit: n('crit'),
        unknown: n('unknown'),
      })
      const up = n('ok') + n('warn')
      expect(row.availability).toBe((up / (up + n('crit'))) * 100)
      const upMs = mine.filter((r) => r.status === 'ok' || r.status === 'warn').map((r) => r.durationMs)
      expect(row.latency!.maxMs).toBe(Math.max(...upMs))
      for (const [p, key] of [
        [50, 'p50Ms'],
        [95, 'p95Ms'],
        [99, 'p99Ms'],
      ] as const) {
        expect(bucketOf(row.latency![key])).toBe(bucketOf(exactPercentile(upMs, p)))
      }
    }

    const api = report.checks.find((c) => c.id === 'login-api')!
    expect(api.outages).toEqual({
      count: 2,
      downtimeMs: 35 * MINUTE,
      recovered: 2,
      mttrMs: 17.5 * MINUTE,
      longest: {
        checkId: 'login-api',
        durationMs: 30 * MINUTE,
        startedAt: new Date(T0 + 600 * MINUTE).toISOString(),
        endedAt: new Date(T0 + 630 * MINUTE).toISOString(),
      },
    })
    const solo = report.checks.find((c) => c.id === 'solo')!
    expect(solo.outages).toMatchObject({count: 1, downtimeMs: 83 * MINUTE, recovered: 0, mttrMs: null})
    expect(solo.outages.longest).toMatchObject({durationMs: 83 * MINUTE, endedAt: null})
    expect(report.checks.find((c) => c.id === 'login-web')!.outages).toEqual({
      count: 0,
      downtimeMs: 0,
      longest: null,
      recovered: 0,
      mttrMs: null,
    })

    expect(report.services.map((s) => s.id)).toEqual(['NHS App', 'NHS login'])
    const login = report.services.find((s) => s.id === 'NHS login')!
    const loginRows = inWindow.filter((r) => CHECKS[r.checkId] === 'NHS login')
    const loginUp = loginRows.filter((r) => r.status === 'ok' || r.status === 'warn').length
    const loginDown = loginRows.filter((r) => r.status === 'crit').length
    expect(login.checks).toBe(2)
    expect(login.results).toBe(loginRows.length)
    expect(login.availability).toBe((loginUp / (loginUp + loginDown)) * 100)
    expect(login.outages).toMatchObject({
      count: 2,
      recovered: 2,
      mttrMs: 17.5 * MINUTE,
      longest: {checkId: 'login-api', durationMs: 30 * MINUTE},
    })
    const app = report.services.find((s) => s.id === 'NHS App')!
    expect(app.outages).toMatchObject({count: 1, mttrMs: 120 * MINUTE, longest: {durationMs: 120 * MINUTE}})
  })

  it('reads raw results only for the partial hours at the edges', () => {
    const {db, results} = seed()
    const since = T0 + 5 * HOUR + 17 * MINUTE + 10_000
    const until = T0 + 4083 * MINUTE
    const agg = aggregateWindow(db, since, until)
    const hs = Math.ceil(since / HOUR) * HOUR
    const he = Math.floor(until / HOUR) * HOUR
    const edges = results.filter(
      (r) => (r.startedAt >= since && r.startedAt < hs) || (r.startedAt >= he && r.startedAt < until),
    )
    expect(agg.rows.raw).toBe(edges.length)
    expect(agg.rows.daily).toBe(4) // one whole London day (3 Nov) for each of 4 checks
    expect(agg.rows.hourly).toBe(4 * ((Date.UTC(2026, 10, 3) - hs) / HOUR + (he - Date.UTC(2026, 10, 4)) / HOUR))
  })

  it('filters by check id glob and by service', () => {
    const {db} = seed()
    const w = {since: T0, until: T0 + N * MINUTE, label: 'all'}
    expect(uptimeReport(db, w, {checks: ['login-*']}).checks.map((c) => c.id)).toEqual(['login-api', 'login-web'])
    const r = uptimeReport(db, w, {services: ['NHS App']})
    expect(r.checks.map((c) => c.id)).toEqual(['app-api'])
    expect(r.services.map((c) => c.id)).toEqual(['NHS App'])
  })

  it('renders a table, CSV and Markdown with the same figures', () => {
    const {db} = seed()
    const report = uptimeReport(db, {since: T0, until: T0 + N * MINUTE, label: '3d'})
    const csv = renderUptime(report, 'csv').trimEnd().split('\r\n')
    expect(csv[0]).toBe(
      'scope,id,service,checks,results,ok,warn,crit,unknown,availability_pct,p50_ms,p95_ms,p99_ms,max_ms,outages,downtime_s,longest_outage_s,mttr_s',
    )
    expect(csv).toHaveLength(1 + 4 + 2)
    const api = csv.find((l) => l.startsWith('check,login-api,'))!.split(',')
    expect(Number(api[7])).toBe(35)
    expect(Number(api[16])).toBe(1800)
    expect(Number(api[17])).toBe(1050)
    expect(csv.find((l) => l.startsWith('service,NHS login,'))).toContain(',NHS login,2,')
    const md = renderUptime(report, 'md')
    expect(md).toMatch(/^# Uptime 3d: /)
    expect(md).toContain('| login-api | NHS login |')
    expect(md).toContain('## Services')
    const table = renderUptime(report, 'table')
    expect(table.split('\n')[2]).toMatch(/^CHECK\s+SERVICE\s+RESULTS\s+AVAILABILITY/)
    expect(table).toMatch(/login-api\s+NHS login\s+4320\s+99\.\d{3}%\s+35\s+10\s/)
  })

  it('answers a London calendar month from daily rollups alone, across the end of summer time', () => {
    const f = freshDb('wk-month-')
    cleanups.push(f.cleanup)
    const from = Date.UTC(2026, 8, 30, 20)
    const results: CheckResult[] = []
    for (let t = from; t < Date.UTC(2026, 10, 1, 3); t += 10 * MINUTE)
      results.push(result('pds', t, t % (7 * HOUR) < 10 * MINUTE ? 'crit' : 'ok', 100))
    store(f.db, {pds: 'PDS'}, results, 500)
    const w = resolveWindow({period: 'month'}, Date.UTC(2026, 10, 15, 12))
    expect(w).toEqual({since: Date.UTC(2026, 8, 30, 23), until: Date.UTC(2026, 10, 1), label: 'month 2026-10'})
    const agg = aggregateWindow(f.db, w.since, w.until)
    expect(agg.rows).toEqual({daily: 31, hourly: 0, raw: 0})
    const r = uptimeReport(f.db, w).checks[0]
    const inMonth = results.filter((x) => x.startedAt >= w.since && x.startedAt < w.until)
    expect(r.results).toBe(inMonth.length)
    expect(r.results).toBe((31 * 24 + 1) * 6) // October 2026 in London has 745 hours
    expect(r.crit).toBe(inMonth.filter((x) => x.status === 'crit').length)
  })
})

describe('report windows', () => {
  const now = Date.UTC(2026, 6, 15, 12, 0, 0)

  it('reads instants as ages, London dates, London wall-clock times and zoned ISO times', () => {
    expect(parseInstant('now', now)).toBe(now)
    expect(parseInstant('7d', now)).toBe(now - 7 * 24 * HOUR)
    expect(parseInstant('90m', now)).toBe(now - 90 * MINUTE)
    expect(parseInstant('2026-07-01', now)).toBe(Date.UTC(2026, 5, 30, 23))
    expect(parseInstant('2026-12-01', now)).toBe(Date.UTC(2026, 11, 1))
    expect(parseInstant('2026-07-01T09:30', now)).toBe(Date.UTC(2026, 6, 1, 8, 30))
    expect(parseInstant('2026-07-01T09:30:00Z', now)).toBe(Date.UTC(2026, 6, 1, 9, 30))
    expect(() => parseInstant('last tuesday', now)).toThrow(UserError)
  })

  it('resolves periods, the previous London month across a year end, and rejects mixed flags', () => {
    expect(resolveWindow({}, now)).toEqual({since: now - 30 * 24 * HOUR, until: now, label: '30d'})
    expect(resolveWindow({period: '7d'}, now)).toEqual({since: now - 7 * 24 * HOUR, until: now, label: '7d'})
    expect(resolveWindow({period: 'month'}, Date.UTC(2026, 0, 10))).toEqual({
      since: Date.UTC(2025, 11, 1),
      until: Date.UTC(2026, 0, 1),
      label: 'month 2025-12',
    })
    expect(resolveWindow({period: 'month'}, now)).toEqual({
      since: Date.UTC(2026, 4, 31, 23),
      until: Date.UTC(2026, 5, 30, 23),
      label: 'month 2026-06',
    })
    expect(resolveWindow({since: '2026-07-01', until: '2026-07-08'}, now).since).toBe(Date.UTC(2026, 5, 30, 23))
    expect(() => resolveWindow({period: '7d', since: '1d'}, now)).toThrow(/cannot be combined/)
    expect(() => resolveWindow({since: '1d', until: '2d'}, now)).toThrow(/before/)
  })
})
