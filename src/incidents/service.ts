import path from 'node:path'

import type {Playbook} from '../playbooks/model.js'
import type {DB} from '../store/db.js'
import {UserError} from '../errors.js'
import {getExercise} from '../store/exercises.js'
import {
  activeIncidentIds,
  eventsOf,
  exerciseOfIncident,
  getIncident,
  immediate,
  incidentCheckIds,
  type IncidentRow,
  insertEvent,
  insertIncident,
  lastEventOf,
  linkChecks,
  listIncidentRows,
  updateIncident,
} from '../store/incidents.js'
import {knownCheckIds, recentResults} from '../store/results.js'
import {didYouMean} from '../util/suggest.js'
import {
  canonicalJson,
  type ChainReport,
  eventHash,
  GENESIS_HASH,
  type NewEvent,
  SEAL_TYPE,
  sha256Hex,
  type TimelineEvent,
  verifyChain,
} from './chain.js'
import {clockDefsFor} from './clock-load.js'
import {
  clockAdjustEvent,
  type ClockDef,
  clockRestartEvent,
  clocksFromEvents,
  clockStartEvent,
  type ClockState,
  clockStopEvent,
  compressClockDefs,
  dueClockCrossings,
  notInForce,
  type StopOutcome,
} from './clocks.js'
import {decodeTimeline, readable} from './events.js'
import {assertTransition, DEFAULT_SEVERITIES, normaliseSeverity, OPEN_STATES} from './lifecycle.js'

/** Who is acting and when: every write takes one. */
export interface Actor {
  db: DB
  actor: string
  now: number
}

export type {NewEvent} from './chain.js'
export {clockDefsFor} from './clock-load.js'
export {clockStartEvent} from './clocks.js'

/** The prefix of every exercise incident's title (and so of its exports' headings and notifications). */
export const EXERCISE_MARK = 'EXERCISE'

/** Appends events to an incident's chain. Call inside `immediate` so the head cannot move underneath. */
export function appendEvents(
  db: DB,
  incidentId: number,
  actor: string,
  recordedAt: number,
  events: readonly NewEvent[],
): TimelineEvent[] {
  return immediate(db, () => {
    const last = lastEventOf(db, incidentId)
    let seq = last?.seq ?? 0
    let prev = last?.hash ?? GENESIS_HASH
    // Every event of an exercise incident says so, whoever writes it.
    const exercise = exerciseOfIncident(db, incidentId)
    const out: TimelineEvent[] = []
    for (const n of events) {
      const data = JSON.parse(canonicalJson(exercise === null ? n.data : {...n.data, exercise})) as Record<
        string,
        unknown
      >
      const e: Omit<TimelineEvent, 'hash'> = {
        incidentId,
        seq: ++seq,
        occurredAt: Math.round(n.occurredAt ?? recordedAt),
        recordedAt,
        actor,
        type: n.type,
        data,
        prevHash: prev,
      }
      const full: TimelineEvent = {...e, hash: eventHash(e)}
      insertEvent(db, full, canonicalJson(data))
      prev = full.hash
      out.push(full)
    }

    return out
  })
}

export function parseIncidentId(text: string): number {
  const m = /^(?:INC-?)?(\d+)$/i.exec(text.trim())
  if (!m)
    throw new UserError(`"${text}" is not an incident id.`, {
      hint: 'Incident ids are numbers, e.g. 3 or INC-3.',
      code: 'E_INCIDENT_ID',
      exit: 2,
    })
  return Number(m[1])
}

export function requireIncident(db: DB, id: number): IncidentRow {
  const row = getIncident(db, id)
  if (!row) throw new UserError(`No incident ${id}.`, {hint: 'See `watchkeeper incident list`.', code: 'E_NO_INCIDENT'})
  return row
}

export function incidentPlaybook(row: IncidentRow): Playbook | undefined {
  return row.playbookJson ? (JSON.parse(row.playbookJson) as Playbook) : undefined
}

/** The clocks an incident can start: an exercise incident's are compressed by its exercise's factor. */
export function incidentClockDefs(db: DB, row: IncidentRow, registry?: Map<string, ClockDef>): Map<string, ClockDef> {
  const defs = clockDefsFor(incidentPlaybook(row), registry)
  if (row.exerciseId === null) return defs
  return compressClockDefs(defs, getExercise(db, row.exerciseId)?.compression ?? 1)
}

/** Warning and deadline crossings of one incident's clocks not yet recorded, as events. Inside a transaction. */
function dueClockEventsOf(db: DB, incidentId: number, now: number): NewEvent[] {
  const clocks = clocksFromEvents(eventsOf(db, incidentId))
  return dueClockCrossings(clocks.values(), now).map((c) => ({type: c.type, occurredAt: c.at, data: c.data}))
}

/**
 * Records every clock warning point and deadline passed since the last look, on every incident still open.
 * Called by each incident command and by `watch`. Returns the events written.
 */
export function recordDueClockEvents(db: DB, now: number, actor = 'watchkeeper'): TimelineEvent[] {
  // A database opened read-only (an auditor's copy) stays exactly as it is.
  if (db.readonly) return []
  const out: TimelineEvent[] = []
  for (const id of activeIncidentIds(db)) {
    out.push(
      ...immediate(db, () => {
        const due = dueClockEventsOf(db, id, now)
        return due.length > 0 ? appendEvents(db, id, actor, now, due) : []
      }),
    )
  }

  return out
}

/**
 * Runs fn against an incident in one IMMEDIATE transaction, first recording clock crossings that are due,
 * then whatever fn returns as events. fn sees the row as it is inside the lock.
 */
export function mutate<T>(
  a: Actor,
  id: number,
  fn: (
    row: IncidentRow,
    events: TimelineEvent[],
  ) => {events: NewEvent[]; update?: Parameters<typeof updateIncident>[2]; result: T},
): T {
  return immediate(a.db, () => {
    const row = requireIncident(a.db, id)
    const due = dueClockEventsOf(a.db, id, a.now)
    if (due.length > 0) appendEvents(a.db, id, 'watchkeeper', a.now, due)
    const {events, update, result} = fn(row, eventsOf(a.db, id))
    if (events.length > 0) appendEvents(a.db, id, a.actor, a.now, events)
    if (update || events.length > 0) updateIncident(a.db, id, update ?? {}, a.now)
    return result
  })
}

export interface OpenOptions {
  title: string
  severity?: string
  service?: string
  checks?: string[]
  fromCheck?: string
  playbook?: Playbook
  /** The exercise opening it: the incident is marked EXERCISE and kept apart from real ones. */
  exercise?: number
}

export function openIncident(a: Actor, o: OpenOptions): {id: number; events: TimelineEvent[]} {
  let title = o.title.trim()
  if (title === '') throw new UserError('An incident needs a title.', {code: 'E_USAGE', exit: 2})
  if (o.exercise !== undefined && !title.startsWith(`${EXERCISE_MARK}:`)) title = `${EXERCISE_MARK}: ${title}`
  const scale = o.playbook?.severities ?? DEFAULT_SEVERITIES
  const severity = normaliseSeverity(o.severity ?? scale[Math.min(scale.length - 1, 1)], scale)
  const checks = [...new Set([...(o.checks ?? []), ...(o.fromCheck ? [o.fromCheck] : [])])]
  const known = knownCheckIds(a.db)
  let evidence: NewEvent | undefined
  if (o.fromCheck) {
    if (!known.includes(o.fromCheck)) {
      const guess = didYouMean(o.fromCheck, known)
      throw new UserError(`No results stored for check "${o.fromCheck}".`, {
        hint: guess
          ? `Did you mean "${guess}"?`
          : 'Run `watchkeeper check run` first, or pass --check to link it without evidence.',
        code: 'E_NO_CHECK',
        exit: 2,
      })
    }

    const failing = recentResults(a.db, o.fromCheck, {limit: 1000}).find((r) => r.status !== 'ok')
    if (!failing)
      throw new UserError(`Check "${o.fromCheck}" has no failing result stored.`, {
        hint: 'Use --check to link it without evidence.',
        code: 'E_NO_FAILURE',
      })
    evidence = {
      type: 'evidence_attached',
      occurredAt: failing.ts,
      data: {
        kind: 'check_result',
        checkId: failing.checkId,
        resultId: failing.resultId,
        status: failing.status,
        summary: failing.summary,
        target: failing.target,
        durationMs: failing.durationMs,
        findings: failing.findings.map((f) => ({id: f.id, severity: f.severity, message: f.message})),
      },
    }
  }

  return immediate(a.db, () => {
    const service = o.service ?? undefined
    const id = insertIncident(a.db, {
      title,
      severity,
      state: 'triage',
      service,
      openedAt: a.now,
      exerciseId: o.exercise,
    })
    linkChecks(a.db, id, checks)
    const events: NewEvent[] = [{type: 'incident_opened', data: {title, severity, state: 'triage', service, checks}}]
    if (o.playbook) {
      const p = o.playbook
      const json = JSON.stringify(p)
      const sha256 = sha256Hex(json)
      updateIncident(a.db, id, {playbookId: p.id, playbookJson: json, playbookSha256: sha256}, a.now)
      // The file's name only: an absolute local path would travel with every export of the timeline.
      events.push({
        type: 'playbook_attached',
        data: {id: p.id, name: p.name, version: p.version, file: path.basename(p.file), sha256},
      })
    }

    if (evidence) events.push(evidence)
    return {id, events: appendEvents(a.db, id, a.actor, a.now, events)}
  })
}

export function addNote(a: Actor, id: number, text: string, occurredAt?: number): TimelineEvent[] {
  if (text.trim() === '') throw new UserError('A note needs some text.', {code: 'E_USAGE', exit: 2})
  if (occurredAt !== undefined && occurredAt > a.now + 60_000)
    throw new UserError('--at is in the future.', {code: 'E_USAGE', exit: 2})
  mutate(a, id, () => ({events: [{type: 'note', data: {text}, occurredAt}], result: undefined}))
  return eventsOf(a.db, id)
    .filter((e) => e.type !== SEAL_TYPE)
    .slice(-1)
}

export function assignRole(a: Actor, id: number, role: string, person: string): void {
  mutate(a, id, (row, events) => {
    const r = role.trim()
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(r))
      throw new UserError(`"${role}" is not a role name.`, {
        hint: 'Use a short name such as ic, scribe, comms.',
        code: 'E_USAGE',
        exit: 2,
      })
    const playbook = incidentPlaybook(row)
    if (
      playbook &&
      Object.keys(playbook.roles).length > 0 &&
      !(r in playbook.roles) &&
      !['ic', 'scribe', 'deputy'].includes(r)
    ) {
      const guess = didYouMean(r, Object.keys(playbook.roles))
      throw new UserError(`The playbook has no role "${r}".`, {
        hint: guess ? `Did you mean "${guess}"?` : `Roles: ${Object.keys(playbook.roles).join(', ')}.`,
        code: 'E_ROLE',
        exit: 2,
      })
    }

    const previous = replay(row, events).roles[r]
    return {events: [{type: 'role_assigned', data: {role: r, person, previous}}], result: undefined}
  })
}

export function changeSeverity(a: Actor, id: number, value: string): string {
  return mutate(a, id, (row) => {
    const sev = normaliseSeverity(value, incidentPlaybook(row)?.severities ?? DEFAULT_SEVERITIES)
    if (sev === row.severity) throw new UserError(`The incident is already ${sev}.`, {code: 'E_SEVERITY'})
    return {
      events: [{type: 'severity_changed', data: {from: row.severity, to: sev}}],
      update: {severity: sev},
      result: sev,
    }
  })
}

export function changeState(
  a: Actor,
  id: number,
  to: string,
  reason?: string,
  extra: Record<string, unknown> = {},
): void {
  mutate(a, id, (row) => {
    assertTransition(row.state, to)
    if (to === 'merged' && typeof extra.into === 'string') {
      const into = getIncident(a.db, parseIncidentId(extra.into))
      if (into && into.exerciseId !== row.exerciseId) {
        throw new UserError(
          `Incident ${id} cannot be merged into incident ${into.id}: ${row.exerciseId === null ? 'that one is an exercise' : 'this one is an exercise'} and the other is not the same exercise.`,
          {code: 'E_EXERCISE', exit: 2},
        )
      }
    }

    const update: Parameters<typeof updateIncident>[2] = {state: to}
    if (to === 'resolved') update.resolvedAt = a.now
    if (to === 'closed') update.closedAt = a.now
    return {events: [{type: 'state_changed', data: {from: row.state, to, reason, ...extra}}], update, result: undefined}
  })
}

function usage(message: string, hint?: string): UserError {
  return new UserError(message, {hint, code: 'E_CLOCK', exit: 2})
}

function startedClock(events: TimelineEvent[], id: number, name: string): ClockState {
  const c = clocksFromEvents(events).get(name)
  if (!c)
    throw usage(
      `Clock ${name} has not been started on incident ${id}.`,
      `Start it with \`watchkeeper incident clock ${id} start ${name} --at TIME\`.`,
    )
  return c
}

function notFuture(a: Actor, at: number): void {
  if (at > a.now + 60_000) throw usage(`--at ${new Date(at).toISOString()} is in the future.`)
}

export function startClock(
  a: Actor,
  id: number,
  name: string,
  at?: number,
  registry?: Map<string, ClockDef>,
): TimelineEvent {
  const when = at ?? a.now
  notFuture(a, when)
  mutate(a, id, (row, events) => {
    const defs = incidentClockDefs(a.db, row, registry)
    const def = defs.get(name)
    if (!def) {
      const guess = didYouMean(name, [...defs.keys()])
      throw usage(
        `No clock "${name}" is defined (clocks/, --clocks, or the playbook's clocks:).`,
        guess ? `Did you mean "${guess}"?` : `Clocks: ${[...defs.keys()].join(', ')}.`,
      )
    }

    const why = notInForce(def, when)
    if (why) throw usage(`Cannot start ${name}: ${why}.`)
    if (clocksFromEvents(events).has(name)) {
      throw usage(
        `Clock ${name} has already been started.`,
        `Correct its start with \`watchkeeper incident clock ${id} adjust ${name} --at TIME --reason TEXT\`.`,
      )
    }

    return {events: [clockStartEvent(def, when, 'hand')], result: undefined}
  })
  return lastEvent(eventsOf(a.db, id).filter((e) => e.type === 'clock_started'))
}

export interface StopOptions {
  outcome: StopOutcome
  reason?: string
  at?: number
}

/** Stops a clock by hand; not_required needs the reasoning (UK GDPR Art. 33(5)). */
export function stopClock(a: Actor, id: number, name: string, o: StopOptions): TimelineEvent {
  const reason = o.reason?.trim() || undefined
  if (o.outcome === 'not_required' && !reason)
    throw usage(
      `Stopping ${name} as not_required needs the reasoning: --reason TEXT.`,
      'UK GDPR Art. 33(5): a breach not notified is documented with why.',
    )
  const when = o.at ?? a.now
  notFuture(a, when)
  mutate(a, id, (_row, events) => {
    const c = startedClock(events, id, name)
    if (c.stoppedAt !== undefined)
      throw usage(
        `Clock ${name} was already stopped.`,
        `Correct the stop time with \`watchkeeper incident clock ${id} adjust ${name} --field stop --at TIME --reason TEXT\`.`,
      )
    const from = c.periods[c.periods.length - 1].start
    if (when < from)
      throw usage(
        `--at ${new Date(when).toISOString()} is before the clock ${c.periods.length > 1 ? 'was last restarted' : 'started'} (${new Date(from).toISOString()}): a clock cannot stop before it starts.`,
      )
    return {events: [clockStopEvent(name, o.outcome, reason, when, c.dueAt)], result: undefined}
  })
  return lastEvent(eventsOf(a.db, id))
}

/** Gives a restartable clock a new due time from now (an update was given). */
export function restartClock(
  a: Actor,
  id: number,
  name: string,
  reason?: string,
  registry?: Map<string, ClockDef>,
): TimelineEvent {
  mutate(a, id, (row, events) => {
    const c = startedClock(events, id, name)
    const def = incidentClockDefs(a.db, row, registry).get(name)
    if (!def?.restartable) throw usage(`Clock ${name} is not restartable.`)
    if (c.stoppedAt !== undefined) throw usage(`Clock ${name} was already stopped.`)
    return {events: [clockRestartEvent(c, a.now, reason?.trim() || undefined)], result: undefined}
  })
  return lastEvent(eventsOf(a.db, id))
}

/** Corrects a clock's start or stop time with a clock_adjusted event; the original event stays. */
export function adjustClock(
  a: Actor,
  id: number,
  name: string,
  o: {field: 'start' | 'stop'; at: number; reason: string},
): TimelineEvent {
  const reason = o.reason?.trim()
  if (!reason)
    throw usage(
      `Adjusting ${name} needs the reason: --reason TEXT.`,
      'The correction is kept on the timeline beside the original; say why it was wrong.',
    )
  notFuture(a, o.at)
  mutate(a, id, (_row, events) => {
    const c = startedClock(events, id, name)
    const iso = (t: number) => new Date(t).toISOString()
    if (o.field === 'stop') {
      if (c.stoppedAt === undefined)
        throw usage(`Clock ${name} has not been stopped, so there is no stop time to adjust.`)
      const from = c.periods[c.periods.length - 1].start
      if (o.at < from)
        throw usage(
          `--at ${iso(o.at)} is before the clock ${c.periods.length > 1 ? 'was last restarted' : 'started'} (${iso(from)}): a clock cannot stop before it starts.`,
        )
    } else {
      const end = c.periods[0].end ?? c.stoppedAt
      if (end !== undefined && o.at > end)
        throw usage(
          `--at ${iso(o.at)} is after the clock ${c.periods.length > 1 ? 'was first restarted' : 'stopped'} (${iso(end)}): a clock cannot start after its stop.`,
        )
    }

    return {events: [clockAdjustEvent(c, o.field, o.at, reason)], result: undefined}
  })
  return lastEvent(eventsOf(a.db, id))
}

/** The event just written, not the seal a signing key adds after it (the write put at least one on the timeline). */
function lastEvent(events: readonly TimelineEvent[]): TimelineEvent {
  const e = events.findLast((x) => x.type !== SEAL_TYPE)
  if (!e) throw new Error('the timeline has no event after a write')
  return e
}

/** What the timeline says about an incident, replayed from its events. */
export interface Replayed {
  title: string
  severity: string
  state: string
  service?: string
  checks: string[]
  roles: Record<string, string>
  notes: number
  playbook?: {id: string; name: string; sha256: string}
}

export function replay(row: Pick<IncidentRow, 'title'> | undefined, events: readonly TimelineEvent[]): Replayed {
  const r: Replayed = {title: row?.title ?? '', severity: '', state: '', checks: [], roles: {}, notes: 0}
  for (const e of readable(events)) {
    switch (e.type) {
      case 'incident_opened': {
        r.title = e.data.title
        r.severity = e.data.severity
        r.state = String(e.data.state)
        r.service = e.data.service
        r.checks = e.data.checks ?? []
        break
      }

      case 'state_changed': {
        r.state = e.data.to
        break
      }

      case 'severity_changed': {
        r.severity = e.data.to
        break
      }

      case 'role_assigned': {
        r.roles[e.data.role] = e.data.person
        break
      }

      case 'note': {
        r.notes++
        break
      }

      case 'playbook_attached': {
        r.playbook = {id: e.data.id, name: e.data.name, sha256: e.data.sha256}
        break
      }
    }
  }

  return r
}

export interface VerifyReport extends ChainReport {
  incidentId: number
  /** Summary columns that disagree with what the timeline says. */
  mismatches: string[]
  firstBadEvent?: TimelineEvent
}

/** Recomputes the chain and checks the incident's summary row against the timeline. */
export function verifyIncident(db: DB, id: number): VerifyReport {
  const row = requireIncident(db, id)
  const events = eventsOf(db, id)
  const chain = verifyChain(events, id)
  const mismatches: string[] = []
  if (chain.ok) {
    const r = replay(row, events)
    if (r.title !== row.title) mismatches.push(`title is "${row.title}" but the timeline says "${r.title}"`)
    if (r.severity !== row.severity) mismatches.push(`severity is ${row.severity} but the timeline says ${r.severity}`)
    if (r.state !== row.state) mismatches.push(`state is ${row.state} but the timeline says ${r.state}`)
    if ((r.playbook?.sha256 ?? null) !== row.playbookSha256)
      mismatches.push('the attached playbook does not match the playbook_attached event')
    if (row.playbookJson && row.playbookSha256 && sha256Hex(row.playbookJson) !== row.playbookSha256)
      mismatches.push('the stored playbook copy does not match its SHA-256')
    if (events.length === 0) mismatches.push('the incident has no timeline events')
    mismatches.push(...decodeTimeline(events).problems.map((p) => p.message))
  }

  const firstBadEvent = chain.firstBad ? events.find((e) => e.seq === chain.firstBad?.seq) : undefined
  return {
    ...chain,
    ok: chain.ok && mismatches.length === 0,
    incidentId: id,
    mismatches,
    ...(firstBadEvent ? {firstBadEvent} : {}),
  }
}

export interface IncidentSummary extends IncidentRow {
  checks: string[]
  clocks: ClockState[]
  roles: Record<string, string>
}

export function incidentSummary(
  db: DB,
  id: number,
): {row: IncidentRow; events: TimelineEvent[]; summary: IncidentSummary} {
  const row = requireIncident(db, id)
  const events = eventsOf(db, id)
  const r = replay(row, events)
  return {
    row,
    events,
    summary: {...row, checks: incidentCheckIds(db, id), clocks: [...clocksFromEvents(events).values()], roles: r.roles},
  }
}

export function listIncidents(
  db: DB,
  f: {open?: boolean; service?: string; severity?: string; since?: number; exercise?: 'real' | 'exercise' | 'all'},
): IncidentSummary[] {
  return listIncidentRows(db, {
    states: f.open ? OPEN_STATES : undefined,
    service: f.service,
    severity: f.severity,
    since: f.since,
    exercise: f.exercise ?? 'real',
  }).map((row) => incidentSummary(db, row.id).summary)
}
