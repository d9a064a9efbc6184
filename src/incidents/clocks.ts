import type {NewEvent, TimelineEvent} from './chain.js'
import {addBusinessDays} from './time.js'

/** A regulatory (or internal) deadline: declared by a playbook, or one of the built-in ones. */
export interface ClockDef {
  name: string
  /** Who must be told, or what must happen. */
  to?: string
  /** The rule behind the deadline. */
  basis?: string
  /** Continuous time; weekends and bank holidays count. */
  durationMs?: number
  /** England and Wales business days instead of continuous time. */
  businessDays?: number
  /** Warning points, as time remaining before the deadline. */
  warnBeforeMs: number[]
}

const H = 3_600_000

/** Clocks anyone can start by hand without a playbook declaring them. */
export const BUILTIN_CLOCKS: readonly ClockDef[] = [
  {name: 'ico_72h', to: 'ICO (through the DSPT incident reporting tool)', basis: 'UK GDPR Art. 33(1): notify a personal data breach within 72 hours of becoming aware', durationMs: 72 * H, warnBeforeMs: [48 * H, 24 * H, 6 * H]},
  {name: 'nis_72h', to: 'DHSC as NIS competent authority (through the DSPT)', basis: 'NIS Regulations 2018: an incident with significant impact on an essential service, within 72 hours of becoming aware', durationMs: 72 * H, warnBeforeMs: [48 * H, 24 * H, 6 * H]},
  {name: 'nhs_alert_48h', to: 'NHS England (Respond to an NHS cyber alert)', basis: 'High-severity NHS cyber alert: acknowledge and record the response within 48 hours', durationMs: 48 * H, warnBeforeMs: [24 * H, 6 * H]},
  {name: 'pir_5bd', to: 'internal: post-incident review meeting', basis: 'PagerDuty post-mortem practice (not statutory): within 5 business days', businessDays: 5, warnBeforeMs: [24 * H]},
]

export function builtinClock(name: string): ClockDef | undefined {
  return BUILTIN_CLOCKS.find((c) => c.name === name)
}

export function dueAtOf(def: ClockDef, startedAt: number): number {
  if (def.businessDays !== undefined) return addBusinessDays(startedAt, def.businessDays)
  return startedAt + (def.durationMs ?? 0)
}

/** Default warning: when a quarter of the time is left. */
export function warnPoints(def: ClockDef, startedAt: number, dueAt: number): number[] {
  const before = def.warnBeforeMs.length > 0 ? def.warnBeforeMs : [Math.round((dueAt - startedAt) / 4)]
  return [...new Set(before)].filter((b) => b > 0 && b < dueAt - startedAt).sort((a, b) => b - a)
}

/** A clock as the timeline tells it. */
export interface ClockState {
  name: string
  to?: string
  basis?: string
  startedAt: number
  dueAt: number
  /** Warning points (ms before the deadline) and whether each has been recorded. */
  warnBeforeMs: number[]
  warned: number[]
  breachedRecorded: boolean
  stoppedAt?: number
  stopReason?: string
}

export type ClockPhase = 'running' | 'warning' | 'overdue' | 'met' | 'missed'

export function clockPhase(c: ClockState, now: number): ClockPhase {
  if (c.stoppedAt !== undefined) return c.stoppedAt <= c.dueAt ? 'met' : 'missed'
  if (now > c.dueAt) return 'overdue'
  if (c.warnBeforeMs.some((w) => now >= c.dueAt - w)) return 'warning'
  return 'running'
}

/** Clocks from the timeline's clock_* events, in the order they started. */
export function clocksFromEvents(events: readonly TimelineEvent[]): Map<string, ClockState> {
  const clocks = new Map<string, ClockState>()
  for (const e of events) {
    const d = e.data as Record<string, unknown>
    const name = String(d.name ?? '')
    const c = clocks.get(name)
    switch (e.type) {
      case 'clock_started':
        clocks.set(name, {name, to: d.to as string | undefined, basis: d.basis as string | undefined, startedAt: e.occurredAt,
          dueAt: Number(d.dueAt), warnBeforeMs: (d.warnBeforeMs as number[] | undefined) ?? [], warned: [], breachedRecorded: false})
        break
      case 'clock_warned':
        c?.warned.push(Number(d.remainingMs))
        break
      case 'clock_breached':
        if (c) c.breachedRecorded = true
        break
      case 'clock_stopped':
        if (c) {
          c.stoppedAt = e.occurredAt
          c.stopReason = d.reason as string | undefined
        }
        break
    }
  }
  return clocks
}

/** The warning and deadline crossings not yet on the timeline, in time order. */
export function dueClockCrossings(clocks: Iterable<ClockState>, now: number): {type: 'clock_warned' | 'clock_breached'; at: number; data: Record<string, unknown>}[] {
  const out: {type: 'clock_warned' | 'clock_breached'; at: number; data: Record<string, unknown>}[] = []
  for (const c of clocks) {
    const end = c.stoppedAt ?? now
    for (const w of c.warnBeforeMs) {
      const at = c.dueAt - w
      if (at <= end && !c.warned.includes(w)) out.push({type: 'clock_warned', at, data: {name: c.name, remainingMs: w, dueAt: c.dueAt}})
    }
    if (c.dueAt < end && !c.breachedRecorded) out.push({type: 'clock_breached', at: c.dueAt, data: {name: c.name, dueAt: c.dueAt}})
  }
  return out.sort((a, b) => a.at - b.at)
}

/** clock_started event data for a definition. */
export function clockStartEvent(def: ClockDef, startedAt: number, source: string): NewEvent {
  const dueAt = dueAtOf(def, startedAt)
  return {type: 'clock_started', occurredAt: startedAt, data: {name: def.name, to: def.to, basis: def.basis, durationMs: def.durationMs,
    businessDays: def.businessDays, dueAt, warnBeforeMs: warnPoints(def, startedAt, dueAt), source}}
}

