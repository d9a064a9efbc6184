import type {CheckState} from '../monitor/evaluator.js'
import type {DB} from '../store/db.js'
import type {Status} from '../types.js'
import {cataloguePaths, validateCatalogue} from '../catalogue/load.js'
import {formatProblem} from '../errors.js'
import {OPEN_STATES} from '../incidents/lifecycle.js'
import {activeMaintenance, type MaintenanceWindow} from '../monitor/maintenance.js'
import {maintenanceWindows} from '../monitor/watch-config.js'
import {loadMonitorStates} from '../store/monitor.js'
import {lastResults, recentResults, statusSince, type StoredResult} from '../store/results.js'
import {alertsOfCheck, openIncidentsByCheck} from '../store/status.js'
import {globRegExp} from '../util/glob.js'

/** `unwatched`: results from `check run` only, no `watch` state yet. */
export type WatchState = CheckState | 'unwatched'

export interface StatusRow {
  checkId: string
  kind: string
  target: string
  service: string | null
  /** The last result. */
  status: Status
  /** First result in the current status. */
  since: string
  lastRun: string
  lastLatencyMs: number
  summary: string
  /** What `watch` holds: its state machine, after thresholds; `unwatched` when watch never saw the check. */
  state: WatchState
  stateSince: string | null
  flapping: boolean
  /** What the notifiers were last told is wrong (failing, degraded), or null when all clear. */
  alerted: 'failing' | 'degraded' | null
  /** The messages about the check since its current state began (else the newest) and what became of each. */
  lastAlert: {
    events: string[]
    at: string
    deliveries: {notifier: string; event: string; status: string; error: string | null}[]
  } | null
  /** An open incident (triage, active, mitigated) linked to the check, the newest when several. */
  incident: {id: number; title: string; severity: string; state: string; openedAt: string} | null
  /** The maintenance window covering the check now. */
  maintenance: {window: string; until: string} | null
  /** Why a person should look, most pressing first; empty when nothing needs one. */
  attention: string[]
  /** Latencies of the recent results, oldest first (for a sparkline). */
  recentLatencyMs: number[]
  recentStatuses: Status[]
}

export interface StatusReport {
  generatedAt: string
  /** Where maintenance windows came from, or why they could not be read. */
  maintenance: {windows: number; error: string | null}
  /** Rows that need a person. */
  problems: number
  checks: StatusRow[]
}

export interface StatusOptions {
  /** Check id globs (`*` matches any text). */
  ids?: readonly string[]
  recent?: number
  now: number
  /** Maintenance windows and the tags of the checks they may name (from the catalogue). */
  maintenance?: {windows: readonly MaintenanceWindow[]; tags: ReadonlyMap<string, readonly string[]>; error?: string}
  /** Only rows that need a person. */
  problemsOnly?: boolean
  /** Only results from this vantage (its ref; see findVantage). */
  vantageRef?: number
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Maintenance windows from the catalogue files (best effort: a broken catalogue is reported, not fatal). */
export function catalogueMaintenance(
  paths: readonly string[] = cataloguePaths(undefined),
): NonNullable<StatusOptions['maintenance']> {
  try {
    const {catalogue, problems} = validateCatalogue(paths)
    if (!catalogue)
      return {
        windows: [],
        tags: new Map(),
        error: `catalogue has ${problems.length} problem(s), first: ${problems[0] ? formatProblem(problems[0]) : 'unknown'}`,
      }
    const m = maintenanceWindows(catalogue)
    const tags = new Map(catalogue.checks.map((c) => [c.id, c.tags]))
    return {
      windows: m.windows,
      tags,
      ...(m.problems.length > 0 ? {error: `maintenance: ${formatProblem(m.problems[0])}`} : {}),
    }
  } catch (error) {
    return {windows: [], tags: new Map(), error: error instanceof Error ? error.message : String(error)}
  }
}

/**
 * Each check's last result and its watch state: failing/degraded after thresholds, flapping, in maintenance,
 * what was alerted and whether it went out, and the open incident; `attention` says what needs a person.
 */
export function statusReport(db: DB, opts: StatusOptions): StatusReport {
  const states = loadMonitorStates(db)
  const incidents = openIncidentsByCheck(db, OPEN_STATES)
  const windows = opts.maintenance?.windows ?? []
  const globs = (opts.ids ?? []).map((g) => globRegExp(g))
  const v = {vantageRef: opts.vantageRef}
  const last = lastResults(db, undefined, v).filter((r) => globs.length === 0 || globs.some((g) => g.test(r.checkId)))
  const rows = last.map((r: StoredResult): StatusRow => {
    const recent = recentResults(db, r.checkId, {limit: opts.recent ?? 20, ...v}).reverse()
    const st = states.get(r.checkId)
    const inc = incidents.get(r.checkId)?.[0]
    const alert = alertsOfCheck(db, r.checkId, st?.since ?? null)
    const maint = activeMaintenance(
      windows,
      {id: r.checkId, tags: opts.maintenance?.tags.get(r.checkId) ?? []},
      opts.now,
    )
    const row: StatusRow = {
      checkId: r.checkId,
      kind: r.kind,
      target: r.target,
      service: r.service,
      status: r.status,
      since: iso(statusSince(db, r.checkId, r.status, v) ?? r.ts),
      lastRun: iso(r.ts),
      lastLatencyMs: r.durationMs,
      summary: r.summary,
      state: st?.state ?? 'unwatched',
      stateSince: st ? iso(st.since) : null,
      flapping: st?.flapping ?? false,
      alerted: st?.alerted ?? null,
      lastAlert: alert ? {events: alert.events, at: iso(alert.createdAt), deliveries: alert.deliveries} : null,
      incident: inc
        ? {id: inc.id, title: inc.title, severity: inc.severity, state: inc.state, openedAt: iso(inc.openedAt)}
        : null,
      maintenance: maint ? {window: maint.window.name, until: iso(maint.until)} : null,
      attention: [],
      recentLatencyMs: recent.map((x) => x.durationMs),
      recentStatuses: recent.map((x) => x.status),
    }
    row.attention = attentionOf(row)
    return row
  })
  const checks = opts.problemsOnly ? rows.filter((r) => r.attention.length > 0) : rows
  return {
    generatedAt: iso(opts.now),
    maintenance: {windows: windows.length, error: opts.maintenance?.error ?? null},
    problems: rows.filter((r) => r.attention.length > 0).length,
    checks,
  }
}

/**
 * What needs a person. An open incident always does. Inside a maintenance window a failing check is expected;
 * outside one: failing, flapping or degraded as `watch` holds it (thresholds applied), an alert that could not
 * be delivered, and, for a check `watch` never saw, a last result that is not ok.
 */
function attentionOf(r: StatusRow): string[] {
  const out: string[] = []
  if (r.incident) out.push(`incident #${r.incident.id} is ${r.incident.state}`)
  const failed = r.lastAlert?.deliveries.filter((d) => d.status === 'failed' || d.status === 'expired') ?? []
  if (failed.length > 0)
    out.push(
      `the ${[...new Set(failed.map((d) => d.event))].join(', ')} alert could not be delivered to ${[...new Set(failed.map((d) => d.notifier))].join(', ')}`,
    )
  if (r.maintenance) return out
  if (r.state === 'failing') out.push(`failing since ${r.stateSince}`)
  if (r.flapping) out.push('flapping')
  if (r.state === 'degraded') out.push(`degraded since ${r.stateSince}`)
  if (r.state === 'unwatched' && r.status !== 'ok') out.push(`last result ${r.status} (not watched)`)
  return out
}
