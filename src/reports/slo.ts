import type {DB} from '../store/db.js'
import {UserError} from '../errors.js'
import {type Aggregate, emptyAggregate, HOUR_MS, mergeAggregate, ROLLUP_TIME_ZONE} from '../store/rollups.js'
import {aggregateWindow, type ReportFilter, selectCheckRows} from './uptime.js'

/*
 * SLO arithmetic over results (the same definitions as the uptime report, health checks only by default):
 * - eligible = up + down results (unknown left out); bad = down (crit) results.
 * - error budget (results) = (1 − objective) × eligible; used = bad; left = budget − used (negative when blown).
 * - burn rate over a span = (bad / eligible in that span) / (1 − objective): 1 spends the budget exactly
 *   over the window, 14.4 spends a 30-day budget in just over two days.
 * - alerts as in the Google SRE workbook (multi-window, multi-burn-rate), scaled to the window:
 *   fast burn = 2% of the budget within the last hour (14.4 for 30 days),
 *   slow burn = 5% of the budget within the last 6 hours (6 for 30 days).
 */

export interface SloOptions {
  /** Percent, e.g. 99.9. */
  objective: number
  windowMs: number
  /** End of the window (epoch ms); the 1h and 6h burn rates end here too. */
  until: number
}

export interface SloRow {
  scope: 'check' | 'service'
  id: string
  name: string | null
  service: string | null
  checks: number
  objective: number
  eligible: number
  bad: number
  unknown: number
  availability: number | null
  budget: {
    /** Bad results the objective allows over the window. */
    total: number
    used: number
    left: number
    /** left / total × 100; negative when the budget is blown. */
    leftPct: number | null
    /** The budget as time: (1 − objective) × window, and the share of it left. */
    totalMs: number
    leftMs: number | null
  }
  burnRate: {window: number | null; last1h: number | null; last6h: number | null}
  alert: 'fast-burn' | 'slow-burn' | null
}

export interface SloReport {
  since: string
  until: string
  windowMs: number
  objective: number
  thresholds: {fastBurn: number; slowBurn: number}
  coveredSince: string
  approximate: boolean
  timeZone: string
  /** Whether posture checks are counted; when not, how many matched and were left out. */
  includePosture: boolean
  postureChecksLeftOut: number
  checks: SloRow[]
  services: SloRow[]
}

export function validateObjective(objective: number): number {
  if (!Number.isFinite(objective) || objective <= 0 || objective >= 100) {
    throw new UserError(`The objective must be a percentage between 0 and 100, exclusive (got ${objective}).`, {
      hint: 'For example --objective 99.9',
      code: 'E_USAGE',
      exit: 2,
    })
  }

  return objective
}

function round(n: number, places = 4): number {
  const f = 10 ** places
  return Math.round(n * f) / f
}

function burn(a: Aggregate | undefined, allowed: number): number | null {
  if (!a) return null
  const eligible = a.ok + a.warn + a.crit
  return eligible === 0 ? null : round(a.crit / eligible / allowed)
}

/** The objective a report measures against: the error budget's share and the burn-rate alert thresholds. */
interface BudgetTerms {
  objective: number
  allowed: number
  windowMs: number
  thresholds: {fastBurn: number; slowBurn: number}
}

/** One row of the report: availability, error budget and burn rates of a check or a service's checks together. */
function sloRow(
  t: BudgetTerms,
  who: Pick<SloRow, 'scope' | 'id' | 'name' | 'service' | 'checks'>,
  a: Aggregate,
  a1: Aggregate | undefined,
  a6: Aggregate | undefined,
): SloRow {
  const {allowed, thresholds} = t
  const eligible = a.ok + a.warn + a.crit
  const total = allowed * eligible
  const left = total - a.crit
  const burnRate = {window: burn(a, allowed), last1h: burn(a1, allowed), last6h: burn(a6, allowed)}
  const alert =
    burnRate.last1h !== null && burnRate.last1h >= thresholds.fastBurn
      ? 'fast-burn'
      : burnRate.last6h !== null && burnRate.last6h >= thresholds.slowBurn
        ? 'slow-burn'
        : null
  const totalMs = Math.round(allowed * t.windowMs)
  return {
    ...who,
    objective: t.objective,
    eligible,
    bad: a.crit,
    unknown: a.unknown,
    availability: eligible === 0 ? null : round(((a.ok + a.warn) / eligible) * 100),
    budget: {
      total: round(total),
      used: a.crit,
      left: round(left),
      leftPct: total > 0 ? round((left / total) * 100, 2) : null,
      totalMs,
      leftMs: total > 0 ? Math.round((left / total) * totalMs) : null,
    },
    burnRate,
    alert,
  }
}

export function sloReport(db: DB, opts: SloOptions, filter: ReportFilter = {}): SloReport {
  const objective = validateObjective(opts.objective)
  const allowed = 1 - objective / 100
  const since = opts.until - opts.windowMs
  const thresholds = {
    fastBurn: round((0.02 * opts.windowMs) / HOUR_MS),
    slowBurn: round((0.05 * opts.windowMs) / (6 * HOUR_MS)),
  }
  const v = {vantageRef: filter.vantageRef}
  const whole = aggregateWindow(db, since, opts.until, v)
  const h1 = aggregateWindow(db, opts.until - HOUR_MS, opts.until, v).byCheck
  const h6 = aggregateWindow(db, opts.until - 6 * HOUR_MS, opts.until, v).byCheck

  const terms: BudgetTerms = {objective, allowed, windowMs: opts.windowMs, thresholds}
  const build = (
    scope: SloRow['scope'],
    id: string,
    name: string | null,
    service: string | null,
    checks: number,
    a: Aggregate,
    a1: Aggregate | undefined,
    a6: Aggregate | undefined,
  ): SloRow => sloRow(terms, {scope, id, name, service, checks}, a, a1, a6)

  const checks: SloRow[] = []
  const services = new Map<string, {a: Aggregate; a1: Aggregate; a6: Aggregate; checks: number}>()
  const selected = selectCheckRows(db, filter)
  for (const c of selected.rows) {
    const a = whole.byCheck.get(c.ref)
    if (!a) continue
    checks.push(build('check', c.checkId, c.name, c.service, 1, a, h1.get(c.ref), h6.get(c.ref)))
    if (c.service !== null) {
      let s = services.get(c.service)
      if (!s)
        services.set(c.service, (s = {a: emptyAggregate(), a1: emptyAggregate(), a6: emptyAggregate(), checks: 0}))
      mergeAggregate(s.a, a)
      if (h1.has(c.ref)) mergeAggregate(s.a1, h1.get(c.ref)!)
      if (h6.has(c.ref)) mergeAggregate(s.a6, h6.get(c.ref)!)
      s.checks++
    }
  }

  const serviceRows = [...services.entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([name, s]) => build('service', name, null, name, s.checks, s.a, s.a1, s.a6))
  return {
    since: new Date(since).toISOString(),
    until: new Date(opts.until).toISOString(),
    windowMs: opts.windowMs,
    objective,
    thresholds,
    coveredSince: new Date(whole.coveredSince).toISOString(),
    approximate: whole.coveredSince !== since || whole.coveredUntil !== opts.until,
    timeZone: ROLLUP_TIME_ZONE,
    includePosture: filter.includePosture === true,
    postureChecksLeftOut: selected.postureLeftOut,
    checks,
    services: serviceRows,
  }
}
