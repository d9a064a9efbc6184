import type {ExportInput} from '../exporters/input.js'
import {
  EXPORT_FORMAT,
  exportBody,
  exportDocument,
  type ExportVerifyReport,
  isRecord,
  serialiseExport,
  verifyExportText,
} from '../exporters/json.js'
/**
 * The evidence pack of an exercise, computed from the exercise incident's timeline alone (so anyone holding the
 * JSON can recompute it): who took part, time to detect and to declare, each decision with who and when, clocks
 * met or missed at compressed and real scale, injects and the responses to them, lessons-learned actions, and
 * what each proves against CAF D1.c and D2 and the NHS EPRR exercise types.
 */
import {canonicalJson, sha256Hex, type TimelineEvent} from '../incidents/chain.js'
import {clockOutcome, clocksFromEvents} from '../incidents/clocks.js'
import {DECISION_TYPES, describeEvent} from '../incidents/describe.js'
import {type EventOf, firstOf, type IncidentEvent, ofType, readable} from '../incidents/events.js'
import {parseIsoDuration} from '../incidents/time.js'
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
  exercise: {
    id: number
    scenario: string
    scenarioSha256: string
    title: string
    exerciseType: string
    eprr: string
    playbook: string
    compression: number
    duration: string
    startedAt: string
    endedAt: string | null
    endReason: string | null
    sources: {title: string; url: string}[]
    testChannels: string[]
  }
  incident: {id: number; title: string; openedAt: string; openedBy: string}
  participants: {
    name: string
    role: string
    organisation: string | null
    events: number
    steps: number
    decisions: number
  }[]
  detection: Measure & {faultAt: string | null; detectedAt: string | null; checkId: string | null}
  declaration: Measure & {from: string | null; declaredAt: string | null; by: string | null; how: string | null}
  clocks: {
    name: string
    to: string | null
    outcome: string
    compression: number
    durationMs: number
    realDurationMs: number
    startedAt: string
    dueAt: string
    stoppedAt: string | null
    usedMs: number
    usedRealScaleMs: number
    expected: string | null
    met: boolean | null
  }[]
  decisions: {seq: number; at: string; offset: string; actor: string; role: string | null; type: string; text: string}[]
  injects: {
    id: string
    kind: string
    at: string
    releasedAt: string | null
    text: string | null
    to: string[]
    target: string | null
    fault: string | null
    expects: string | null
    responses: {actor: string; role: string | null; at: string; text: string}[]
  }[]
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

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x))
    : []
}

function textOr(v: unknown): string | null {
  return typeof v === 'string' ? v : null
}

interface Expect {
  detect_within?: string
  declare_within?: string
  clocks?: Record<string, string>
}

function expectOf(v: unknown): Expect {
  const [e] = records([v])
  if (!e) return {}
  const clocks = records([e.clocks])[0]
  return {
    detect_within: textOr(e.detect_within) ?? undefined,
    declare_within: textOr(e.declare_within) ?? undefined,
    clocks: clocks ? Object.fromEntries(Object.entries(clocks).map(([k, x]) => [k, String(x)])) : undefined,
  }
}

/** What every part of the pack reads: the timeline, raw and decoded, and the exercise_started record. */
interface PackContext {
  events: readonly TimelineEvent[]
  typed: IncidentEvent[]
  started: EventOf<'exercise_started'>
  compression: number
  t0: number
  participants: {name: string; role: string; organisation?: string}[]
  expect: Expect
  released: EventOf<'inject_released'>[]
  roleOf(actor: string): string | null
}

function packContext(events: readonly TimelineEvent[], incidentId: number): PackContext {
  const typed = readable(events)
  const started = firstOf(typed, 'exercise_started')
  if (!started) throw new Error(`incident ${incidentId} has no exercise_started event: it is not an exercise incident`)
  const participants = records(started.data.participants).map((p) => ({
    name: String(p.name),
    role: String(p.role),
    ...(typeof p.organisation === 'string' ? {organisation: p.organisation} : {}),
  }))
  return {
    events,
    typed,
    started,
    compression: Number(started.data.compression),
    t0: started.occurredAt,
    participants,
    expect: expectOf(started.data.expect),
    released: ofType(typed, 'inject_released'),
    roleOf: (actor) => participants.find((p) => p.name === actor)?.role ?? null,
  }
}

function detectionOf(c: PackContext): ExercisePack['detection'] {
  const firstFault = c.released.find((e) => e.data.kind === 'fault')
  const detected = firstFault
    ? ofType(c.typed, 'estate_check_changed')
        .filter((e) => e.data.to === 'failing' && e.occurredAt >= firstFault.occurredAt)
        .sort((a, b) => a.occurredAt - b.occurredAt)[0]
    : undefined
  const detectMs = firstFault && detected ? detected.occurredAt - firstFault.occurredAt : null
  const limit = c.expect.detect_within ? durationMs(c.expect.detect_within) : undefined
  return {
    faultAt: firstFault ? iso(firstFault.occurredAt) : null,
    detectedAt: detected ? iso(detected.occurredAt) : null,
    checkId: detected ? detected.data.checkId : null,
    realMs: detectMs,
    scenarioMs: detectMs === null ? null : Math.round(detectMs * c.compression),
    expected: c.expect.detect_within ?? null,
    met: limit === undefined ? null : detectMs !== null && detectMs <= limit,
  }
}

function declarationOf(c: PackContext): ExercisePack['declaration'] {
  const trigger = c.released.find((e) => e.data.kind === 'fault' || e.data.kind === 'alert')
  const declared =
    firstOf(c.typed, 'state_changed', (e) => e.data.to === 'active') ??
    firstOf(c.typed, 'step_completed', (e) => !PEOPLE_EXCLUDED.has(e.actor))
  const from = trigger?.occurredAt
  const declareMs = from !== undefined && declared ? Math.max(0, declared.occurredAt - from) : null
  const limit = c.expect.declare_within ? parseIsoDuration(c.expect.declare_within) : undefined
  const scenarioMs = declareMs === null ? null : Math.round(declareMs * c.compression)
  return {
    from: from === undefined ? null : iso(from),
    declaredAt: declared ? iso(declared.occurredAt) : null,
    by: declared?.actor ?? null,
    how: declared ? describeEvent(declared) : null,
    realMs: declareMs,
    scenarioMs,
    expected: c.expect.declare_within ?? null,
    met: limit === undefined ? null : scenarioMs !== null && scenarioMs <= limit,
  }
}

function packClocks(c: PackContext, now: number): ExercisePack['clocks'] {
  const startData = new Map(ofType(c.typed, 'clock_started').map((e) => [e.data.name, e.data]))
  return [...clocksFromEvents(c.events).values()].map((k) => {
    const sd = startData.get(k.name)
    const outcome = clockOutcome(k, now)
    const cmp = Number(sd?.compression ?? c.compression)
    const used = (k.stoppedAt ?? now) - k.startedAt
    const want = c.expect.clocks?.[k.name]
    return {
      name: k.name,
      to: k.to ?? null,
      outcome,
      compression: cmp,
      durationMs: k.dueAt - k.periods[k.periods.length - 1].start,
      realDurationMs: Number(sd?.realDurationMs ?? sd?.durationMs ?? 0),
      startedAt: iso(k.startedAt),
      dueAt: iso(k.dueAt),
      stoppedAt: k.stoppedAt === undefined ? null : iso(k.stoppedAt),
      usedMs: used,
      usedRealScaleMs: Math.round(used * cmp),
      expected: want ?? null,
      met:
        want === undefined
          ? outcome === 'late' || outcome === 'overdue'
            ? false
            : outcome === 'running'
              ? null
              : true
          : outcome === want,
    }
  })
}

function packInjects(c: PackContext): ExercisePack['injects'] {
  return records(c.started.data.injects).map((p) => {
    const r = c.released.find((e) => e.data.inject === p.id)
    const rd = r?.data
    return {
      id: String(p.id),
      kind: String(p.kind),
      at: String(p.at),
      releasedAt: r ? iso(r.occurredAt) : null,
      text: rd?.text ?? null,
      to: Array.isArray(rd?.to) ? rd.to.map(String) : [],
      target: rd?.target ?? null,
      fault: rd?.fault ?? null,
      expects: textOr(rd?.expects),
      responses: ofType(c.typed, 'inject_answered')
        .filter((e) => e.data.inject === p.id)
        .map((e) => ({actor: e.actor, role: c.roleOf(e.actor), at: iso(e.occurredAt), text: e.data.text})),
    }
  })
}

function packExpectations(
  c: PackContext,
  detection: ExercisePack['detection'],
  declaration: ExercisePack['declaration'],
  clocks: ExercisePack['clocks'],
): ExercisePack['expectations'] {
  const {expect} = c
  const out: ExercisePack['expectations'] = []
  if (expect.detect_within)
    out.push({
      what: 'detect the first fault (real checks, real time)',
      expected: `within ${expect.detect_within}`,
      actual: detection.realMs === null ? 'not detected' : `${(detection.realMs / 1000).toFixed(1)} s`,
      met: detection.met,
    })
  if (expect.declare_within)
    out.push({
      what: 'declare the incident (scenario time)',
      expected: `within ${expect.declare_within}`,
      actual: declaration.scenarioMs === null ? 'not declared' : offsetText(declaration.scenarioMs).replace('T+', ''),
      met: declaration.met,
    })
  for (const [name, want] of Object.entries(expect.clocks ?? {})) {
    const k = clocks.find((x) => x.name === name)
    out.push({
      what: `clock ${name}`,
      expected: want,
      actual: k ? k.outcome : 'not started',
      met: k ? k.outcome === want : false,
    })
  }

  return out
}

function isExerciseType(t: string): t is ExerciseType {
  return Object.hasOwn(EXERCISE_TYPES, t)
}

function packAssurance(
  c: PackContext,
  type: string,
  p: Pick<ExercisePack, 'detection' | 'declaration' | 'clocks' | 'expectations' | 'decisions' | 'injects' | 'actions'>,
): ExercisePack['assurance'] {
  const yes = (m: boolean | null) => (m === null ? 'not set' : m ? 'met' : 'missed')
  const missed = p.expectations.filter((x) => x.met === false).length
  return [
    {
      framework: 'CAF-aligned DSPT',
      ref: 'D1.c',
      title: 'Testing and exercising',
      evidence:
        `A ${type} exercise of the incident response plan (playbook ${String(c.started.data.playbook)}) on ${iso(c.t0).slice(0, 10)} with ${c.participants.length} participants; ` +
        `detection ${yes(p.detection.met)}, declaration ${yes(p.declaration.met)}, ${p.clocks.length} clock(s), ${p.expectations.length - missed} of ${p.expectations.length} expectations met.`,
    },
    {
      framework: 'CAF-aligned DSPT',
      ref: 'D2.a',
      title: 'Incident root cause analysis',
      evidence: `${p.decisions.length} decisions with who and when, ${p.injects.reduce((n, i) => n + i.responses.length, 0)} answers to injects and the complete hash-chained timeline, for the debrief.`,
    },
    {
      framework: 'CAF-aligned DSPT',
      ref: 'D2.b',
      title: 'Using incidents to drive improvements',
      evidence:
        p.actions.length === 0
          ? 'No lessons-learned actions recorded yet (exercise action ID --text --owner --due).'
          : `${p.actions.length} lessons-learned action(s), each with an owner and a due date.`,
    },
    {
      framework: 'NHS EPRR',
      ref: type,
      title: isExerciseType(type) ? EXERCISE_TYPES[type] : type,
      evidence:
        'The EPRR framework asks for a communications test every six months, a table-top exercise every year and a live exercise every three years; this pack is the record of one.',
    },
  ]
}

function exerciseRecord(c: PackContext, type: string): ExercisePack['exercise'] {
  const d = c.started.data
  const ended = firstOf(c.typed, 'exercise_ended')
  return {
    id: Number(d.exerciseId),
    scenario: String(d.scenario),
    scenarioSha256: String(d.scenarioSha256 ?? ''),
    title: String(d.title),
    exerciseType: type,
    eprr: isExerciseType(type) ? EXERCISE_TYPES[type] : type,
    playbook: String(d.playbook),
    compression: c.compression,
    duration: String(d.duration),
    startedAt: iso(c.t0),
    endedAt: ended ? iso(ended.occurredAt) : null,
    endReason: ended ? String(ended.data.reason) : null,
    sources: records(d.sources).map((x) => ({...x, title: String(x.title), url: String(x.url)})),
    testChannels: Array.isArray(d.testChannels) ? d.testChannels.map(String) : [],
  }
}

/** Builds the pack from the exercise incident's events (and the time it is made, for running clocks). */
export function buildPack(
  events: readonly TimelineEvent[],
  incident: {id: number; title: string},
  now: number,
): ExercisePack {
  const c = packContext(events, incident.id)
  const opened = firstOf(c.typed, 'incident_opened')
  if (!opened) throw new Error(`incident ${incident.id} has no incident_opened event`)
  const detection = detectionOf(c)
  const declaration = declarationOf(c)
  const clocks = packClocks(c, now)
  const decisions = c.events
    .filter((e) => DECISION_TYPES.has(e.type) || e.type === 'clock_stopped')
    .map((e) => ({
      seq: e.seq,
      at: iso(e.occurredAt),
      offset: offsetText((e.occurredAt - c.t0) * c.compression),
      actor: e.actor,
      role: c.roleOf(e.actor),
      type: e.type,
      text: describeEvent(e),
    }))
  const injects = packInjects(c)
  const actions = ofType(c.typed, 'action_recorded').map((e) => ({
    text: e.data.text,
    owner: e.data.owner,
    due: e.data.due,
    caf: e.data.caf ?? null,
    recordedBy: e.actor,
    at: iso(e.occurredAt),
  }))
  const participants = c.participants.map((p) => {
    const mine = c.events.filter((e) => e.actor === p.name)
    return {
      name: p.name,
      role: p.role,
      organisation: p.organisation ?? null,
      events: mine.length,
      steps: mine.filter((e) => e.type === 'step_completed').length,
      decisions: mine.filter((e) => DECISION_TYPES.has(e.type)).length,
    }
  })
  const expectations = packExpectations(c, detection, declaration, clocks)
  const type = String(c.started.data.exerciseType)
  return {
    format: 'watchkeeper-exercise-pack/1',
    exercise: exerciseRecord(c, type),
    incident: {id: incident.id, title: incident.title, openedAt: iso(opened.occurredAt), openedBy: opened.actor},
    participants,
    detection,
    declaration,
    clocks,
    decisions,
    injects,
    actions,
    expectations,
    assurance: packAssurance(c, type, {detection, declaration, clocks, expectations, decisions, injects, actions}),
  }
}

export const PACK_FORMATS = ['md', 'html', 'json'] as const
export type PackFormat = (typeof PACK_FORMATS)[number]

/**
 * The pack as JSON: the incident's JSON export (the chain, verifiable with `incident verify --file`) with the
 * pack beside it under `exercise`, inside the same digest.
 */
export function packJson(input: ExportInput): string {
  const body = {...exportBody(input), exercise: buildPack(input.events, input.summary, input.now)}
  const doc = {...body, digest: sha256Hex(canonicalJson(body))}
  return serialiseExport(doc)
}

export interface PackVerifyReport extends ExportVerifyReport {
  /** The pack recomputed from the file's own timeline matches the pack it carries. */
  packMatches: boolean
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** Verifies a pack offline: the export (chain, digest, bytes) and the pack against the timeline it carries. */
export function verifyPackText(text: string): PackVerifyReport {
  const r = verifyExportText(text)
  let packMatches = false
  // What does not read (not JSON, null, malformed events) verifyExportText has already said.
  const doc = parseOrNull(text)
  if (doc !== null) {
    const read = isRecord(doc) && doc.format === EXPORT_FORMAT && doc.exercise ? exportDocument(text) : undefined
    if (read === undefined) r.problems.push('the file carries no exercise pack')
    else if (typeof read !== 'string') {
      const inc = isRecord(read.doc.incident) ? read.doc.incident : {}
      const again = buildPack(
        read.events,
        {id: Number(inc.id), title: String(inc.title)},
        Date.parse(String(read.doc.exportedAt)),
      )
      packMatches = canonicalJson(again) === canonicalJson(read.doc.exercise)
      if (!packMatches) r.problems.push('the exercise pack does not match what its timeline gives')
    }
  }

  return {...r, ok: r.ok && packMatches, packMatches}
}
