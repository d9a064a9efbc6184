import type {DB} from '../store/db.js'
import type {Status} from '../types.js'
import {OPEN_STATES} from '../incidents/lifecycle.js'
import {activeMaintenance, type MaintenanceWindow, windowActiveUntil, windowCovers} from '../monitor/maintenance.js'
import {type PostureReport, postureReport} from '../reports/posture.js'
import {eventsOf} from '../store/incidents.js'
import {POSTURE_KINDS} from '../store/posture.js'
import {
  lastResultCache,
  type LastResultCache,
  lastResults,
  recentResults,
  statusSince,
  type StoredResult,
} from '../store/results.js'
import {
  DAY_MS,
  emptyHistogram,
  type Histogram,
  HOUR_MS,
  hourStart,
  mergeEncoded,
  mergeHistogram,
  nextZonedDay,
  percentile,
  ROLLUP_TIME_ZONE,
  zonedDayStart,
} from '../store/rollups.js'
import {
  type CountSums,
  dailySums,
  type HourlyRow,
  hourlyRows,
  incidentById,
  incidentsInStates,
  type PageCheck,
  pageCheckRef,
  pageChecks,
  type PageCheckState,
  type PageIncident,
  pageStates,
  recentOutages,
  rollupCounts,
} from '../store/status-page.js'
import {isoTime} from '../util/json-time.js'

/*
 * What the status page, the badges and the read API show, as one plain value (times as ISO strings, the JSON
 * convention). Public by design: no targets, no notifier errors, no people; incident details need a token.
 */

export const UPTIME_PERIODS = ['24h', '7d', '30d'] as const
export type UptimePeriod = (typeof UPTIME_PERIODS)[number]

/** watch's state words, `maintenance` while a window covers the check, `unknown` for a check `watch` never judged and whose last result is unknown. */
export type PageState = 'ok' | 'degraded' | 'failing' | 'pending' | 'maintenance' | 'unknown'
const WORST: readonly PageState[] = ['failing', 'degraded', 'unknown', 'maintenance', 'pending', 'ok']

export function worstState(states: readonly PageState[]): PageState {
  for (const s of WORST) if (states.includes(s)) return s
  return 'pending'
}

/** A check id as the catalogue allows it (and so safe as a file name and a path segment). */
export const CHECK_ID_RE = /^[a-z0-9][a-z0-9._-]{0,99}$/

/** A service name as a path segment and file name: lower-case letters and digits joined by single hyphens. */
export function serviceSlug(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replaceAll(/[^a-z0-9]+/g, '-')
      .replaceAll(/^-+|-+$/g, '')
      .slice(0, 80) || 'service'
  )
}

export interface Latency {
  p50Ms: number
  p95Ms: number
}

export type UptimeByPeriod = Record<UptimePeriod, number | null>

export interface CheckView {
  id: string
  name: string
  service: string | null
  tier: string | null
  kind: string
  state: PageState
  /** watch's state before a maintenance window is laid over it. */
  watchState: PageState
  since: string | null
  lastRun: string | null
  status: Status | null
  summary: string | null
  flapping: boolean
  /** Availability % per period from the rollups; null with no up or down result (and for posture checks). */
  uptime: UptimeByPeriod
  /** Over the last 24 hours, up results only. */
  latency: Latency | null
  posture: {grade: string | null; score: number | null; checkedAt: string} | null
  incidents: number[]
  maintenance: {window: string; until: string} | null
}

export interface ServiceView {
  name: string
  slug: string
  state: PageState
  uptime: UptimeByPeriod
  latency: Latency | null
  tiers: {tier: string | null; checks: CheckView[]}[]
}

export interface PublicIncident {
  id: number
  title: string
  severity: string
  state: string
  openedAt: string
  checks: string[]
}

export interface MaintenanceView {
  name: string
  /** Open now until then; or, when not open, null. */
  until: string | null
  /** The next start within 7 days when not open now. */
  next: string | null
  checks: string[]
}

export interface StatusModel {
  generatedAt: string
  timeZone: string
  title: string
  summary: Record<PageState, number> & {checks: number}
  state: PageState
  services: ServiceView[]
  incidents: PublicIncident[]
  maintenance: MaintenanceView[]
}

/**
 * What one watcher keeps between model builds: the last results (only changed blocks are decoded again), and
 * the rollup figures of the finished part of each window, read again when the window moves (about twice an
 * hour, twice a day: see LATE_MS).
 */
export interface ModelCache {
  last: LastResultCache
  hours?: {from: number; until: number; byRef: Map<number, HourFigures>}
  days?: {from: number; split: number; until: number; d30: Map<number, CountSums>; d7: Map<number, CountSums>}
}

export function modelCache(): ModelCache {
  return {last: lastResultCache()}
}

export interface ModelOptions {
  now: number
  cache?: ModelCache
  title?: string
  /** Maintenance windows and check tags, from the catalogue. */
  maintenance?: {windows: readonly MaintenanceWindow[]; tags: ReadonlyMap<string, readonly string[]>}
}

const round = (n: number | null) => (n === null ? null : Math.round(n * 1000) / 1000)
const round2 = (n: number) => Math.round(n * 100) / 100

let dayMemo: {from: number; to: number; days: number[]} | undefined

/** The last `n` (at most 30) London days, today included, oldest first (day starts); worked out once a day. */
function lastDays(now: number, n: number): number[] {
  if (!dayMemo || now < dayMemo.from || now >= dayMemo.to) {
    const days = [zonedDayStart(now)]
    while (days.length < 30) days.unshift(zonedDayStart(days[0] - 1))
    dayMemo = {from: days[29], to: nextZonedDay(days[29]), days}
  }

  return dayMemo.days.slice(30 - n)
}

function availability(c: CountSums | undefined): number | null {
  if (!c) return null
  const up = c.ok + c.warn
  return up + c.crit === 0 ? null : round((up / (up + c.crit)) * 100)
}

function latencyOf(f: {hist: Histogram | null; maxMs: number} | undefined): Latency | null {
  if (!f?.hist) return null
  const p50 = percentile(f.hist, 50, f.maxMs)
  const p95 = percentile(f.hist, 95, f.maxMs)
  return p50 === undefined || p95 === undefined ? null : {p50Ms: round2(p50), p95Ms: round2(p95)}
}

const addSums = (into: CountSums, c: CountSums | undefined) => {
  if (!c) return
  into.ok += c.ok
  into.warn += c.warn
  into.crit += c.crit
  into.unknown += c.unknown
}

/** One check's hourly rollups over some hours: counts, and the latency of up results. */
interface HourFigures {
  sums: CountSums
  hist: Histogram | null
  maxMs: number
}

function foldHours(rows: readonly HourlyRow[]): Map<number, HourFigures> {
  const by = new Map<number, HourFigures>()
  for (const [ref, ok, warn, crit, unknown, hist, maxMs] of rows) {
    let f = by.get(ref)
    if (!f) by.set(ref, (f = {sums: {ok: 0, warn: 0, crit: 0, unknown: 0}, hist: null, maxMs: 0}))
    f.sums.ok += ok
    f.sums.warn += warn
    f.sums.crit += crit
    f.sums.unknown += unknown
    if (hist && hist.length > 0) {
      mergeEncoded(hist, (f.hist ??= emptyHistogram()))
      if (maxMs !== null && maxMs > f.maxMs) f.maxMs = maxMs
    }
  }

  return by
}

/** Two folds of the same check: sums added, histograms merged into a new one only when both have one. */
function joinHours(a: HourFigures | undefined, b: HourFigures | undefined): HourFigures | undefined {
  if (!a || !b) return a ?? b
  const sums = {...a.sums}
  addSums(sums, b.sums)
  const hist = a.hist && b.hist ? mergeHistogram(Float64Array.from(a.hist), b.hist) : (a.hist ?? b.hist)
  return {sums, hist, maxMs: Math.max(a.maxMs, b.maxMs)}
}

function joinSums(a: CountSums | undefined, b: CountSums | undefined): CountSums | undefined {
  if (!a || !b) return a ?? b
  const sums = {...a}
  addSums(sums, b)
  return sums
}

/** How long after an hour or day closes its results are still read live rather than from the cache. */
const LATE_MS = 10 * 60_000

/**
 * Uptime from the rollups over whole buckets: 24h is the last 24 clock hours (the current one included), 7d and
 * 30d the last 7 and 30 London days (today included), the same buckets as a check page's bars. Posture checks
 * are left out of uptime and of their service's figures, as in `report uptime`. Latency is over the 24 hours.
 */
function rollupFigures(db: DB, now: number, cache?: ModelCache) {
  const current = hourStart(now)
  const h0 = current - 23 * HOUR_MS
  const days = lastDays(now, 30)
  const [d30, d7] = [days[0], days[23]]
  if (!cache) {
    const hours = foldHours(hourlyRows(db, h0))
    const [s30, s7] = [dailySums(db, d30), dailySums(db, d7)]
    return {
      hours: (ref: number) => hours.get(ref),
      d30: (ref: number) => s30.get(ref),
      d7: (ref: number) => s7.get(ref),
    }
  }

  // Finished hours and days come from the cache, read again when the window moves; for LATE_MS after an hour
  // (or day) closes it is read live with the running one, so results that land just after it closed count.
  const liveHour = now - current < LATE_MS ? current - HOUR_MS : current
  const liveDay = now - days[29] < LATE_MS ? days[28] : days[29]
  if (cache.hours?.from !== h0 || cache.hours.until !== liveHour)
    cache.hours = {from: h0, until: liveHour, byRef: foldHours(hourlyRows(db, h0, liveHour))}
  if (cache.days?.from !== d30 || cache.days.until !== liveDay || cache.days.split !== d7) {
    cache.days = {
      from: d30,
      split: d7,
      until: liveDay,
      d30: dailySums(db, d30, liveDay),
      d7: dailySums(db, d7, liveDay),
    }
  }

  const hoursLive = foldHours(hourlyRows(db, liveHour))
  const daysLive = dailySums(db, liveDay)
  const {hours: h, days: d} = cache
  return {
    hours: (ref: number) => joinHours(h.byRef.get(ref), hoursLive.get(ref)),
    d30: (ref: number) => joinSums(d.d30.get(ref), daysLive.get(ref)),
    d7: (ref: number) => joinSums(d.d7.get(ref), daysLive.get(ref)),
  }
}

function stateOfStatus(s: Status | null): PageState {
  return s === null ? 'pending' : s === 'ok' ? 'ok' : s === 'warn' ? 'degraded' : s === 'crit' ? 'failing' : 'unknown'
}

/** One check's counts per period and its 24 hours' latency, for its row and its service's (posture checks have none). */
interface CheckHealth {
  sums: Record<UptimePeriod, CountSums | undefined>
  hours: HourFigures | undefined
}

/** What a check's row is made of, read once for all of them. */
interface ViewSources {
  last: Map<string, StoredResult>
  states: Map<string, PageCheckState>
  incidentsByCheck: Map<string, number[]>
  posture: Map<string, PostureReport['targets'][number]>
  health: Map<string, CheckHealth>
}

function checkHealth(
  checks: readonly PageCheck[],
  postureRefs: ReadonlySet<number>,
  figures: ReturnType<typeof rollupFigures>,
): Map<string, CheckHealth> {
  const health = new Map<string, CheckHealth>()
  for (const c of checks) {
    if (postureRefs.has(c.ref)) continue
    const hours = figures.hours(c.ref)
    health.set(c.checkId, {sums: {'24h': hours?.sums, '7d': figures.d7(c.ref), '30d': figures.d30(c.ref)}, hours})
  }

  return health
}

/** A check's row: watch's state (or maintenance over it), its last result, uptime, latency, posture and incidents. */
function checkView(db: DB, opts: ModelOptions, c: PageCheck, src: ViewSources): CheckView {
  const {now} = opts
  const windows = opts.maintenance?.windows ?? []
  const r = src.last.get(c.checkId)
  const st = src.states.get(c.checkId)
  const watchState: PageState = st ? st.state : stateOfStatus(r?.status ?? null)
  const since = st ? st.since : r ? (statusSince(db, c.checkId, r.status) ?? r.ts) : null
  const maint =
    windows.length === 0
      ? undefined
      : activeMaintenance(windows, {id: c.checkId, tags: opts.maintenance?.tags.get(c.checkId) ?? []}, now)
  const p = src.posture.get(c.checkId)
  const h = src.health.get(c.checkId)
  return {
    id: c.checkId,
    name: c.name ?? c.checkId,
    service: c.service,
    tier: c.tier,
    kind: c.kind,
    state: maint ? 'maintenance' : watchState,
    watchState,
    since: since === null ? null : isoTime(since),
    lastRun: r ? isoTime(r.ts) : null,
    status: r?.status ?? null,
    summary: r?.summary ?? null,
    flapping: st?.flapping ?? false,
    uptime: h
      ? {'24h': availability(h.sums['24h']), '7d': availability(h.sums['7d']), '30d': availability(h.sums['30d'])}
      : {'24h': null, '7d': null, '30d': null},
    latency: latencyOf(h?.hours),
    posture: p ? {grade: p.grade, score: p.score, checkedAt: p.checkedAt} : null,
    incidents: src.incidentsByCheck.get(c.checkId) ?? [],
    maintenance: maint ? {window: maint.window.name, until: isoTime(maint.until)} : null,
  }
}

/** A service's card: its worst state, uptime and latency over its non-posture checks, and its checks by tier. */
function serviceView(name: string, list: CheckView[], health: ReadonlyMap<string, CheckHealth>): ServiceView {
  const tiers = new Map<string, CheckView[]>()
  for (const v of list) push(tiers, v.tier ?? '', v)
  const members = name ? list.flatMap((v) => health.get(v.id) ?? []) : []
  const total = (per: UptimePeriod) => {
    if (members.length === 0) return null
    const t: CountSums = {ok: 0, warn: 0, crit: 0, unknown: 0}
    for (const m of members) addSums(t, m.sums[per])
    return availability(t)
  }

  const lat = {hist: emptyHistogram(), maxMs: 0}
  for (const m of members) {
    if (!m.hours?.hist) continue
    mergeHistogram(lat.hist, m.hours.hist)
    lat.maxMs = Math.max(lat.maxMs, m.hours.maxMs)
  }

  return {
    name: name || 'Other checks',
    slug: name ? serviceSlug(name) : 'other',
    state: worstState(list.map((v) => v.state)),
    uptime: {'24h': total('24h'), '7d': total('7d'), '30d': total('30d')},
    latency: latencyOf(lat),
    tiers: [...tiers.entries()]
      .sort(([a], [b]) => tierRank(a) - tierRank(b) || a.localeCompare(b))
      .map(([tier, cs]) => ({tier: tier || null, checks: cs})),
  }
}

/** Checks grouped by service, services by name, the checks of none last. */
function serviceViews(views: readonly CheckView[], health: ReadonlyMap<string, CheckHealth>): ServiceView[] {
  const groups = new Map<string, CheckView[]>()
  for (const v of views) push(groups, v.service ?? '', v)
  return [...groups.entries()]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)))
    .map(([name, list]) => serviceView(name, list, health))
}

/** Every known check with its state, uptime and latency, grouped by service and tier; open incidents; maintenance. */
export function statusModel(db: DB, opts: ModelOptions): StatusModel {
  const {now} = opts
  const checks = pageChecks(db)
  const last = new Map(lastResults(db, undefined, {cache: opts.cache?.last}).map((r) => [r.checkId, r]))
  const states = pageStates(db)
  const incidents = incidentsInStates(db, OPEN_STATES)
  const incidentsByCheck = new Map<string, number[]>()
  for (const i of incidents) for (const c of i.checks) push(incidentsByCheck, c, i.id)
  const figures = rollupFigures(db, now, opts.cache)
  const posture = new Map(postureReport(db, {now}).targets.map((t) => [t.checkId, t]))
  // Posture checks: of a posture kind, or with posture stored (as `report uptime` tells them apart).
  const postureRefs = new Set(
    checks.filter((c) => POSTURE_KINDS.has(c.kind) || posture.has(c.checkId)).map((c) => c.ref),
  )
  const health = checkHealth(checks, postureRefs, figures)
  const views = checks.map((c) => checkView(db, opts, c, {last, states, incidentsByCheck, posture, health}))
  const summary = {checks: views.length, ok: 0, degraded: 0, failing: 0, pending: 0, maintenance: 0, unknown: 0}
  for (const v of views) summary[v.state]++
  return {
    generatedAt: isoTime(now),
    timeZone: ROLLUP_TIME_ZONE,
    title: opts.title ?? 'Service status',
    summary,
    state: worstState(views.map((v) => v.state)),
    services: serviceViews(views, health),
    incidents: incidents.map(publicIncident),
    maintenance: maintenanceViews(
      opts.maintenance?.windows ?? [],
      checks.map((c) => ({id: c.checkId, tags: opts.maintenance?.tags.get(c.checkId) ?? []})),
      now,
    ),
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

const TIER_ORDER = ['platinum', 'gold', 'silver', 'bronze']
function tierRank(t: string): number {
  const i = TIER_ORDER.indexOf(t.toLowerCase())
  return t === '' ? 99 : i === -1 ? 50 : i
}

function publicIncident(i: PageIncident): PublicIncident {
  return {
    id: i.id,
    title: i.title,
    severity: i.severity,
    state: i.state,
    openedAt: isoTime(i.openedAt),
    checks: i.checks,
  }
}

/** Windows open now, and those that open within a week (found by stepping through it a quarter-hour at a time). */
function maintenanceViews(
  windows: readonly MaintenanceWindow[],
  checks: {id: string; tags: readonly string[]}[],
  now: number,
): MaintenanceView[] {
  const out: MaintenanceView[] = []
  const seen = new Set<string>()
  for (const w of windows) {
    if (seen.has(w.name)) continue
    seen.add(w.name)
    const covered = checks.filter((c) => windowCovers(w, c)).map((c) => c.id)
    const until = windowActiveUntil(w, now)
    if (until !== undefined) {
      out.push({name: w.name, until: isoTime(until), next: null, checks: covered})
      continue
    }

    let next: number | undefined
    if (w.once) next = w.once.start > now && w.once.start - now <= 7 * DAY_MS ? w.once.start : undefined
    else
      for (let t = Math.ceil(now / 900_000) * 900_000; t <= now + 7 * DAY_MS; t += 900_000)
        if (windowActiveUntil(w, t) !== undefined) {
          next = t
          break
        }

    if (next !== undefined) out.push({name: w.name, until: null, next: isoTime(next), checks: covered})
  }

  return out
}

export interface HistoryBar {
  /** Bucket start, ISO. */
  start: string
  up: number
  down: number
  unknown: number
  /** up / (up + down) × 100, or null without such results. */
  availability: number | null
}

export interface CheckDetail {
  generatedAt: string
  timeZone: string
  check: CheckView
  /** The last results, newest first. */
  recent: {at: string; status: Status; durationMs: number; summary: string}[]
  outages: {startedAt: string; endedAt: string | null; durationMs: number; downResults: number}[]
  /** The last 24 clock hours (UTC) and the last 30 London days, oldest first. */
  hourly: HistoryBar[]
  daily: HistoryBar[]
}

function bars(
  rows: {start: number; ok: number; warn: number; crit: number; unknown: number}[],
  starts: number[],
): HistoryBar[] {
  const by = new Map(rows.map((r) => [r.start, r]))
  return starts.map((s) => {
    const r = by.get(s)
    const up = r ? r.ok + r.warn : 0
    const down = r?.crit ?? 0
    return {
      start: isoTime(s),
      up,
      down,
      unknown: r?.unknown ?? 0,
      availability: up + down === 0 ? null : round((up / (up + down)) * 100),
    }
  })
}

/** One check's page: its view, recent results, outages and per-hour and per-day bars. */
export function checkDetail(
  db: DB,
  model: StatusModel,
  checkId: string,
  now: number,
  recent = 50,
): CheckDetail | undefined {
  const view = model.services.flatMap((s) => s.tiers.flatMap((t) => t.checks)).find((c) => c.id === checkId)
  const ref = pageCheckRef(db, checkId)
  if (!view || ref === undefined) return undefined
  const h0 = hourStart(now) - 23 * HOUR_MS
  const hours = Array.from({length: 24}, (_, i) => h0 + i * HOUR_MS)
  const days = lastDays(now, 30)
  return {
    generatedAt: isoTime(now),
    timeZone: ROLLUP_TIME_ZONE,
    check: view,
    recent: recentResults(db, checkId, {limit: recent, until: now}).map((r) => ({
      at: isoTime(r.ts),
      status: r.status,
      durationMs: r.durationMs,
      summary: r.summary,
    })),
    outages: recentOutages(db, ref, 20).map((o) => ({
      startedAt: isoTime(o.startedAt),
      endedAt: o.endedAt === null ? null : isoTime(o.endedAt),
      durationMs: (o.endedAt ?? now) - o.startedAt,
      downResults: o.downResults,
    })),
    hourly: bars(rollupCounts(db, 'hourly', ref, hours[0], hours[23] + HOUR_MS), hours),
    daily: bars(rollupCounts(db, 'daily', ref, days[0], nextZonedDay(days[29])), days),
  }
}

export interface IncidentDetail extends PublicIncident {
  service: string | null
  updatedAt: string
  resolvedAt: string | null
  closedAt: string | null
  /** Timeline event types and times; who did what is left out. */
  timeline: {seq: number; occurredAt: string; type: string}[]
  /** Notes, only when the watcher was started with --status-notes. */
  notes?: {occurredAt: string; text: string}[]
}

/** An incident's details for a caller holding the token: no actors, notes only when asked for. */
export function incidentDetail(db: DB, id: number, withNotes: boolean): IncidentDetail | undefined {
  const i = incidentById(db, id)
  if (!i) return undefined
  const events = eventsOf(db, id)
  return {
    ...publicIncident(i),
    service: i.service,
    updatedAt: isoTime(i.updatedAt),
    resolvedAt: i.resolvedAt === null ? null : isoTime(i.resolvedAt),
    closedAt: i.closedAt === null ? null : isoTime(i.closedAt),
    timeline: events.map((e) => ({seq: e.seq, occurredAt: isoTime(e.occurredAt), type: e.type})),
    ...(withNotes
      ? {
          notes: events
            .filter((e) => e.type === 'note')
            .map((e) => ({occurredAt: isoTime(e.occurredAt), text: String(e.data.text ?? '')})),
        }
      : {}),
  }
}

/** Every check of the model, in page order. */
export function allChecks(model: StatusModel): CheckView[] {
  return model.services.flatMap((s) => s.tiers.flatMap((t) => t.checks))
}
