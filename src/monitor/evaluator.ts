import type {Status} from '../types.js'

/**
 * Per-check state machine. Pure: takes the stored state and one result, returns the next state and what
 * should be announced. Alerting is reconciled rather than edge-triggered: `alerted` records what the
 * notifiers were last told, so a restart (state read back from the store) resolves an alert raised before
 * it and never raises it twice.
 */

/** pending: no verdict yet; degraded: warn results; failing: crit/unknown results past the threshold. */
export type CheckState = 'pending' | 'ok' | 'degraded' | 'failing'

export interface Thresholds {
  failure: number
  recovery: number
}

export interface FlappingPolicy {
  /** State changes within the window that mark the check flapping; 0 turns detection off. */
  changes: number
  windowMs: number
}

export const DEFAULT_THRESHOLDS: Thresholds = {failure: 3, recovery: 2}
export const DEFAULT_FLAPPING: FlappingPolicy = {changes: 5, windowMs: 30 * 60_000}

export interface MonitorState {
  checkId: string
  state: CheckState
  /** When the current state began (epoch ms). */
  since: number
  /** Consecutive crit/unknown results. */
  badStreak: number
  /** Consecutive warn-or-worse results. */
  notOkStreak: number
  /** Consecutive ok results. */
  okStreak: number
  /** Consecutive ok-or-warn results. */
  passStreak: number
  /** When the current run of failed results began (for `incident.after: 5m`). */
  badSince: number | null
  lastStatus: Status | null
  lastResultId: number | null
  lastTs: number | null
  /** The state the notifiers were last told about: failing, degraded, or null (all clear). */
  alerted: 'failing' | 'degraded' | null
  /** When the last failing/degraded notification went out (for reminders). */
  alertedAt: number | null
  flapping: boolean
  /** Times of recent state changes, oldest first, within the flapping window. */
  changes: number[]
}

export function initialState(checkId: string, now: number): MonitorState {
  return {
    checkId,
    state: 'pending',
    since: now,
    badStreak: 0,
    notOkStreak: 0,
    okStreak: 0,
    passStreak: 0,
    badSince: null,
    lastStatus: null,
    lastResultId: null,
    lastTs: null,
    alerted: null,
    alertedAt: null,
    flapping: false,
    changes: [],
  }
}

export type MonitorEventKind = 'failing' | 'degraded' | 'recovered' | 'reminder' | 'flapping' | 'stable'

export interface MonitorEvent {
  kind: MonitorEventKind
  checkId: string
  state: CheckState
  previous: CheckState
  at: number
  resultId: number | null
  /** One line for people. */
  message: string
}

export interface EvaluationInput {
  status: Status
  ts: number
  resultId: number | null
  summary: string
}

export interface EvaluationPolicy {
  thresholds: Thresholds
  flapping: FlappingPolicy
  /** In a maintenance window: the state moves, nothing new is announced (an all-clear still is). */
  suppressed: boolean
  /** Re-announce a failing state this often (undefined: never). */
  remindEveryMs?: number
}

export interface Evaluation {
  state: MonitorState
  /** The state changed with this result. */
  changed: boolean
  events: MonitorEvent[]
}

const bad = (s: Status) => s === 'crit' || s === 'unknown'

function nextState(st: MonitorState, status: Status, t: Thresholds): CheckState {
  const cur = st.state
  if (cur === 'pending') {
    if (status === 'ok') return 'ok'
    if (st.badStreak >= t.failure) return 'failing'
    if (st.notOkStreak >= t.failure) return 'degraded'
    return 'pending'
  }

  if (cur === 'failing') {
    if (st.passStreak >= t.recovery) return st.okStreak >= t.recovery ? 'ok' : 'degraded'
    return 'failing'
  }

  if (st.badStreak >= t.failure) return 'failing'
  if (cur === 'ok' && st.notOkStreak >= t.failure) return 'degraded'
  if (cur === 'degraded' && st.okStreak >= t.recovery) return 'ok'
  return cur
}

/** Applies one result to a check's state. */
export function evaluate(prev: MonitorState, input: EvaluationInput, policy: EvaluationPolicy): Evaluation {
  const st: MonitorState = {...prev, changes: [...prev.changes]}
  const s = input.status
  st.badStreak = bad(s) ? st.badStreak + 1 : 0
  st.notOkStreak = s === 'ok' ? 0 : st.notOkStreak + 1
  st.okStreak = s === 'ok' ? st.okStreak + 1 : 0
  st.passStreak = bad(s) ? 0 : st.passStreak + 1
  st.badSince = bad(s) ? (st.badSince ?? input.ts) : null
  st.lastStatus = s
  st.lastResultId = input.resultId
  st.lastTs = input.ts

  const previous = st.state
  const next = nextState(st, s, policy.thresholds)
  const changed = next !== previous
  if (changed) {
    st.state = next
    st.since = input.ts
    if (previous !== 'pending') st.changes.push(input.ts)
  }

  const events: MonitorEvent[] = []
  const ev = (kind: MonitorEventKind, message: string) =>
    events.push({kind, checkId: st.checkId, state: st.state, previous, at: input.ts, resultId: input.resultId, message})

  // Flapping: too many changes in the window holds notifications until the state has been steady a window long.
  const f = policy.flapping
  st.changes = st.changes.filter((t) => t > input.ts - f.windowMs)
  if (f.changes > 0 && !st.flapping && st.changes.length >= f.changes) {
    st.flapping = true
    ev(
      'flapping',
      `${st.changes.length} state changes in ${Math.round(f.windowMs / 60_000)} min; notifications held until it settles (now ${st.state})`,
    )
  } else if (st.flapping && (f.changes === 0 || st.changes.length === 0)) {
    st.flapping = false
    ev('stable', `stopped flapping; ${st.state} for ${Math.round((input.ts - st.since) / 60_000)} min`)
  }

  if (!st.flapping) reconcile(st, input, policy, ev)
  return {state: st, changed, events}
}

/** Brings what was announced in line with the state: raise, resolve, or remind. */
function reconcile(
  st: MonitorState,
  input: EvaluationInput,
  policy: EvaluationPolicy,
  ev: (kind: MonitorEventKind, message: string) => void,
): void {
  const wanted = st.state === 'failing' || st.state === 'degraded' ? st.state : null
  if (wanted === st.alerted) {
    if (
      wanted === 'failing' &&
      policy.remindEveryMs &&
      !policy.suppressed &&
      st.alertedAt !== null &&
      input.ts - st.alertedAt >= policy.remindEveryMs
    ) {
      st.alertedAt = input.ts
      ev('reminder', `still failing since ${new Date(st.since).toISOString()}: ${input.summary}`)
    }

    return
  }

  if (wanted === null) {
    // An all-clear is sent even in maintenance: it closes an alert raised before the window.
    if (st.state === 'ok') {
      const was = st.alerted
      st.alerted = null
      st.alertedAt = null
      ev('recovered', `recovered (was ${was}): ${input.summary}`)
    }

    return
  }

  if (policy.suppressed) return
  st.alerted = wanted
  st.alertedAt = input.ts
  ev(
    wanted,
    wanted === 'failing'
      ? `failing after ${st.badStreak} failed result${st.badStreak === 1 ? '' : 's'}: ${input.summary}`
      : `degraded (warn): ${input.summary}`,
  )
}
