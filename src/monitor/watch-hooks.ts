import type {Problem} from '../errors.js'
import type {Playbook} from '../playbooks/model.js'
import type {DB} from '../store/db.js'
import type {WatchConfig} from './watch-config.js'
import type {IncidentContext, IncidentOutcome, WatchHooks} from './watch.js'
import {clocksFromEvents} from '../incidents/clocks.js'
import {OPEN_STATES} from '../incidents/lifecycle.js'
import {appendEvents, type NewEvent, openIncident, recordDueClockEvents} from '../incidents/service.js'
import {loadPlaybookRef} from '../playbooks/load.js'
import {eventsOf, getIncident, incidentCheckIds, listIncidentRows} from '../store/incidents.js'
import {pruneOnce, type RetentionPolicy} from '../store/maintenance.js'
import {recentFailedResultIds} from '../store/monitor.js'
import {postureRegressions} from '../store/posture.js'
import {resultById} from '../store/results.js'

const ACTOR = 'watchkeeper watch'
/** Failing results attached as evidence when an incident opens, at most. */
const MAX_EVIDENCE = 10

function evidenceEvent(db: DB, resultId: number): NewEvent | undefined {
  const r = resultById(db, resultId)
  if (!r) return undefined
  return {
    type: 'evidence_attached',
    occurredAt: r.ts,
    data: {
      kind: 'check_result',
      checkId: r.checkId,
      resultId: r.resultId,
      status: r.status,
      summary: r.summary,
      target: r.target,
      durationMs: r.durationMs,
      findings: r.findings.map((f) => ({id: f.id, severity: f.severity, message: f.message})),
    },
  }
}

function isOpen(state: string): boolean {
  return (OPEN_STATES as readonly string[]).includes(state)
}

/**
 * An open incident already linked to the check (opened by hand, or by a watch before a restart). A real watch
 * sees only real incidents and an exercise only its own, so neither ever attaches to the other's.
 */
function openIncidentFor(db: DB, checkId: string, exercise?: number): number | undefined {
  for (const row of listIncidentRows(db, {states: OPEN_STATES, exercise: exercise ?? 'real'}))
    if (incidentCheckIds(db, row.id).includes(checkId)) return row.id
  return undefined
}

/** Playbooks named by `incident.playbook`, loaded once; problems located at the check. */
export function loadIncidentPlaybooks(
  config: WatchConfig,
  dir?: string,
): {playbooks: Map<string, Playbook>; problems: Problem[]} {
  const playbooks = new Map<string, Playbook>()
  const problems: Problem[] = []
  for (const w of config.checks) {
    const ref = w.incident?.playbook
    if (!ref || playbooks.has(ref)) continue
    try {
      playbooks.set(ref, loadPlaybookRef(ref, dir))
    } catch (error) {
      const e = error as Error & {hint?: string}
      problems.push({
        file: w.check.source.file,
        line: w.check.source.line,
        col: w.check.source.col,
        path: `check ${w.check.id} incident.playbook`,
        message: `${e.message}${e.hint ? ` ${e.hint}` : ''}`,
      })
    }
  }

  return {playbooks, problems}
}

/**
 * Opens one incident when a check with `incident:` keeps failing (never a second while one is open for
 * it), attaches its failing results as evidence, and adds timeline events as it recovers or fails again.
 * It never resolves the incident: a person does.
 */
export function incidentStep(
  ctx: IncidentContext,
  playbooks: Map<string, Playbook>,
  exercise?: number,
): IncidentOutcome | undefined {
  const {db, watched: w, state, previous, result, resultId, now} = ctx
  const policy = w.incident
  let {incidentId} = previous
  if (incidentId !== null) {
    const row = getIncident(db, incidentId)
    if (!row || !isOpen(row.state) || row.exerciseId !== (exercise ?? null)) incidentId = null
  }

  if (!policy) return incidentId === previous.incidentId ? undefined : {incidentId}

  if (incidentId === null) {
    const sustained =
      policy.afterFailures === undefined
        ? state.badSince !== null && result.startedAt - state.badSince >= (policy.afterMs ?? 0)
        : state.badStreak >= policy.afterFailures
    if (!sustained || ctx.inMaintenance) return {incidentId: null}
    const linked = openIncidentFor(db, w.check.id, exercise)
    if (linked !== undefined) return {incidentId: linked}
    const c = w.check
    const title = policy.title ?? `${c.name} failing`
    const playbook = policy.playbook ? playbooks.get(policy.playbook) : undefined
    const opened = openIncident(
      {db, actor: ACTOR, now},
      {title, severity: policy.severity, service: c.service, checks: [c.id], playbook, exercise},
    )
    const ids = recentFailedResultIds(db, c.id, MAX_EVIDENCE)
      .filter((id) => id <= resultId)
      .reverse()
    const evidence = ids.map((id) => evidenceEvent(db, id)).filter((e): e is NewEvent => e !== undefined)
    evidence.push({
      type: 'note',
      data: {
        text: `Opened by watch: ${c.id} has failed ${state.badStreak} time(s) in a row since ${new Date(state.badSince ?? result.startedAt).toISOString()}.`,
      },
    })
    appendEvents(db, opened.id, ACTOR, now, evidence)
    const row = getIncident(db, opened.id)!
    return {incidentId: opened.id, opened: {id: opened.id, title: row.title, severity: row.severity}}
  }

  const row = getIncident(db, incidentId)!
  if (previous.state === 'failing' && state.state !== 'failing') {
    appendEvents(db, incidentId, ACTOR, now, [
      {
        type: 'check_recovered',
        occurredAt: result.startedAt,
        data: {checkId: w.check.id, state: state.state, resultId, status: result.status, summary: result.summary},
      },
    ])
    return {
      incidentId,
      updated: {
        id: incidentId,
        title: row.title,
        message: `${w.check.id} recovered (${state.state}); the incident stays open until a person resolves it`,
      },
    }
  }

  if (previous.state !== 'failing' && state.state === 'failing' && previous.state !== 'pending') {
    const events: NewEvent[] = [
      {
        type: 'check_failing_again',
        occurredAt: result.startedAt,
        data: {checkId: w.check.id, resultId, status: result.status, summary: result.summary},
      },
    ]
    const ev = evidenceEvent(db, resultId)
    if (ev) events.push(ev)
    appendEvents(db, incidentId, ACTOR, now, events)
    return {incidentId, updated: {id: incidentId, title: row.title, message: `${w.check.id} is failing again`}}
  }

  return {incidentId}
}

/** Seconds left on running regulatory clocks of open incidents (for metrics). */
function clocksLeft(db: DB, now: number): {incident: string; clock: string; secondsLeft: number}[] {
  const out: {incident: string; clock: string; secondsLeft: number}[] = []
  for (const row of listIncidentRows(db, {states: OPEN_STATES, exercise: 'real'})) {
    for (const c of clocksFromEvents(eventsOf(db, row.id)).values()) {
      if (c.stoppedAt !== undefined) continue
      out.push({incident: String(row.id), clock: c.name, secondsLeft: Math.round((c.dueAt - now) / 1000)})
    }
  }

  return out
}

/** Wires `watch` to the other wings: incidents and their clocks, posture regressions, retention. */
export function watchHooks(opts: {retention?: RetentionPolicy; playbooks?: () => Map<string, Playbook>}): WatchHooks & {
  metricSources: (db: DB) => {
    openIncidents: () => number
    clocks: () => {incident: string; clock: string; secondsLeft: number}[]
  }
} {
  const hooks: WatchHooks = {
    incident: (ctx) => incidentStep(ctx, opts.playbooks?.() ?? new Map()),
    recordClocks: (db, now) => recordDueClockEvents(db, now).length,
    postureRegressions: (db, checkId, resultId) =>
      postureRegressions(db, checkId, resultId).filter((f) => f.severity !== 'info'),
  }
  if (opts.retention) {
    const policy = opts.retention
    hooks.prune = (db, now) => pruneOnce(db, now, policy)
  }

  return {
    ...hooks,
    metricSources: (db) => ({
      // Exercise incidents are not real ones: they never show in a real watch's metrics.
      openIncidents: () => listIncidentRows(db, {states: OPEN_STATES, exercise: 'real'}).length,
      clocks: () => clocksLeft(db, Date.now()),
    }),
  }
}
