import {afterEach, describe, expect, it} from 'vitest'

import type {CheckResult, Status} from '../../src/types.js'
import {UserError} from '../../src/errors.js'
import {renderSlo} from '../../src/reports/render.js'
import {sloReport} from '../../src/reports/slo.js'
import {DAY, freshDb, HOUR, MINUTE, result, store} from '../store/seed.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

const UNTIL = Date.UTC(2026, 10, 20, 12, 0, 0)
const r4 = (n: number) => Math.round(n * 1e4) / 1e4

/** One result a minute over the day before UNTIL; i counts minutes from the start of that day. */
function day(id: string, status: (i: number) => Status): CheckResult[] {
  return Array.from({length: 1440}, (_, i) => result(id, UNTIL - DAY + i * MINUTE + 5000, status(i), 80))
}

function seed() {
  const f = freshDb('wk-slo-')
  cleanups.push(f.cleanup)
  // pds: 10 bad results early in the day, 3 in the last hour, 5 unknown; spine: clean.
  const early = new Set([30, 31, 32, 200, 201, 500, 501, 502, 503, 900])
  const pds = day('pds', (i) => (early.has(i) || i >= 1437 ? 'crit' : i >= 1000 && i < 1005 ? 'unknown' : 'ok'))
  const spine = day('spine', () => 'ok')
  store(f.db, {pds: 'Spine', spine: 'Spine'}, [...pds, ...spine])
  return f
}

describe('report slo', () => {
  it('computes the error budget, burn rates over the window, 1h and 6h, and the multi-window alert', () => {
    const {db} = seed()
    const report = sloReport(db, {objective: 99, windowMs: DAY, until: UNTIL})
    expect(report.thresholds).toEqual({fastBurn: 0.48, slowBurn: 0.2})
    const pds = report.checks.find((c) => c.id === 'pds')!
    const allowed = 1 - 99 / 100
    const eligible = 1440 - 5
    expect(pds.eligible).toBe(eligible)
    expect(pds.bad).toBe(13)
    expect(pds.unknown).toBe(5)
    expect(pds.budget.total).toBe(r4(allowed * eligible))
    expect(pds.budget.used).toBe(13)
    expect(pds.budget.left).toBe(r4(allowed * eligible - 13))
    expect(pds.budget.leftPct).toBe(Math.round(((allowed * eligible - 13) / (allowed * eligible)) * 1e4) / 100)
    expect(pds.budget.totalMs).toBe(Math.round(allowed * DAY))
    expect(pds.burnRate.window).toBe(r4(13 / eligible / allowed))
    expect(pds.burnRate.last1h).toBe(r4(3 / 60 / allowed))
    expect(pds.burnRate.last1h).toBe(5)
    expect(pds.burnRate.last6h).toBe(r4(3 / 360 / allowed))
    expect(pds.alert).toBe('fast-burn')

    const spine = report.checks.find((c) => c.id === 'spine')!
    expect(spine.burnRate).toEqual({window: 0, last1h: 0, last6h: 0})
    expect(spine.budget.leftPct).toBe(100)
    expect(spine.alert).toBeNull()

    const svc = report.services[0]
    expect(svc).toMatchObject({id: 'Spine', checks: 2, eligible: eligible + 1440, bad: 13})
    expect(svc.burnRate.last1h).toBe(r4(3 / 120 / allowed))
    expect(svc.alert).toBe('fast-burn')
  })

  it('tells a slow burn from a fast one, and a blown budget goes negative', () => {
    const {db} = seed()
    // Two hours later the last-hour burn is 0; the last 6 hours still hold the 3 bad results.
    const later = sloReport(db, {objective: 99, windowMs: DAY, until: UNTIL + 2 * HOUR})
    const pds = later.checks.find((c) => c.id === 'pds')!
    expect(pds.burnRate.last1h).toBeNull() // no results at all in that hour
    expect(pds.burnRate.last6h).toBe(r4(3 / 240 / 0.01))
    expect(pds.alert).toBe('slow-burn')
    const strict = sloReport(db, {objective: 99.9, windowMs: DAY, until: UNTIL})
    const p = strict.checks.find((c) => c.id === 'pds')!
    expect(p.budget.left).toBeLessThan(0)
    expect(p.budget.leftPct).toBe(Math.round(((0.001 * 1435 - 13) / (0.001 * 1435)) * 1e4) / 100)
  })

  it('rejects objectives outside (0, 100)', () => {
    const {db} = seed()
    for (const objective of [0, 100, 120, Number.NaN])
      expect(() => sloReport(db, {objective, windowMs: DAY, until: UNTIL})).toThrow(UserError)
  })

  it('renders CSV with one row per check and service', () => {
    const {db} = seed()
    const csv = renderSlo(sloReport(db, {objective: 99, windowMs: DAY, until: UNTIL}), 'csv')
      .trimEnd()
      .split('\r\n')
    expect(csv[0]).toBe(
      'scope,id,service,objective_pct,eligible,bad,availability_pct,budget_total,budget_used,budget_left,budget_left_pct,budget_left_s,burn_window,burn_1h,burn_6h,alert',
    )
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
      'check,pds',
      'check,spine',
      'service,Spine',
    ])
    expect(csv[1].split(',').at(-1)).toBe('fast-burn')
    expect(csv[2].split(',').at(-1)).toBe('')
  })
})
