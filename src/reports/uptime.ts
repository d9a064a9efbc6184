import type {DB} from '../store/db.js'
import {UserError} from '../errors.js'
import {
  addRaw,
  addRollups,
  type Aggregate,
  type CheckRow,
  checkRows,
  emptyAggregate,
  HOUR_MS,
  hourStart,
  mergeAggregate,
  nextZonedDay,
  outagesOverlapping,
  percentile,
  retentionMarks,
  ROLLUP_TIME_ZONE,
  zonedDayStart,
  zonedMidnight,
  zonedParts,
} from '../store/rollups.js'
import {parseDuration} from '../util/duration.js'
import {globMatch} from '../util/glob.js'
import {parseWhen} from '../util/when.js'

/*
 * Definitions (docs/reports.md repeats them):
 * - availability is about health checks: posture checks (web-security, email-security, tls with posture:)
 *   grade configuration, so they are left out unless asked for (includePosture); `report posture` covers them.
 * - up = ok or warn results; down = crit results; unknown results are left out of availability.
 * - availability % = up / (up + down) × 100, over results (every result weighs the same).
 * - an outage runs from the first down result to the first up result after it (unknown results in
 *   between neither end nor extend it); ongoing outages are cut at the end of the window.
 * - longest outage: the longest outage overlapping the window, counted only inside the window.
 * - MTTR: mean full length of the outages that ended (recovered) inside the window.
 * - latency percentiles: nearest-rank, over up results, from log-bucket histograms (±6%).
 */

export const PERIODS = ['24h', '7d', '30d', '90d', 'month'] as const
export type Period = (typeof PERIODS)[number]

export interface ReportWindow {
  since: number
  until: number
  /** How the window was asked for, e.g. "30d", "month 2026-10", "2026-10-01 .. 2026-10-08". */
  label: string
}

/** An instant from the command line, in the one time-flag grammar (util/when). */
export function parseInstant(text: string, now: number, what = 'time'): number {
  return parseWhen(text, now, what)
}

/** The previous calendar month in Europe/London, relative to now. */
export function previousMonth(now: number): ReportWindow {
  const p = zonedParts(now, ROLLUP_TIME_ZONE)
  const since = zonedMidnight(p.year, p.month - 1, 1)
  const until = zonedMidnight(p.year, p.month, 1)
  const q = zonedParts(since + 12 * HOUR_MS, ROLLUP_TIME_ZONE)
  return {since, until, label: `month ${q.year}-${String(q.month).padStart(2, '0')}`}
}

/** The report window from --since/--until or --period (default 30d), ending now unless told. */
export function resolveWindow(opts: {since?: string; until?: string; period?: string}, now: number): ReportWindow {
  if (opts.period && (opts.since || opts.until)) {
    throw new UserError('--period cannot be combined with --since or --until.', {code: 'E_USAGE', exit: 2})
  }

  if (opts.period === 'month') return previousMonth(now)
  if (opts.since || opts.until) {
    const until = opts.until ? parseInstant(opts.until, now, '--until') : now
    const since = opts.since ? parseInstant(opts.since, now, '--since') : until - 30 * 86_400_000
    if (since >= until) throw new UserError('--since must be before --until.', {code: 'E_USAGE', exit: 2})
    return {since, until, label: `${new Date(since).toISOString()} .. ${new Date(until).toISOString()}`}
  }

  const period = opts.period ?? '30d'
  const ms = parseDuration(period)
  if (ms === undefined || ms <= 0)
    throw new UserError(`Unknown period "${period}".`, {
      hint: `Use one of ${PERIODS.join(', ')}.`,
      code: 'E_USAGE',
      exit: 2,
    })
  return {since: now - ms, until: now, label: period}
}

export interface WindowAggregate {
  byCheck: Map<number, Aggregate>
  /** The span the figures really cover: wider than asked when raw results or hourly rows were pruned. */
  coveredSince: number
  coveredUntil: number
  /** Rows read per source. */
  rows: {daily: number; hourly: number; raw: number}
}

/**
 * Counts and latency per check over [since, until): whole London days from daily rollups, whole hours
 * from hourly rollups, and raw results only for the partial hours at the two edges. Where the raw results
 * of an edge have been pruned, the edge widens to its whole hour (or day, when hourly rows are gone too).
 */
export function aggregateWindow(
  db: DB,
  since: number,
  until: number,
  opts: {vantageRef?: number} = {},
): WindowAggregate {
  const marks = retentionMarks(db)
  let from = since
  let to = until
  if (from < marks.raw && from % HOUR_MS !== 0)
    from = hourStart(from) >= marks.hourly ? hourStart(from) : zonedDayStart(from)
  else if (from < marks.hourly && from !== zonedDayStart(from)) from = zonedDayStart(from)
  if (hourStart(to) < marks.raw && to % HOUR_MS !== 0)
    to = hourStart(to) >= marks.hourly ? hourStart(to) + HOUR_MS : nextZonedDay(zonedDayStart(to))
  else if (zonedDayStart(to) < marks.hourly && to !== zonedDayStart(to)) to = nextZonedDay(zonedDayStart(to))

  const byCheck = new Map<number, Aggregate>()
  const rows = {daily: 0, hourly: 0, raw: 0}
  const hs = Math.ceil(from / HOUR_MS) * HOUR_MS
  const he = hourStart(to)
  if (hs > he) {
    rows.raw += addRaw(db, from, to, byCheck, opts)
  } else {
    let ds = zonedDayStart(hs)
    if (ds < hs) ds = nextZonedDay(ds)
    const de = zonedDayStart(he)
    if (ds < de) {
      rows.daily += addRollups(db, 'daily', ds, de, byCheck, opts)
      rows.hourly += addRollups(db, 'hourly', hs, ds, byCheck, opts)
      rows.hourly += addRollups(db, 'hourly', de, he, byCheck, opts)
    } else {
      rows.hourly += addRollups(db, 'hourly', hs, he, byCheck, opts)
    }

    rows.raw += addRaw(db, from, hs, byCheck, opts)
    rows.raw += addRaw(db, he, to, byCheck, opts)
  }

  return {byCheck, coveredSince: from, coveredUntil: to, rows}
}

export interface LatencySummary {
  meanMs: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  maxMs: number
}

export interface OutageSummary {
  count: number
  /** Down time inside the window, summed over outages. */
  downtimeMs: number
  longest: {checkId: string; durationMs: number; startedAt: string; endedAt: string | null} | null
  /** Outages that ended inside the window, and their mean full length. */
  recovered: number
  mttrMs: number | null
}

export interface UptimeRow {
  scope: 'check' | 'service'
  /** Check id, or service name. */
  id: string
  name: string | null
  service: string | null
  checks: number
  results: number
  ok: number
  warn: number
  crit: number
  unknown: number
  /** up / (up + down) × 100; null when there is no up or down result. */
  availability: number | null
  latency: LatencySummary | null
  outages: OutageSummary
}

export interface UptimeReport {
  since: string
  until: string
  label: string
  coveredSince: string
  coveredUntil: string
  approximate: boolean
  timeZone: string
  /** Whether posture checks are counted; when not, how many matched and were left out. */
  includePosture: boolean
  postureChecksLeftOut: number
  checks: UptimeRow[]
  services: UptimeRow[]
}

export interface ReportFilter {
  /** Check ids; `*` matches any text. */
  checks?: readonly string[]
  services?: readonly string[]
  /** Count posture checks too (default: health checks only). */
  includePosture?: boolean
  /** Only results from this vantage (its ref; see findVantage). */
  vantageRef?: number
}

/** The checks a report covers, and how many posture checks matched but were left out. */
export function selectCheckRows(db: DB, filter: ReportFilter): {rows: CheckRow[]; postureLeftOut: number} {
  const matched = checkRows(db).filter(
    (c) =>
      (!filter.checks?.length || filter.checks.some((p) => globMatch(p, c.checkId))) &&
      (!filter.services?.length || (c.service !== null && filter.services.includes(c.service))),
  )
  if (filter.includePosture) return {rows: matched, postureLeftOut: 0}
  const rows = matched.filter((c) => !c.posture)
  return {rows, postureLeftOut: matched.length - rows.length}
}

export function availabilityOf(a: Aggregate): number | null {
  const up = a.ok + a.warn
  const eligible = up + a.crit
  return eligible === 0 ? null : (up / eligible) * 100
}

export function latencyOf(a: Aggregate): LatencySummary | null {
  const up = a.ok + a.warn
  if (up === 0) return null
  const round = (n: number) => Math.round(n * 100) / 100
  return {
    meanMs: round(a.sumMs / up),
    p50Ms: round(percentile(a.hist, 50, a.maxMs)!),
    p95Ms: round(percentile(a.hist, 95, a.maxMs)!),
    p99Ms: round(percentile(a.hist, 99, a.maxMs)!),
    maxMs: round(a.maxMs),
  }
}

interface OutageSpan {
  checkId: string
  startedAt: number
  endedAt: number | null
}

function summariseOutages(spans: readonly OutageSpan[], since: number, until: number): OutageSummary {
  let downtimeMs = 0
  let longest: OutageSummary['longest'] = null
  let recovered = 0
  let recoveredMs = 0
  for (const o of spans) {
    const inside = Math.min(o.endedAt ?? until, until) - Math.max(o.startedAt, since)
    downtimeMs += Math.max(0, inside)
    if (!longest || inside > longest.durationMs) {
      longest = {
        checkId: o.checkId,
        durationMs: inside,
        startedAt: new Date(o.startedAt).toISOString(),
        endedAt: o.endedAt === null ? null : new Date(o.endedAt).toISOString(),
      }
    }

    if (o.endedAt !== null && o.endedAt > since && o.endedAt <= until) {
      recovered++
      recoveredMs += o.endedAt - o.startedAt
    }
  }

  return {
    count: spans.length,
    downtimeMs,
    longest,
    recovered,
    mttrMs: recovered === 0 ? null : Math.round(recoveredMs / recovered),
  }
}

function row(
  scope: UptimeRow['scope'],
  id: string,
  name: string | null,
  service: string | null,
  checks: number,
  a: Aggregate,
  outages: OutageSummary,
): UptimeRow {
  return {
    scope,
    id,
    name,
    service,
    checks,
    results: a.ok + a.warn + a.crit + a.unknown,
    ok: a.ok,
    warn: a.warn,
    crit: a.crit,
    unknown: a.unknown,
    availability: availabilityOf(a),
    latency: latencyOf(a),
    outages,
  }
}

/** Per-check and per-service uptime over a window; answered from rollups and the outage table. */
export function uptimeReport(db: DB, window: ReportWindow, filter: ReportFilter = {}): UptimeReport {
  const {rows: checks, postureLeftOut} = selectCheckRows(db, filter)
  const agg = aggregateWindow(db, window.since, window.until, {vantageRef: filter.vantageRef})
  const spansByRef = new Map<number, OutageSpan[]>()
  const idOf = new Map(checks.map((c) => [c.ref, c.checkId]))
  for (const o of outagesOverlapping(db, window.since, window.until, {vantageRef: filter.vantageRef})) {
    const checkId = idOf.get(o.checkRef)
    if (checkId === undefined) continue
    let list = spansByRef.get(o.checkRef)
    if (!list) spansByRef.set(o.checkRef, (list = []))
    list.push({checkId, startedAt: o.startedAt, endedAt: o.endedAt})
  }

  const checkRowsOut: UptimeRow[] = []
  const services = new Map<string, {agg: Aggregate; spans: OutageSpan[]; checks: number}>()
  for (const c of checks) {
    const a = agg.byCheck.get(c.ref)
    const spans = spansByRef.get(c.ref) ?? []
    if (!a && spans.length === 0) continue
    const aggregate = a ?? emptyAggregate()
    checkRowsOut.push(
      row('check', c.checkId, c.name, c.service, 1, aggregate, summariseOutages(spans, window.since, window.until)),
    )
    if (c.service !== null) {
      let s = services.get(c.service)
      if (!s) services.set(c.service, (s = {agg: emptyAggregate(), spans: [], checks: 0}))
      mergeAggregate(s.agg, aggregate)
      s.spans.push(...spans)
      s.checks++
    }
  }

  const serviceRows = [...services.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) =>
      row('service', name, null, name, s.checks, s.agg, summariseOutages(s.spans, window.since, window.until)),
    )
  return {
    since: new Date(window.since).toISOString(),
    until: new Date(window.until).toISOString(),
    label: window.label,
    coveredSince: new Date(agg.coveredSince).toISOString(),
    coveredUntil: new Date(agg.coveredUntil).toISOString(),
    approximate: agg.coveredSince !== window.since || agg.coveredUntil !== window.until,
    timeZone: ROLLUP_TIME_ZONE,
    includePosture: filter.includePosture === true,
    postureChecksLeftOut: postureLeftOut,
    checks: checkRowsOut,
    services: serviceRows,
  }
}
