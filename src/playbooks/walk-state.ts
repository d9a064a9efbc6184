/**
 * The state of a walk, replayed from the incident's timeline. The engine keeps no other state: each answer
 * becomes events appended at once, so a walk can stop at any prompt and resume exactly there.
 */
import type {TimelineEvent} from '../incidents/chain.js'
import type {Playbook, Value} from './model.js'
import {stepEvents} from './steps/index.js'
import {coerce, str} from './values.js'

/** Events of the walk itself; each step type adds its own (see steps/). */
const OWN_EVENTS = ['walk_started', 'step_started', 'variable_recorded', 'step_completed', 'walk_completed']

/** Event types the engine writes and reads back. */
export const WALK_EVENT_TYPES: ReadonlySet<string> = new Set([...OWN_EVENTS, ...stepEvents().keys()])

export interface Flow {
  id: string
  /** Sub-playbook path: the `playbook:` references from the root to this flow's playbook. */
  pb: string[]
  at: string | null
  stops: string[]
  parent?: string
  inv?: number
  done: boolean
  ticked: Set<number>
  recorded: Set<string>
  commandStartedAt?: number
  waitUntil?: number
  children: string[]
  iteration: number
}

export interface WalkState {
  started: boolean
  ended: boolean
  flows: Map<string, Flow>
  vars: Record<string, Value>
  invCount: number
  occurrences: Map<string, number>
  /** seq of the last walk event, to detect another responder writing meanwhile. */
  lastSeq: number
  /** Variables whose value so far came from the incident's check. */
  fromCheck: Set<string>
}

export function playbookAt(root: Playbook, pb: readonly string[]): Playbook {
  let p = root
  for (const ref of pb) {
    const sub = p.subs[ref]
    if (!sub) throw new Error(`sub-playbook ${ref} is missing from the stored playbook`)
    p = sub
  }

  return p
}

export function qualified(flow: Pick<Flow, 'pb'>, step: string): string {
  return [...flow.pb, step].join('/')
}

/** The qualified step a flow is at. */
export function flowAt(flow: Flow): string {
  return qualified(flow, flow.at ?? '')
}

function defaults(p: Playbook, into: Record<string, Value>): void {
  for (const [name, def] of Object.entries(p.variables)) {
    if (def.value !== undefined && !(name in into)) {
      const v = coerce(def, String(def.value))
      if (v.ok) into[name] = v.value
    }
  }

  for (const sub of Object.values(p.subs)) defaults(sub, into)
}

function stepStarted(s: WalkState, f: Flow, d: Record<string, unknown>): void {
  f.inv = Number(d.inv)
  f.ticked = new Set()
  f.recorded = new Set()
  f.children = []
  f.iteration = 0
  f.commandStartedAt = undefined
  f.waitUntil = undefined
  s.invCount = Math.max(s.invCount, f.inv)
  const q = qualified(f, str(d.step))
  s.occurrences.set(q, (s.occurrences.get(q) ?? 0) + 1)
}

function variableRecorded(s: WalkState, f: Flow | undefined, d: Record<string, unknown>): void {
  const name = str(d.name)
  // Values are written by the engine from coerced answers: a string, number, boolean, or null for "not known yet".
  s.vars[name] = d.value as Value
  if (d.from === 'check') s.fromCheck.add(name)
  else s.fromCheck.delete(name)
  f?.recorded.add(name)
}

/** Replays the walk events of a timeline into the walk's state. */
export function reduceWalk(playbook: Playbook, events: readonly TimelineEvent[]): WalkState {
  const s: WalkState = {
    started: false,
    ended: false,
    flows: new Map(),
    vars: {},
    invCount: 0,
    occurrences: new Map(),
    lastSeq: 0,
    fromCheck: new Set(),
  }
  defaults(playbook, s.vars)
  const newFlow = (id: string, pb: string[], at: string, stops: string[], parent?: string) =>
    void s.flows.set(id, {
      id,
      pb,
      at,
      stops,
      parent,
      done: false,
      ticked: new Set(),
      recorded: new Set(),
      children: [],
      iteration: 0,
    })
  for (const e of events) {
    if (!WALK_EVENT_TYPES.has(e.type)) continue
    s.lastSeq = e.seq
    const d = e.data
    const f = d.flow === undefined ? undefined : s.flows.get(str(d.flow))
    switch (e.type) {
      case 'walk_started': {
        s.started = true
        newFlow('main', [], str(d.step), [])
        break
      }

      case 'step_started': {
        if (f) stepStarted(s, f, d)
        break
      }

      case 'variable_recorded': {
        variableRecorded(s, f, d)
        break
      }

      case 'step_completed': {
        if (f) {
          f.inv = undefined
          f.at = d.next === null || d.next === undefined ? null : str(d.next)
          if (f.at === null) f.done = true
        }

        break
      }

      case 'walk_completed': {
        s.ended = true
        break
      }

      default: {
        stepEvents().get(e.type)?.reduce?.({state: s, flow: f, data: d, event: e, newFlow})
      }
    }
  }

  return s
}

/** Flows waiting for a person or for the engine (not done, not blocked on unfinished children). */
export function actionableFlows(state: WalkState): Flow[] {
  return [...state.flows.values()].filter(
    (f) => !f.done && f.at !== null && !(f.inv !== undefined && f.children.some((c) => !state.flows.get(c)?.done)),
  )
}

/** The steps a walk is at, qualified, for display (empty when no walk has started). */
export function walkPosition(playbook: Playbook, events: readonly TimelineEvent[]): string[] {
  const s = reduceWalk(playbook, events)
  if (!s.started) return []
  if (s.ended) return ['(ended)']
  return actionableFlows(s).map(flowAt)
}
