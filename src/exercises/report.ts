/**
 * The evidence pack of an exercise, computed from the exercise incident's timeline alone (so anyone holding the
 * JSON can recompute it): who took part, time to detect and to declare, each decision with who and when, clocks
 * met or missed at compressed and real scale, injects and the responses to them, lessons-learned actions, and
 * what each proves against CAF D1.c and D2 and the NHS EPRR exercise types.
 */
import {canonicalJson, sha256Hex, type TimelineEvent} from '../incidents/chain.js'
import {clockOutcome, clocksFromEvents} from '../incidents/clocks.js'
import {DECISION_TYPES, describeEvent} from '../incidents/describe.js'
import {parseIsoDuration} from '../incidents/time.js'
import {EXPORT_FORMAT, jsonExport, serialiseExport, verifyExportText, type ExportVerifyReport, type IncidentExport} from '../exporters/json.js'
import type {ExportInput} from '../exporters/input.js'
import {durationMs} from '../util/duration.js'
import {EXERCISE_TYPES, type ExerciseType} from './schema.js'

const PEOPLE_EXCLUDED = new Set(['watchkeeper', 'watchkeeper watch'])

export interface Measure {
  /** Real milliseconds, and the same span in scenario time (× compression). */
  realMs: number | null
  scenarioMs: number | null
  expected: string | null
  met: boolean | null
}

export interface ExercisePack {
  format: 'watchkeeper-exercise-pack/1'
  exercise: {id: number; scenario: string; scenarioSha256: string; title: string; exerciseType: string; eprr: string; playbook: string; compression: number;
    duration: string; startedAt: string; endedAt: string | null; endReason: string | null; sources: {title: string; url: string}[]; testChannels: string[]}
  incident: {id: number; title: string; openedAt: string; openedBy: string}
  participants: {name: string; role: string; organisation: string | null; events: number; steps: number; decisions: number}[]
  detection: Measure & {faultAt: string | null; detectedAt: string | null; checkId: string | null}
  declaration: Measure & {from: string | null; declaredAt: string | null; by: string | null; how: string | null}
  clocks: {name: string; to: string | null; outcome: string; compression: number; durationMs: number; realDurationMs: number; startedAt: string; dueAt: string;
    stoppedAt: string | null; usedMs: number; usedRealScaleMs: number; expected: string | null; met: boolean | null}[]
  decisions: {seq: number; at: string; offset: string; actor: string; role: string | null; type: string; text: string}[]
  injects: {id: string; kind: string; at: string; releasedAt: string | null; text: string | null; to: string[]; target: string | null; fault: string | null;
    expects: string | null; responses: {actor: string; role: string | null; at: string; text: string}[]}[]
  actions: {text: string; owner: string; due: string; caf: string | null; recordedBy: string; at: string}[]
  expectations: {what: string; expected: string; actual: string; met: boolean | null}[]
  assurance: {framework: string; ref: string; title: string; evidence: string}[]
}

const iso = (t: number) => new Date(t).toISOString()

/** `PT1H5M`-style offset from the start, in scenario time. */
function offsetText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor(s / 60) % 60
  const sec = s % 60
  return `T+${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s`
}

/** Builds the pack from the exercise incident's events (and the time it is made, for running clocks). */
export function buildPack(events: readonly TimelineEvent[], incident: {id: number; title: string}, now: number): ExercisePack {
  const started = events.find((e) => e.type === 'exercise_started')
  if (!started) throw new Error(`incident ${incident.id} has no exercise_started event: it is not an exercise incident`)
  const d = started.data as Record<string, unknown>
  const compression = Number(d.compression)
  const t0 = started.occurredAt
  const participants = (d.participants as {name: string; role: string; organisation?: string}[]) ?? []
  const roleOf = (actor: string) => participants.find((p) => p.name === actor)?.role ?? null
  const expect = (d.expect ?? {}) as {detect_within?: string; declare_within?: string; clocks?: Record<string, string>}
  const ended = events.find((e) => e.type === 'exercise_ended')
  const opened = events.find((e) => e.type === 'incident_opened')!
  const released = events.filter((e) => e.type === 'inject_released')

  const firstFault = released.find((e) => e.data.kind === 'fault')
  const trigger = released.find((e) => e.data.kind === 'fault' || e.data.kind === 'alert')
  const detected = firstFault ? events.filter((e) => e.type === 'estate_check_changed' && e.data.to === 'failing' && e.occurredAt >= firstFault.occurredAt)
    .sort((a, b) => a.occurredAt - b.occurredAt)[0] : undefined
  const detectMs = firstFault && detected ? detected.occurredAt - firstFault.occurredAt : null
  const detectLimit = expect.detect_within ? durationMs(expect.detect_within) : undefined
  const detection = {faultAt: firstFault ? iso(firstFault.occurredAt) : null, detectedAt: detected ? iso(detected.occurredAt) : null,
    checkId: detected ? String(detected.data.checkId) : null, realMs: detectMs, scenarioMs: detectMs === null ? null : Math.round(detectMs * compression),
    expected: expect.detect_within ?? null, met: detectLimit === undefined ? null : detectMs !== null && detectMs <= detectLimit}

  const person = (e: TimelineEvent) => !PEOPLE_EXCLUDED.has(e.actor)
  const declaredEvent = events.find((e) => e.type === 'state_changed' && e.data.to === 'active') ?? events.find((e) => e.type === 'step_completed' && person(e))
  const from = trigger?.occurredAt
  const declareMs = from !== undefined && declaredEvent ? Math.max(0, declaredEvent.occurredAt - from) : null
  const declareLimit = expect.declare_within ? parseIsoDuration(expect.declare_within) : undefined
  const declareScenario = declareMs === null ? null : Math.round(declareMs * compression)
  const declaration = {from: from === undefined ? null : iso(from), declaredAt: declaredEvent ? iso(declaredEvent.occurredAt) : null, by: declaredEvent?.actor ?? null,
    how: declaredEvent ? describeEvent(declaredEvent) : null, realMs: declareMs, scenarioMs: declareScenario, expected: expect.declare_within ?? null,
    met: declareLimit === undefined ? null : declareScenario !== null && declareScenario <= declareLimit}

  const startData = new Map(events.filter((e) => e.type === 'clock_started').map((e) => [String(e.data.name), e.data]))
  const clocks = [...clocksFromEvents(events).values()].map((c) => {
    const sd = startData.get(c.name) ?? {}
    const outcome = clockOutcome(c, now)
    const cmp = Number(sd.compression ?? compression)
    const used = (c.stoppedAt ?? now) - c.startedAt
    const want = expect.clocks?.[c.name]
    return {name: c.name, to: c.to ?? null, outcome, compression: cmp, durationMs: c.dueAt - c.periods[c.periods.length - 1].start,
      realDurationMs: Number(sd.realDurationMs ?? sd.durationMs ?? 0), startedAt: iso(c.startedAt), dueAt: iso(c.dueAt), stoppedAt: c.stoppedAt === undefined ? null : iso(c.stoppedAt),
      usedMs: used, usedRealScaleMs: Math.round(used * cmp), expected: want ?? null,
      met: want === undefined ? (outcome === 'late' || outcome === 'overdue' ? false : outcome === 'running' ? null : true) : outcome === want}
  })

  const decisions = events.filter((e) => DECISION_TYPES.has(e.type) || e.type === 'clock_stopped').map((e) => ({seq: e.seq, at: iso(e.occurredAt),
    offset: offsetText((e.occurredAt - t0) * compression), actor: e.actor, role: roleOf(e.actor), type: e.type, text: describeEvent(e)}))

  const planned = (d.injects as {id: string; kind: string; at: string}[]) ?? []
  const injects = planned.map((p) => {
    const r = released.find((e) => e.data.inject === p.id)
    const rd = (r?.data ?? {}) as Record<string, unknown>
    return {id: p.id, kind: p.kind, at: p.at, releasedAt: r ? iso(r.occurredAt) : null, text: (rd.text as string | undefined) ?? null, to: (rd.to as string[] | undefined) ?? [],
      target: (rd.target as string | undefined) ?? null, fault: (rd.fault as string | undefined) ?? null, expects: (rd.expects as string | undefined) ?? null,
      responses: events.filter((e) => e.type === 'inject_answered' && e.data.inject === p.id).map((e) => ({actor: e.actor, role: roleOf(e.actor), at: iso(e.occurredAt), text: String(e.data.text)}))}
  })

  const actions = events.filter((e) => e.type === 'action_recorded').map((e) => ({text: String(e.data.text), owner: String(e.data.owner), due: String(e.data.due),
    caf: (e.data.caf as string | undefined) ?? null, recordedBy: e.actor, at: iso(e.occurredAt)}))

  const people = participants.map((p) => {
    const mine = events.filter((e) => e.actor === p.name)
    return {name: p.name, role: p.role, organisation: p.organisation ?? null, events: mine.length, steps: mine.filter((e) => e.type === 'step_completed').length,
      decisions: mine.filter((e) => DECISION_TYPES.has(e.type)).length}
  })

  const yes = (m: boolean | null) => (m === null ? 'not set' : m ? 'met' : 'missed')
  const expectations: ExercisePack['expectations'] = []
  if (expect.detect_within) expectations.push({what: 'detect the first fault (real checks, real time)', expected: `within ${expect.detect_within}`,
    actual: detectMs === null ? 'not detected' : `${(detectMs / 1000).toFixed(1)} s`, met: detection.met})
  if (expect.declare_within) expectations.push({what: 'declare the incident (scenario time)', expected: `within ${expect.declare_within}`,
    actual: declareScenario === null ? 'not declared' : offsetText(declareScenario).replace('T+', ''), met: declaration.met})
  for (const [name, want] of Object.entries(expect.clocks ?? {})) {
    const c = clocks.find((x) => x.name === name)
    expectations.push({what: `clock ${name}`, expected: want, actual: c ? c.outcome : 'not started', met: c ? c.outcome === want : false})
  }
  const type = String(d.exerciseType) as ExerciseType
  const missed = expectations.filter((x) => x.met === false).length
  const assurance = [
    {framework: 'CAF-aligned DSPT', ref: 'D1.c', title: 'Testing and exercising',
      evidence: `A ${type} exercise of the incident response plan (playbook ${String(d.playbook)}) on ${iso(t0).slice(0, 10)} with ${participants.length} participants; ` +
        `detection ${yes(detection.met)}, declaration ${yes(declaration.met)}, ${clocks.length} clock(s), ${expectations.length - missed} of ${expectations.length} expectations met.`},
    {framework: 'CAF-aligned DSPT', ref: 'D2.a', title: 'Incident root cause analysis',
      evidence: `${decisions.length} decisions with who and when, ${injects.reduce((n, i) => n + i.responses.length, 0)} answers to injects and the complete hash-chained timeline, for the debrief.`},
    {framework: 'CAF-aligned DSPT', ref: 'D2.b', title: 'Using incidents to drive improvements',
      evidence: actions.length === 0 ? 'No lessons-learned actions recorded yet (exercise action ID --text --owner --due).' : `${actions.length} lessons-learned action(s), each with an owner and a due date.`},
    {framework: 'NHS EPRR', ref: type, title: EXERCISE_TYPES[type] ?? type,
      evidence: 'The EPRR framework asks for a communications test every six months, a table-top exercise every year and a live exercise every three years; this pack is the record of one.'},
  ]

  return {
    format: 'watchkeeper-exercise-pack/1',
    exercise: {id: Number(d.exerciseId), scenario: String(d.scenario), scenarioSha256: String(d.scenarioSha256 ?? ''), title: String(d.title), exerciseType: type,
      eprr: EXERCISE_TYPES[type] ?? type, playbook: String(d.playbook), compression, duration: String(d.duration), startedAt: iso(t0),
      endedAt: ended ? iso(ended.occurredAt) : null, endReason: ended ? String(ended.data.reason) : null, sources: (d.sources as {title: string; url: string}[]) ?? [],
      testChannels: (d.testChannels as string[]) ?? []},
    incident: {id: incident.id, title: incident.title, openedAt: iso(opened.occurredAt), openedBy: opened.actor},
    participants: people, detection, declaration, clocks, decisions, injects, actions, expectations, assurance,
  }
}

export const PACK_FORMATS = ['md', 'html', 'json'] as const
export type PackFormat = (typeof PACK_FORMATS)[number]

/**
 * The pack as JSON: the incident's JSON export (the chain, verifiable with `incident verify --file`) with the
 * pack beside it under `exercise`, inside the same digest.
 */
export function packJson(input: ExportInput): string {
  const doc = JSON.parse(jsonExport(input)) as Record<string, unknown>
  delete doc.digest
  doc.exercise = buildPack(input.events, input.summary, input.now)
  doc.digest = sha256Hex(canonicalJson(doc))
  return serialiseExport(doc as unknown as IncidentExport)
}

export interface PackVerifyReport extends ExportVerifyReport {
  /** The pack recomputed from the file's own timeline matches the pack it carries. */
  packMatches: boolean
}

/** Verifies a pack offline: the export (chain, digest, bytes) and the pack against the timeline it carries. */
export function verifyPackText(text: string): PackVerifyReport {
  const r = verifyExportText(text)
  let packMatches = false
  try {
    const doc = JSON.parse(text) as IncidentExport & {exercise?: ExercisePack}
    if (doc.format === EXPORT_FORMAT && doc.exercise) {
      const again = buildPack(doc.events, {id: Number(doc.incident.id), title: String(doc.incident.title)}, Date.parse(doc.exportedAt))
      packMatches = canonicalJson(again) === canonicalJson(doc.exercise)
      if (!packMatches) r.problems.push('the exercise pack does not match what its timeline gives')
    } else r.problems.push('the file carries no exercise pack')
  } catch {
    // verifyExportText has said why it cannot be read
  }
  return {...r, ok: r.ok && packMatches, packMatches}
}
