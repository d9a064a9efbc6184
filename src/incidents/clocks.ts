import type {NewEvent, TimelineEvent} from './chain.js'
import {formatDuration, parseDuration} from '../util/duration.js'
import {type EventOf, type IncidentEvent, readable} from './events.js'
import {addBusinessDays, parseIsoDuration, toIsoDuration} from './time.js'

/** What a clock's start is measured from; aware and issued are asked for when a step starts the clock. */
export const STARTS_FROM = ['aware', 'issued', 'declared', 'detected'] as const
export type StartsFrom = (typeof STARTS_FROM)[number]

/** How a clock was stopped. */
export const STOP_OUTCOMES = ['notified', 'not_required', 'superseded'] as const
export type StopOutcome = (typeof STOP_OUTCOMES)[number]

/** The words every view and export uses for a clock. */
export const CLOCK_OUTCOMES = ['running', 'overdue', 'on_time', 'late', 'not_required', 'superseded'] as const
export type ClockOutcome = (typeof CLOCK_OUTCOMES)[number]

/** A regulatory (or internal) deadline, from a clocks/*.yaml file or a playbook's clocks: section. */
export interface ClockDef {
  name: string
  /** Who must be told, or what must happen. */
  to?: string
  /** The rule behind the deadline. */
  basis?: string
  /** Where the rule is written (URL or citation). */
  source?: string
  /** Continuous time; weekends and bank holidays count. */
  durationMs?: number
  /** The duration as written (PT72H). */
  duration?: string
  /** England and Wales business days instead of continuous time. */
  businessDays?: number
  /** Warning points, as time remaining before the deadline. */
  warnBeforeMs: number[]
  startsFrom?: StartsFrom
  /** Dates (YYYY-MM-DD, UTC) between which the rule is in force. */
  effectiveFrom?: string
  effectiveUntil?: string
  enabled?: boolean
  /** A step may give it a new due time (restarts_clock). */
  restartable?: boolean
  note?: string
  /** Where it was defined, file:line:col. */
  definedAt?: string
  /** An exercise runs it this many times faster than real time; durationMs is then the compressed length. */
  compression?: number
  /** The real length before compression (business days counted as whole days). */
  realDurationMs?: number
}

/**
 * The clocks of an exercise: every length and warning point divided by the compression factor (72 h at 60 is
 * 72 min). Business days become continuous days first, since a compressed week has no weekend.
 */
export function compressClockDefs(defs: Map<string, ClockDef>, compression: number): Map<string, ClockDef> {
  if (compression === 1) return new Map([...defs].map(([k, d]) => [k, {...d, compression: 1}]))
  const out = new Map<string, ClockDef>()
  for (const [name, d] of defs) {
    const real = d.durationMs ?? (d.businessDays ?? 0) * 86_400_000
    out.set(name, {
      ...d,
      compression,
      realDurationMs: real,
      durationMs: Math.round(real / compression),
      businessDays: undefined,
      warnBeforeMs: d.warnBeforeMs.map((w) => Math.round(w / compression)),
    })
  }

  return out
}

/** Whether the time the clock starts from is asked for when a step starts it. */
export function asksStartTime(def: Pick<ClockDef, 'startsFrom'>): boolean {
  return def.startsFrom === 'aware' || def.startsFrom === 'issued'
}

/** Why a clock cannot be started at `at`, or undefined when it can. */
export function notInForce(def: ClockDef, at: number): string | undefined {
  const why = def.note ? `: ${def.note}` : ''
  if (def.enabled === false) return `clock ${def.name} is not in force${why}`
  const day = new Date(at).toISOString().slice(0, 10)
  if (def.effectiveFrom && day < def.effectiveFrom)
    return `clock ${def.name} is in force only from ${def.effectiveFrom}${why}`
  if (def.effectiveUntil && day > def.effectiveUntil)
    return `clock ${def.name} was in force only until ${def.effectiveUntil}${why}`
  return undefined
}

/** `PT72H` or `5 business days`. */
export function clockLength(def: Pick<ClockDef, 'durationMs' | 'businessDays' | 'duration'>): string {
  return def.businessDays === undefined
    ? (def.duration ?? toIsoDuration(def.durationMs ?? 0))
    : `${def.businessDays} business days`
}

export function dueAtOf(def: Pick<ClockDef, 'durationMs' | 'businessDays'>, startedAt: number): number {
  if (def.businessDays !== undefined) return addBusinessDays(startedAt, def.businessDays)
  return startedAt + (def.durationMs ?? 0)
}

/** Default warning: when a quarter of the time is left. */
export function warnPoints(def: Pick<ClockDef, 'warnBeforeMs'>, startedAt: number, dueAt: number): number[] {
  const before = def.warnBeforeMs.length > 0 ? def.warnBeforeMs : [Math.round((dueAt - startedAt) / 4)]
  return [...new Set(before)].filter((b) => b > 0 && b < dueAt - startedAt).sort((a, b) => b - a)
}

/** One stretch of a clock: from its start (or a restart) to its due time. */
export interface ClockPeriod {
  start: number
  dueAt: number
  /** When the next restart ended it (the update was given then). */
  end?: number
}

export interface ClockAdjustment {
  field: 'start' | 'stop'
  from: number
  to: number
  reason: string
  recordedAt: number
  actor: string
}

/** A clock as the timeline tells it, adjustments and restarts applied. */
export interface ClockState {
  name: string
  to?: string
  basis?: string
  citation?: string
  startsFrom?: StartsFrom
  /** The asserted start (after adjustments). */
  startedAt: number
  /** When the start was written to the timeline. */
  startRecordedAt: number
  /** The current due time (of the last period). */
  dueAt: number
  durationMs?: number
  businessDays?: number
  /** Warning points (ms before the deadline) and which have been recorded for the current due time. */
  warnBeforeMs: number[]
  warned: number[]
  breachedRecorded: boolean
  periods: ClockPeriod[]
  stoppedAt?: number
  outcome?: StopOutcome
  stopReason?: string
  adjustments: ClockAdjustment[]
  /** Crossings recorded, by due time: the remaining-ms of each warning, and -1 for the deadline. */
  crossings: Record<string, number[]>
}

/** The outcome word of a clock at `now`. */
export function clockOutcome(c: ClockState, now: number): ClockOutcome {
  if (c.stoppedAt !== undefined) {
    const outcome = c.outcome ?? 'notified'
    if (outcome !== 'notified') return outcome
    return c.stoppedAt <= c.dueAt && lateUpdates(c) === 0 ? 'on_time' : 'late'
  }

  if (now > c.dueAt) return 'overdue'
  return 'running'
}

/** Restarts that came after the due time they ended (an update given late). */
export function lateUpdates(c: ClockState): number {
  return c.periods.filter((p) => p.end !== undefined && p.end > p.dueAt).length
}

/** Running and inside a warning window. */
export function clockWarning(c: ClockState, now: number): boolean {
  return c.stoppedAt === undefined && now <= c.dueAt && c.warnBeforeMs.some((w) => now >= c.dueAt - w)
}

function isStartsFrom(v: unknown): v is StartsFrom {
  return STARTS_FROM.some((x) => x === v)
}

function isStopOutcome(v: unknown): v is StopOutcome {
  return STOP_OUTCOMES.some((x) => x === v)
}

/** A clock from its clock_started event. */
function startedClock(e: EventOf<'clock_started'>): ClockState {
  const d = e.data
  return {
    name: d.name,
    to: d.to,
    basis: d.basis,
    citation: d.citation,
    startsFrom: isStartsFrom(d.startsFrom) ? d.startsFrom : undefined,
    startedAt: e.occurredAt,
    startRecordedAt: e.recordedAt,
    dueAt: d.dueAt,
    durationMs: d.durationMs,
    businessDays: d.businessDays,
    warnBeforeMs: d.warnBeforeMs ?? [],
    warned: [],
    breachedRecorded: false,
    periods: [{start: e.occurredAt, dueAt: d.dueAt}],
    adjustments: [],
    crossings: {},
  }
}

/** A running clock restarted: the current period ends and a new one begins. */
function restartClock(c: ClockState, e: EventOf<'clock_restarted'>): void {
  if (c.stoppedAt !== undefined) return
  const last = c.periods[c.periods.length - 1]
  last.end = e.occurredAt
  const dueAt = e.data.dueAt ?? dueAtOf(c, e.occurredAt)
  c.periods.push({start: e.occurredAt, dueAt})
  c.dueAt = dueAt
}

/** A correction of the clock's start (which moves its first due time) or of its stop. */
function adjustClock(c: ClockState, e: EventOf<'clock_adjusted'>): void {
  const d = e.data
  const field = d.field === 'stop' ? 'stop' : 'start'
  c.adjustments.push({field, from: d.from, to: d.to, reason: d.reason ?? '', recordedAt: e.recordedAt, actor: e.actor})
  if (field === 'start') {
    c.startedAt = d.to
    const first = c.periods[0]
    first.start = d.to
    first.dueAt = d.dueAt ?? dueAtOf(c, d.to)
    if (c.periods.length === 1) c.dueAt = first.dueAt
  } else if (c.stoppedAt !== undefined) c.stoppedAt = d.to
}

/** A running clock stopped, with its outcome (notified unless the event says otherwise). */
function stopClock(c: ClockState, e: EventOf<'clock_stopped'>): void {
  if (c.stoppedAt !== undefined) return
  c.stoppedAt = e.occurredAt
  c.outcome = isStopOutcome(e.data.outcome) ? e.data.outcome : 'notified'
  c.stopReason = e.data.reason
}

/** Applies one clock_* event to the clocks read so far. */
function applyClockEvent(clocks: Map<string, ClockState>, e: IncidentEvent): void {
  if (!e.type.startsWith('clock_')) return
  const c = clocks.get(typeof e.data.name === 'string' ? e.data.name : '')
  const mark = (dueAt: number, what: number) => {
    if (c) (c.crossings[dueAt] ??= []).push(what)
  }

  switch (e.type) {
    case 'clock_started': {
      if (!c) clocks.set(e.data.name, startedClock(e))
      break
    }

    case 'clock_warned': {
      mark(e.data.dueAt, e.data.remainingMs)
      break
    }

    case 'clock_breached': {
      mark(e.data.dueAt, -1)
      break
    }

    case 'clock_restarted': {
      if (c) restartClock(c, e)
      break
    }

    case 'clock_adjusted': {
      if (c) adjustClock(c, e)
      break
    }

    case 'clock_stopped': {
      if (c) stopClock(c, e)
      break
    }
  }
}

/** Clocks from the timeline's clock_* events, in the order they started. */
export function clocksFromEvents(events: readonly TimelineEvent[]): Map<string, ClockState> {
  const clocks = new Map<string, ClockState>()
  for (const e of readable(events)) applyClockEvent(clocks, e)
  for (const c of clocks.values()) {
    const here = c.crossings[c.dueAt] ?? []
    c.warned = here.filter((w) => w >= 0)
    c.breachedRecorded = here.includes(-1)
  }

  return clocks
}

export interface ClockCrossing {
  type: 'clock_warned' | 'clock_breached'
  at: number
  data: Record<string, unknown>
}

/** The warning and deadline crossings not yet on the timeline, in time order (every period of a restarted clock). */
export function dueClockCrossings(clocks: Iterable<ClockState>, now: number): ClockCrossing[] {
  const out: ClockCrossing[] = []
  for (const c of clocks) {
    for (const [i, p] of c.periods.entries()) {
      const last = i === c.periods.length - 1
      const end = last ? (c.stoppedAt ?? now) : (p.end as number)
      const seen = new Set(c.crossings[p.dueAt] ?? [])
      for (const w of c.warnBeforeMs) {
        const at = p.dueAt - w
        if (at >= p.start && at <= end && !seen.has(w))
          out.push({type: 'clock_warned', at, data: {name: c.name, remainingMs: w, dueAt: p.dueAt}})
      }

      if (p.dueAt < end && !seen.has(-1))
        out.push({type: 'clock_breached', at: p.dueAt, data: {name: c.name, dueAt: p.dueAt}})
    }
  }

  return out.sort((a, b) => a.at - b.at)
}

/** clock_started event for a definition; `source` says what started it (a step, or by hand). */
export function clockStartEvent(def: ClockDef, startedAt: number, source: string): NewEvent {
  const dueAt = dueAtOf(def, startedAt)
  return {
    type: 'clock_started',
    occurredAt: startedAt,
    data: {
      name: def.name,
      to: def.to,
      basis: def.basis,
      citation: def.source,
      durationMs: def.durationMs,
      businessDays: def.businessDays,
      dueAt,
      warnBeforeMs: warnPoints(def, startedAt, dueAt),
      source,
      startsFrom: def.startsFrom ?? 'declared',
      ...(def.compression === undefined
        ? {}
        : {compression: def.compression, realDurationMs: def.realDurationMs ?? def.durationMs}),
    },
  }
}

/** clock_stopped event. */
export function clockStopEvent(
  name: string,
  outcome: StopOutcome,
  reason: string | undefined,
  at: number,
  dueAt: number,
): NewEvent {
  return {type: 'clock_stopped', occurredAt: at, data: {name, outcome, reason, dueAt}}
}

/** clock_restarted event: a new due time measured from `at`. */
export function clockRestartEvent(c: ClockState, at: number, reason?: string): NewEvent {
  return {
    type: 'clock_restarted',
    occurredAt: at,
    data: {name: c.name, dueAt: dueAtOf(c, at), previousDueAt: c.dueAt, reason},
  }
}

/** clock_adjusted event: corrects a start or stop; the original event stays on the timeline. */
export function clockAdjustEvent(c: ClockState, field: 'start' | 'stop', to: number, reason: string): NewEvent {
  const from = field === 'start' ? c.startedAt : (c.stoppedAt as number)
  return {
    type: 'clock_adjusted',
    data: {name: c.name, field, from, to, reason, ...(field === 'start' ? {dueAt: dueAtOf(c, to)} : {})},
  }
}

/** A clock in a view: epoch ms. */
export interface ClockSummary {
  name: string
  to?: string
  basis?: string
  startedAt: number
  dueAt: number
  stoppedAt?: number
  outcome: ClockOutcome
  reason?: string
}

export function clockSummary(c: ClockState, now: number): ClockSummary {
  return {
    name: c.name,
    to: c.to,
    basis: c.basis,
    startedAt: c.startedAt,
    dueAt: c.dueAt,
    stoppedAt: c.stoppedAt,
    outcome: clockOutcome(c, now),
    reason: c.stopReason,
  }
}

export function clockSummaries(events: readonly TimelineEvent[], now: number): ClockSummary[] {
  return [...clocksFromEvents(events).values()].map((c) => clockSummary(c, now))
}

/** A clock in JSON output: ISO 8601 UTC times (ms precision), null where there is none. */
export interface ClockJson {
  name: string
  to: string | null
  startedAt: string
  dueAt: string
  stoppedAt: string | null
  outcome: ClockOutcome
  reason: string | null
}

export function clockJson(c: ClockState, now: number): ClockJson {
  const iso = (t: number) => new Date(t).toISOString()
  return {
    name: c.name,
    to: c.to ?? null,
    startedAt: iso(c.startedAt),
    dueAt: iso(c.dueAt),
    stoppedAt: c.stoppedAt === undefined ? null : iso(c.stoppedAt),
    outcome: clockOutcome(c, now),
    reason: c.stopReason ?? null,
  }
}

export function clocksJson(events: readonly TimelineEvent[], now: number): ClockJson[] {
  return [...clocksFromEvents(events).values()].map((c) => clockJson(c, now))
}

/**
 * The instant a clock starts from, as a responder gives it: `now`, an ISO 8601 time with a zone (Z or ±hh:mm),
 * or a duration ago (`3h ago`, `PT80H ago`). Returns a message when it is not one, or is in the future.
 */
export function parseClockTime(text: string, now: number): number | string {
  const t = text.trim()
  if (t === '' || /^now$/i.test(t)) return now
  const ago = /^(.+?)\s+ago$/i.exec(t)
  if (ago) {
    const ms = parseIsoDuration(ago[1].toUpperCase()) ?? parseDuration(ago[1])
    return ms === undefined ? `"${ago[1]}" is not a duration (e.g. 3h, 2d, PT80H)` : now - ms
  }

  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(t))
    return 'expected an ISO 8601 time with a zone (2026-05-06T07:40:00Z), "now", or a duration ago ("3h ago")'
  const at = Date.parse(t)
  if (Number.isNaN(at)) return `"${t}" is not a valid time`
  if (at > now + 60_000) return `${new Date(at).toISOString()} is in the future`
  return at
}

/** The outcome word with what it means in time, as plain text: `running, 5h left`, `late by 3h`, `not_required`. */
export function clockOutcomeText(c: ClockState, now: number): string {
  const outcome = clockOutcome(c, now)
  switch (outcome) {
    case 'running': {
      return `running, ${formatDuration(c.dueAt - now)} left`
    }

    case 'overdue': {
      return `overdue by ${formatDuration(now - c.dueAt)}`
    }

    case 'late': {
      const stopped = c.stoppedAt as number
      const updates = lateUpdates(c)
      return [
        'late',
        stopped > c.dueAt ? `by ${formatDuration(stopped - c.dueAt)}` : '',
        updates > 0 ? `(${updates} update${updates === 1 ? '' : 's'} after the due time)` : '',
      ]
        .filter(Boolean)
        .join(' ')
    }

    default: {
      return outcome
    }
  }
}

/** The reasoning and corrections of a clock, as plain text sentences (empty when there are none). */
export function clockNotesText(c: ClockState): string[] {
  const iso = (t: number) =>
    new Date(t)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d{3}Z$/, 'Z')
  const out: string[] = []
  if (c.stopReason) out.push(`${c.outcome === 'not_required' ? 'Reasoning' : 'Stopped'}: ${c.stopReason}`)
  for (const a of c.adjustments)
    out.push(
      `${a.field === 'start' ? 'Start' : 'Stop'} corrected from ${iso(a.from)} to ${iso(a.to)} by ${a.actor} (recorded ${iso(a.recordedAt)}): ${a.reason}`,
    )
  if (c.periods.length > 1)
    out.push(
      `Restarted ${c.periods.length - 1} time${c.periods.length === 2 ? '' : 's'}${lateUpdates(c) > 0 ? `, ${lateUpdates(c)} after the due time` : ', each before the due time'}`,
    )
  return out
}
