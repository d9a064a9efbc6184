/**
 * The playbook engine. Pure: it knows no terminal and no database. Its whole state is the incident's timeline
 * events (walk-state.ts); each answer becomes events appended at once, so a walk can stop at any prompt and
 * resume exactly there, parallel branches and loop iterations included. What happens at a step is its type's
 * (steps/): the engine opens the step, starts its clocks, asks its variables and completes it.
 */
import type {NewEvent, TimelineEvent} from '../incidents/chain.js'
import type {CheckTarget} from './check-facts.js'
import type {PromptContext, Responder, WalkStopCode} from './responder.js'
import type {StepRun} from './steps/types.js'
import {
  asksStartTime,
  type ClockDef,
  clockRestartEvent,
  clocksFromEvents,
  clockStartEvent,
  type ClockState,
  clockStopEvent,
  notInForce,
  parseClockTime,
} from '../incidents/clocks.js'
import {prefillFromCheck} from './check-facts.js'
import {asList, clockStops, type Playbook, referencesFor, type Step} from './model.js'
import {WalkError, WalkStop} from './responder.js'
import {kindOf} from './steps/index.js'
import {coerce} from './values.js'
import {actionableFlows, type Flow, flowAt, playbookAt, qualified, reduceWalk, type WalkState} from './walk-state.js'

export {coerce, interpolate, quoteArg} from './values.js'
export {
  actionableFlows,
  type Flow,
  playbookAt,
  reduceWalk,
  WALK_EVENT_TYPES,
  walkPosition,
  type WalkState,
} from './walk-state.js'

export interface CommandOutcome {
  exitCode: number | null
  signal?: string | null
  timedOut: boolean
  durationMs: number
  /** stdout and stderr as they interleaved. */
  output: Buffer
  error?: string
}

export interface EngineDeps {
  playbook: Playbook
  /** The incident's events, freshly read. */
  events(): TimelineEvent[]
  /**
   * Appends events in one transaction and returns the seq of the last walk event; throws WalkConflict if walk
   * events were written after `basedOnSeq` (null: append whatever happened meanwhile, for facts such as a command's result).
   */
  append(events: NewEvent[], basedOnSeq: number | null): number
  now(): number
  runCommand(argv: string[], opts: {timeoutMs: number}): Promise<CommandOutcome>
  responder: Responder
  clockDefs: Map<string, ClockDef>
  /** Roles assigned on the incident (role → person). */
  roles(): Record<string, string>
  /** Work on this step first when several are open (qualified or local id). */
  prefer?: string
  /** The check the incident came from: variables declared `from_check:` are pre-filled from its target. */
  check?: CheckTarget
  /** An exercise incident: command steps run only when marked exercise_safe. */
  exercise?: boolean
}

/** Another responder wrote to the walk between our read and our write; the engine re-reads and asks again. */
export class WalkConflict extends WalkError {
  constructor() {
    super('the walk changed while waiting for an answer', 'E_WALK_CONFLICT')
    this.name = 'WalkConflict'
  }
}

export interface WalkResult {
  status: 'ended' | 'stopped'
  /** Where it stopped (qualified step ids) and why. */
  at: string[]
  reason?: string
  /** Why it stopped, for callers to decide on. */
  code?: WalkStopCode
  conflicts: number
}

/** Runs (or resumes) a walk until it ends or the responder stops. */
export async function runWalk(deps: EngineDeps): Promise<WalkResult> {
  let conflicts = 0
  const initial = deps.events().length
  for (;;) {
    const events = deps.events()
    const state = reduceWalk(deps.playbook, events)
    try {
      if ((await advance(deps, state, events)) === 'ended') return {status: 'ended', at: [], conflicts}
    } catch (error) {
      if (error instanceof WalkConflict) {
        conflicts++
        continue
      }

      if (!(error instanceof WalkStop)) throw error
      // Once the preferred step is done, moves that need nobody (an end, a join, a decision) still happen.
      if (error.reason === 'other-step' && deps.prefer && deps.events().length > initial) {
        deps = {...deps, prefer: undefined}
        continue
      }

      const now = reduceWalk(deps.playbook, deps.events())
      return {
        status: 'stopped',
        at: actionableFlows(now).map(flowAt),
        reason: error.message,
        code: error.code,
        conflicts,
      }
    }
  }
}

/** The flow to work on: the preferred step's, else the first open one. */
function pickFlow(deps: EngineDeps, open: Flow[]): Flow {
  const preferred = deps.prefer ? open.find((f) => flowAt(f) === deps.prefer || f.at === deps.prefer) : undefined
  if (deps.prefer && !preferred) {
    throw new WalkStop(
      `step ${deps.prefer} is not open; the walk is at ${open.map(flowAt).join(', ')}`,
      'other-step',
      'E_STEP_NOT_OPEN',
    )
  }

  return preferred ?? open[0]
}

/** Does one thing (one prompt, or one automatic move) and appends its events. */
async function advance(
  deps: EngineDeps,
  state: WalkState,
  events: readonly TimelineEvent[],
): Promise<'ended' | 'more'> {
  const {playbook} = deps
  let based = state.lastSeq
  const append = (list: NewEvent[], force = false) => {
    based = deps.append(list, force ? null : based)
  }

  if (!state.started) {
    append([
      {type: 'walk_started', data: {flow: 'main', step: playbook.start ?? playbook.steps[0].id, playbook: playbook.id}},
      ...(deps.check ? prefillFromCheck(playbook, deps.check) : []),
    ])
    return 'more'
  }

  if (state.ended) return 'ended'
  const open = actionableFlows(state)
  if (open.length === 0) {
    append([{type: 'walk_completed', data: {}}])
    return 'more'
  }

  const flow = pickFlow(deps, open)
  const pb = playbookAt(playbook, flow.pb)
  const index = pb.steps.findIndex((s) => s.id === flow.at)
  const step = pb.steps[index]
  if (!step) throw new Error(`step ${flow.at} is not in playbook ${pb.id}`)
  const now = deps.now()
  const clocks = clocksFromEvents(events)
  // Clocks this step starts that are defined and in force; those whose start is asked for wait for the answer.
  const toStart = asList(step.starts_clock)
    .map((c) => deps.clockDefs.get(c))
    .filter((d): d is ClockDef => d !== undefined && !clocks.has(d.name) && !notInForce(d, now))
  if (flow.inv === undefined) {
    append(startStep(flow, step, state.invCount + 1, toStart, now))
    return 'more'
  }

  const run = stepRun({deps, pb, flow, state, step, now, clocks, implicit: pb.steps[index + 1]?.id, append})
  if (
    await askStartTimes(
      run,
      toStart.filter((d) => asksStartTime(d)),
    )
  )
    return 'more'
  await kindOf(step).advance(step, run)
  return 'more'
}

/** step_started, and the step's clocks that start now (not those whose start time is asked for). */
function startStep(flow: Flow, step: Step, inv: number, toStart: ClockDef[], now: number): NewEvent[] {
  const at = qualified(flow, step.id)
  const started: NewEvent[] = [
    {type: 'step_started', data: {flow: flow.id, inv, step: at, type: step.type, name: step.name, owner: step.owner}},
  ]
  for (const def of toStart) if (!asksStartTime(def)) started.push(clockStartEvent(def, now, `step ${at}`))
  return started
}

/** The time a clock starts from (became aware, alert issued), asked once per kind; default now. */
async function askStartTimes(run: StepRun, timed: ClockDef[]): Promise<boolean> {
  if (timed.length === 0) return false
  const {deps, base} = run
  const kind = timed[0].startsFrom ?? 'aware'
  const group = timed.filter((d) => d.startsFrom === kind)
  const what = kind === 'aware' ? 'did the organisation become aware' : 'was it issued'
  const answer = await deps.responder.ask({
    ...run.ctx,
    variable: `${kind}_at`,
    type: 'string',
    default: 'now',
    acceptDefault: true,
    description: `When ${what}? Starts ${group.map((d) => d.name).join(', ')} (ISO 8601 time with a zone, "now", or e.g. "3h ago")`,
    validate(a) {
      const t = parseClockTime(a, deps.now())
      return typeof t === 'string' ? t : undefined
    },
  })
  const at = parseClockTime(answer, deps.now())
  if (typeof at === 'string')
    throw new WalkStop(`answer "${answer}" for ${kind}_at at step ${base.step}: ${at}`, 'no-answer')
  run.append(group.map((d) => clockStartEvent(d, at, `step ${base.step}`)))
  return true
}

interface RunInput {
  deps: EngineDeps
  pb: Playbook
  flow: Flow
  state: WalkState
  step: Step
  now: number
  clocks: Map<string, ClockState>
  implicit: string | undefined
  append(list: NewEvent[], force?: boolean): void
}

/** What a step type works with while its step is open. */
function stepRun(i: RunInput): StepRun {
  const {deps, flow, state, step} = i
  const base = {flow: flow.id, inv: flow.inv, step: qualified(flow, step.id)}
  const roleDef = step.owner ? (i.pb.roles[step.owner] ?? deps.playbook.roles[step.owner]) : undefined
  const ctx: PromptContext = {
    step: base.step,
    localStep: step.id,
    def: step,
    inv: flow.inv ?? 0,
    occurrence: state.occurrences.get(base.step) ?? 1,
    flow: flow.id,
    owner: step.owner
      ? {role: step.owner, name: roleDef?.name ?? step.owner, person: deps.roles()[step.owner]}
      : undefined,
    clocks: [...i.clocks.values()],
    now: i.now,
    references: referencesFor(step.references, state.vars.org_type),
  }
  const run: StepRun = {
    deps,
    pb: i.pb,
    flow,
    state,
    base,
    ctx,
    now: i.now,
    clocks: i.clocks,
    implicit: i.implicit,
    append: i.append,
    nextOr: (to) => (to === undefined || flow.stops.includes(to) ? null : to),
    askNext: () => askNext(run, step),
    finish: async (next, extra = [], force = false) => i.append(await completion(run, step, next, extra), force),
  }
  return run
}

/** Asks the first of the step's ask/record variables not yet answered in this run of it. */
async function askNext(run: StepRun, step: Step): Promise<boolean> {
  const {deps, flow, state, pb} = run
  const wanted = [...asList(step.ask), ...(step.record ?? [])].find((v) => !flow.recorded.has(v))
  if (!wanted) return false
  const def = pb.variables[wanted] ?? deps.playbook.variables[wanted]
  let answer: string
  if (def?.values || def?.type === 'bool') {
    const choices = def.values ?? ['yes', 'no']
    answer = await deps.responder.choose({
      ...run.ctx,
      variable: wanted,
      message: def.description ?? wanted,
      choices: choices.map((c) => ({value: c})),
    })
  } else {
    answer = await deps.responder.ask({
      ...run.ctx,
      variable: wanted,
      type: def?.type ?? 'string',
      description: def?.description,
      default: state.vars[wanted] === undefined ? undefined : String(state.vars[wanted]),
      ...(state.fromCheck.has(wanted) ? {acceptDefault: true} : {}),
      validate(a) {
        const r = coerce(def, a)
        return r.ok ? undefined : r.message
      },
    })
  }

  const value = coerce(def, answer)
  if (!value.ok)
    throw new WalkStop(`answer "${answer}" for ${wanted} at step ${run.base.step}: ${value.message}`, 'no-answer')
  run.append([{type: 'variable_recorded', data: {...run.base, name: wanted, value: value.value}}])
  return true
}

/**
 * The events that complete a step: clock stops and restarts happen as it completes; a not_required stop
 * carries the step's answers as its reasoning, or asks for one when the step records none.
 */
async function completion(run: StepRun, step: Step, next: string | null, extra: NewEvent[]): Promise<NewEvent[]> {
  const {flow, state, clocks, now, base} = run
  const own = [...asList(step.ask), ...(step.record ?? [])].filter(
    (v) => flow.recorded.has(v) && String(state.vars[v] ?? '').trim() !== '',
  )
  const answers = own.map((v) => `${v}: ${String(state.vars[v])}`).join('; ')
  const clockEvents: NewEvent[] = []
  for (const c of asList(step.restarts_clock)) {
    const running = clocks.get(c)
    if (running && running.stoppedAt === undefined)
      clockEvents.push(clockRestartEvent(running, now, `step ${base.step}`))
  }

  let asked: string | undefined
  for (const {name, outcome} of clockStops(step)) {
    const running = clocks.get(name)
    if (!running || running.stoppedAt !== undefined) continue
    let reason = `step ${base.step}${answers ? ` (${answers})` : ''}`
    if (outcome === 'not_required') {
      if (!answers) asked ??= await askReasoning(run, step)
      reason = answers || (asked ?? '')
    }

    clockEvents.push(clockStopEvent(name, outcome, reason, asked === undefined ? now : run.deps.now(), running.dueAt))
  }

  const done: NewEvent[] = [...extra, ...clockEvents, {type: 'step_completed', data: {...base, next}}]
  if (next === null && kindOf(step).ends && flow.id === 'main') done.push({type: 'walk_completed', data: {}})
  return done
}

async function askReasoning(run: StepRun, step: Step): Promise<string> {
  const clocks = clockStops(step)
    .filter((x) => x.outcome === 'not_required')
    .map((x) => x.name)
    .join(', ')
  const asked = (
    await run.deps.responder.ask({
      ...run.ctx,
      variable: 'reason',
      type: 'string',
      description: `Why is notifying not required (${clocks})? Recorded as the reasoning.`,
      validate: (a) => (a.trim() === '' ? 'the reasoning is required' : undefined),
    })
  ).trim()
  if (asked === '') throw new WalkStop(`no reasoning given for not_required at step ${run.base.step}`, 'no-answer')
  return asked
}
