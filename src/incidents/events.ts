import type {TimelineEvent} from './chain.js'

/*
 * The timeline's event vocabulary: one table (EVENT_FIELDS) gives, for every event type, the fields of its
 * data and their types. The TypeScript types and the decoder are both derived from it, so a field read
 * past the decoder is the type the decoder checked. Fields not in the table (the exercise id on an
 * exercise's events, the walk position of playbook events) pass through untouched: the decoder checks,
 * it never rewrites, so the hash chain sees exactly the stored data.
 *
 * Field kinds: a trailing `?` means it may be absent; `|null` that it may be null.
 */

type Kind =
  | 'string'
  | 'number'
  | 'boolean'
  | 'string[]'
  | 'number[]'
  | 'object'
  | 'array'
  | 'unknown'
  | 'string|null'
  | 'number|null'
type Field = Kind | `${Kind}?`

const CLOCK = {name: 'string'} as const
const STEP = {step: 'string?', flow: 'string?'} as const
const FLEET = {groupKey: 'string?', receiver: 'string?', vantages: 'string[]?'} as const

export const EVENT_FIELDS = {
  incident_opened: {title: 'string', severity: 'string', state: 'string?', service: 'string?', checks: 'string[]?'},
  playbook_attached: {id: 'string', name: 'string', version: 'unknown', file: 'string?', sha256: 'string'},
  note: {text: 'string'},
  role_assigned: {role: 'string', person: 'string', previous: 'string?'},
  severity_changed: {from: 'string', to: 'string'},
  state_changed: {from: 'string', to: 'string', reason: 'string?', into: 'unknown'},
  evidence_attached: {
    kind: 'string?',
    checkId: 'string?',
    resultId: 'number?',
    status: 'string?',
    summary: 'string?',
    target: 'string?',
    durationMs: 'number?',
    findings: 'array?',
    alertname: 'string?',
    ...FLEET,
  },
  check_recovered: {checkId: 'string', state: 'string?', resultId: 'number?', status: 'string?', summary: 'string?'},
  check_failing_again: {checkId: 'string', resultId: 'number?', status: 'string?', summary: 'string?'},
  fleet_alert_resolved: {alertname: 'string?', summary: 'string?', status: 'string?', ...FLEET},
  fleet_recovered: {note: 'string?', ...FLEET},
  fleet_failing_again: {...FLEET},
  fleet_alert_repeated: {status: 'string?', deliveries: 'number?', firing: 'number?', ...FLEET},
  clock_started: {
    ...CLOCK,
    dueAt: 'number',
    to: 'string?',
    basis: 'string?',
    citation: 'string?',
    durationMs: 'number?',
    businessDays: 'number?',
    warnBeforeMs: 'number[]?',
    source: 'string?',
    startsFrom: 'string?',
    compression: 'number?',
    realDurationMs: 'number?',
  },
  clock_warned: {...CLOCK, dueAt: 'number', remainingMs: 'number'},
  clock_breached: {...CLOCK, dueAt: 'number'},
  clock_stopped: {...CLOCK, outcome: 'string?', reason: 'string?', dueAt: 'number?'},
  clock_restarted: {...CLOCK, dueAt: 'number?', previousDueAt: 'number?', reason: 'string?'},
  clock_adjusted: {...CLOCK, field: 'string', from: 'number', to: 'number', reason: 'string?', dueAt: 'number?'},
  walk_started: {...STEP, playbook: 'string?'},
  walk_completed: {},
  step_started: {...STEP, inv: 'unknown', type: 'string?', name: 'string?', owner: 'string?'},
  step_completed: {...STEP, next: 'string|null?'},
  checklist_ticked: {...STEP, item: 'number?', text: 'string?', done: 'boolean?'},
  variable_recorded: {...STEP, name: 'string', value: 'unknown', from: 'string?', checkId: 'string?', fact: 'string?'},
  assessment_recorded: {...STEP, next: 'string|null?'},
  decision_taken: {
    ...STEP,
    variable: 'string?',
    value: 'unknown',
    condition: 'string?',
    result: 'unknown',
    next: 'string|null?',
  },
  command_started: {...STEP, argv: 'string[]?'},
  command_run: {
    ...STEP,
    argv: 'string[]?',
    exitCode: 'number|null?',
    signal: 'string?',
    timedOut: 'boolean?',
    durationMs: 'number?',
    outputSha256: 'string?',
    outputBytes: 'number?',
    output: 'string?',
    outputKeptBytes: 'number?',
    outputTruncated: 'boolean?',
    error: 'string?',
  },
  command_declined: {...STEP, argv: 'string[]?', reason: 'string?'},
  wait_started: {...STEP, until: 'number'},
  wait_finished: {...STEP, early: 'boolean?'},
  branches_started: {...STEP, branches: 'array?', stops: 'unknown'},
  loop_iteration: {...STEP, iteration: 'number?', condition: 'string?', child: 'string?', at: 'string?'},
  loop_exited: {...STEP, iterations: 'number?', reason: 'string?'},
  subplaybook_started: {...STEP, playbook: 'string?', id: 'string?', child: 'string?', at: 'string?'},
  exercise_started: {
    exerciseId: 'number',
    scenario: 'string',
    scenarioSha256: 'string?',
    title: 'string',
    exerciseType: 'string?',
    playbook: 'string?',
    compression: 'number?',
    duration: 'string?',
    participants: 'array?',
    injects: 'array?',
    manual: 'boolean?',
  },
  exercise_ended: {exerciseId: 'number', reason: 'string?', released: 'string[]?', notReleased: 'string[]?'},
  inject_released: {
    inject: 'string',
    kind: 'string',
    offset: 'string?',
    text: 'string?',
    to: 'unknown',
    target: 'string?',
    fault: 'string?',
    reference: 'string?',
    severity: 'string?',
    startsClock: 'string?',
  },
  inject_answered: {inject: 'string', kind: 'string?', text: 'string'},
  action_recorded: {text: 'string', owner: 'string', due: 'string', caf: 'string?'},
  estate_check_changed: {
    checkId: 'string',
    service: 'string?',
    from: 'string',
    to: 'string',
    summary: 'string?',
    fault: 'string|null?',
  },
  seal: {seq: 'number', head: 'string', key: 'string', signature: 'string'},
} as const satisfies Record<string, Record<string, Field>>

export type EventType = keyof typeof EVENT_FIELDS

type Value<K> = K extends 'string'
  ? string
  : K extends 'number'
    ? number
    : K extends 'boolean'
      ? boolean
      : K extends 'string[]'
        ? string[]
        : K extends 'number[]'
          ? number[]
          : K extends 'object'
            ? Record<string, unknown>
            : K extends 'array'
              ? unknown[]
              : K extends 'string|null'
                ? string | null
                : K extends 'number|null'
                  ? number | null
                  : unknown
type Optional<S> = {[F in keyof S]: S[F] extends `${string}?` ? F : S[F] extends 'unknown' ? F : never}[keyof S]
type Strip<K> = K extends `${infer B}?` ? B : K
type DataOf<S> = {[F in Exclude<keyof S, Optional<S>>]: Value<S[F]>} & {[F in Optional<S>]?: Value<Strip<S[F]>>} & {
  readonly [key: string]: unknown
  exercise?: number
}

/** The data of each event type. */
export type EventData<T extends EventType> = DataOf<(typeof EVENT_FIELDS)[T]>

/** A decoded timeline event: the stored envelope with a type the vocabulary knows and data checked against it. */
export type IncidentEvent = {
  [T in EventType]: Omit<TimelineEvent, 'type' | 'data'> & {type: T; data: EventData<T>}
}[EventType]

/** One event type's member of the union. */
export type EventOf<T extends EventType> = Extract<IncidentEvent, {type: T}>

/** Why a stored or imported event cannot be read: names the event and the field. */
export class EventDecodeError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`)
    this.name = 'EventDecodeError'
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`.slice(0, 60)
}

function matches(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string': {
      return typeof v === 'string'
    }

    case 'number': {
      return typeof v === 'number' && Number.isFinite(v)
    }

    case 'boolean': {
      return typeof v === 'boolean'
    }

    case 'string[]': {
      return Array.isArray(v) && v.every((x) => typeof x === 'string')
    }

    case 'number[]': {
      return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x))
    }

    case 'object': {
      return v !== null && typeof v === 'object' && !Array.isArray(v)
    }

    case 'array': {
      return Array.isArray(v)
    }

    case 'string|null': {
      return v === null || typeof v === 'string'
    }

    case 'number|null': {
      return v === null || (typeof v === 'number' && Number.isFinite(v))
    }

    case 'unknown': {
      return true
    }
  }
}

const ENVELOPE = {
  incidentId: 'number',
  seq: 'number',
  occurredAt: 'number',
  recordedAt: 'number',
  actor: 'string',
  type: 'string',
  data: 'object',
  prevHash: 'string',
  hash: 'string',
} as const

/** The place an event is named in errors: its sequence number and type when it has them. */
function placeOf(raw: Record<string, unknown>, index: number): string {
  return typeof raw.seq === 'number'
    ? `event ${raw.seq}${typeof raw.type === 'string' ? ` (${raw.type})` : ''}`
    : `event #${index + 1}`
}

/** Checks the envelope of an imported event (an export's events array): every field present with its type. */
export function decodeEnvelope(raw: unknown, index: number): TimelineEvent {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new EventDecodeError(`event #${index + 1}`, `expected an object, found ${kindOf(raw)}`)
  const r: Record<string, unknown> = {...raw}
  const where = placeOf(r, index)
  for (const [field, kind] of Object.entries(ENVELOPE)) {
    if (!(field in r)) throw new EventDecodeError(where, `${field} is missing`)
    if (!matches(kind, r[field]))
      throw new EventDecodeError(
        where,
        `${field} must be ${kind === 'object' ? 'an object' : `a ${kind}`}, found ${kindOf(r[field])}`,
      )
  }

  return raw as TimelineEvent
}

function isEventType(t: string): t is EventType {
  return Object.hasOwn(EVENT_FIELDS, t)
}

/** Decodes one event: a known type, and every field of its data in the vocabulary present (unless optional) with its type. */
export function decodeEvent(e: TimelineEvent): IncidentEvent {
  const where = `event ${e.seq} (${e.type})`
  if (!isEventType(e.type)) throw new EventDecodeError(where, `unknown event type "${e.type}"`)
  const fields: Record<string, Field> = EVENT_FIELDS[e.type]
  for (const [name, field] of Object.entries(fields)) {
    const optional = field.endsWith('?')
    const kind = (optional ? field.slice(0, -1) : field) as Kind
    const v = e.data[name]
    if (v === undefined) {
      if (optional || kind === 'unknown') continue
      throw new EventDecodeError(where, `data.${name} is missing`)
    }

    if (!matches(kind, v))
      throw new EventDecodeError(
        where,
        `data.${name} must be ${kind === 'object' || kind === 'array' ? `an ${kind}` : `a ${kind}`}, found ${kindOf(v)}`,
      )
  }

  // Checked against EVENT_FIELDS just above: the one place the vocabulary's types are asserted.
  return e as IncidentEvent
}

export interface DecodedTimeline {
  events: IncidentEvent[]
  /** The events that could not be decoded, each named with its problem. */
  problems: EventDecodeError[]
}

/** Decodes a timeline; events that do not decode are left out of `events` and named in `problems`. */
export function decodeTimeline(events: readonly TimelineEvent[]): DecodedTimeline {
  const out: IncidentEvent[] = []
  const problems: EventDecodeError[] = []
  for (const e of events) {
    try {
      out.push(decodeEvent(e))
    } catch (error) {
      if (!(error instanceof EventDecodeError)) throw error
      problems.push(error)
    }
  }

  return {events: out, problems}
}

/** The events a timeline reader can use: decoded, undecodable ones left out (verify reports them). */
export function readable(events: readonly (TimelineEvent | IncidentEvent)[]): IncidentEvent[] {
  return decodeTimeline(events).events
}

/** The events of one type, typed. */
export function ofType<T extends EventType>(events: readonly IncidentEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type)
}

/** The first event of a type matching a test, typed. */
export function firstOf<T extends EventType>(
  events: readonly IncidentEvent[],
  type: T,
  test: (e: EventOf<T>) => boolean = () => true,
): EventOf<T> | undefined {
  return ofType(events, type).find(test)
}
