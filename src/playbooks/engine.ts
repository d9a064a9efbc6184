/**
 * The playbook engine. Pure: it knows no terminal and no database. Its whole state is the incident's timeline
 * events (reduceWalk); each answer becomes events appended at once, so a walk can stop at any prompt and
 * resume exactly there, parallel branches and loop iterations included.
 */
import {type NewEvent, sha256Hex, type TimelineEvent} from '../incidents/chain.js'
import {asksStartTime, type ClockDef, clockRestartEvent, clocksFromEvents, clockStartEvent, clockStopEvent, notInForce, parseClockTime} from '../incidents/clocks.js'
import {parseIsoDuration} from '../incidents/time.js'
import {assessmentEvents, assessmentMove, nextAfter} from './assessment.js'
import {test} from './expr.js'
import {asList, clockStops, type Playbook, referencesFor, type Step, type Value, type VariableDef} from './model.js'
import type {ConfirmPrompt, PromptContext, Responder} from './responder.js'
import {WalkStop} from './responder.js'
import {utf8Prefix} from './run-command.js'
import {type CheckTarget, prefillFromCheck} from './check-facts.js'

/** Event types the engine writes and reads back. */
export const WALK_EVENT_TYPES = new Set(['walk_started', 'step_started', 'checklist_ticked', 'variable_recorded', 'decision_taken',
  'command_started', 'command_run', 'command_declined', 'wait_started', 'wait_finished', 'branches_started', 'loop_iteration',
  'loop_exited', 'subplaybook_started', 'step_completed', 'walk_completed', 'assessment_recorded'])

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

function qualified(flow: Pick<Flow, 'pb'>, step: string): string {
  return [...flow.pb, step].join('/')
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

/** Replays the walk events of a timeline into the walk's state. */
export function reduceWalk(playbook: Playbook, events: readonly TimelineEvent[]): WalkState {
  const s: WalkState = {started: false, ended: false, flows: new Map(), vars: {}, invCount: 0, occurrences: new Map(), lastSeq: 0, fromCheck: new Set()}
  defaults(playbook, s.vars)
  const newFlow = (id: string, pb: string[], at: string, stops: string[], parent?: string) =>
    s.flows.set(id, {id, pb, at, stops, parent, done: false, ticked: new Set(), recorded: new Set(), children: [], iteration: 0})
  for (const e of events) {
    if (!WALK_EVENT_TYPES.has(e.type)) continue
    s.lastSeq = e.seq
    const d = e.data as Record<string, any>
    const f = d.flow === undefined ? undefined : s.flows.get(String(d.flow))
    switch (e.type) {
      case 'walk_started':
        s.started = true
        newFlow('main', [], String(d.step), [])
        break
      case 'step_started':
        if (f) {
          f.inv = Number(d.inv)
          f.ticked = new Set()
          f.recorded = new Set()
          f.children = []
          f.iteration = 0
          f.commandStartedAt = undefined
          f.waitUntil = undefined
          s.invCount = Math.max(s.invCount, f.inv)
          const q = qualified(f, String(d.step))
          s.occurrences.set(q, (s.occurrences.get(q) ?? 0) + 1)
        }
        break
      case 'checklist_ticked': f?.ticked.add(Number(d.item)); break
      case 'variable_recorded':
        s.vars[String(d.name)] = d.value as Value
        if (d.from === 'check') s.fromCheck.add(String(d.name))
        else s.fromCheck.delete(String(d.name))
        f?.recorded.add(String(d.name))
        break
      case 'command_started': if (f) f.commandStartedAt = e.occurredAt; break
      case 'command_run': case 'command_declined': if (f) f.commandStartedAt = undefined; break
      case 'wait_started': if (f) f.waitUntil = Number(d.until); break
      case 'branches_started':
        for (const b of d.branches as {flow: string; at: string}[]) {
          newFlow(b.flow, f?.pb ?? [], b.at, d.stops[b.flow] as string[], f?.id)
          f?.children.push(b.flow)
        }
        break
      case 'loop_iteration':
        if (f) {
          newFlow(String(d.child), f.pb, String(d.at), d.stops as string[], f.id)
          f.children = [String(d.child)]
          f.iteration = Number(d.iteration)
        }
        break
      case 'subplaybook_started':
        if (f) {
          newFlow(String(d.child), [...f.pb, String(d.playbook)], String(d.at), [], f.id)
          f.children = [String(d.child)]
        }
        break
      case 'step_completed':
        if (f) {
          f.inv = undefined
          f.at = d.next === null || d.next === undefined ? null : String(d.next)
          if (f.at === null) f.done = true
        }
        break
      case 'walk_completed': s.ended = true; break
    }
  }
  return s
}

/** Flows waiting for a person or for the engine (not done, not blocked on unfinished children). */
export function actionableFlows(state: WalkState): Flow[] {
  return [...state.flows.values()].filter((f) => !f.done && f.at !== null &&
    !(f.inv !== undefined && f.children.length > 0 && f.children.some((c) => !state.flows.get(c)?.done)))
}

/** The steps a walk is at, qualified, for display (empty when no walk has started). */
export function walkPosition(playbook: Playbook, events: readonly TimelineEvent[]): string[] {
  const s = reduceWalk(playbook, events)
  if (!s.started) return []
  if (s.ended) return ['(ended)']
  return actionableFlows(s).map((f) => qualified(f, f.at as string))
}

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
export class WalkConflict extends Error {
  constructor() {
    super('the walk changed while waiting for an answer')
    this.name = 'WalkConflict'
  }
}

export interface WalkResult {
  status: 'ended' | 'stopped'
  /** Where it stopped (qualified step ids) and why. */
  at: string[]
  reason?: string
  conflicts: number
}

const OUTPUT_KEEP = 8192
const DEFAULT_COMMAND_TIMEOUT = 10 * 60_000

/** Coerces an answer to a variable's type. */
export function coerce(def: VariableDef | undefined, answer: string): {ok: true; value: Value} | {ok: false; message: string} {
  const text = answer.trim()
  if (def?.values && !def.values.includes(text)) return {ok: false, message: `expected one of ${def.values.join(', ')}`}
  switch (def?.type) {
    case 'bool':
      if (/^(y|yes|true)$/i.test(text)) return {ok: true, value: true}
      if (/^(n|no|false)$/i.test(text)) return {ok: true, value: false}
      return {ok: false, message: 'expected yes or no'}
    case 'integer':
      return /^-?\d+$/.test(text) ? {ok: true, value: Number(text)} : {ok: false, message: 'expected a whole number'}
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? {ok: true, value: Number(text)} : {ok: false, message: 'expected a number'}
    default:
      return {ok: true, value: text}
  }
}

/** `${name}` in a command argument, from the walk's variables; unset ones stay empty. */
export function interpolate(arg: string, vars: Record<string, Value>): string {
  return arg.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, n: string) => (vars[n] === undefined ? '' : String(vars[n])))
}

/** Runs (or resumes) a walk until it ends or the responder stops. */
export async function runWalk(deps: EngineDeps): Promise<WalkResult> {
  let conflicts = 0
  const initial = deps.events().length
  for (;;) {
    const events = deps.events()
    const state = reduceWalk(deps.playbook, events)
    try {
      const outcome = await advance(deps, state, events)
      if (outcome === 'ended') return {status: 'ended', at: [], conflicts}
    } catch (error) {
      if (error instanceof WalkConflict) {
        conflicts++
        continue
      }
      if (error instanceof WalkStop) {
        // Once the preferred step is done, moves that need nobody (an end, a join, a decision) still happen.
        if (error.reason === 'other-step' && deps.prefer && deps.events().length > initial) {
          deps = {...deps, prefer: undefined}
          continue
        }
        const now = reduceWalk(deps.playbook, deps.events())
        return {status: 'stopped', at: actionableFlows(now).map((f) => qualified(f, f.at as string)), reason: error.message, conflicts}
      }
      throw error
    }
  }
}

/** Does one thing (one prompt, or one automatic move) and appends its events. */
async function advance(deps: EngineDeps, state: WalkState, events: readonly TimelineEvent[]): Promise<'ended' | 'more'> {
  const {playbook} = deps
  let based = state.lastSeq
  const append = (list: NewEvent[], force = false) => {
    based = deps.append(list, force ? null : based)
  }
  if (!state.started) {
    append([{type: 'walk_started', data: {flow: 'main', step: playbook.start ?? playbook.steps[0].id, playbook: playbook.id}},
      ...(deps.check ? prefillFromCheck(playbook, deps.check) : [])])
    return 'more'
  }
  if (state.ended) return 'ended'
  const open = actionableFlows(state)
  if (open.length === 0) {
    append([{type: 'walk_completed', data: {}}])
    return 'more'
  }
  const preferred = deps.prefer ? open.find((f) => qualified(f, f.at as string) === deps.prefer || f.at === deps.prefer) : undefined
  if (deps.prefer && !preferred) {
    throw new WalkStop(`step ${deps.prefer} is not open; the walk is at ${open.map((f) => qualified(f, f.at as string)).join(', ')}`, 'other-step')
  }
  const flow = preferred ?? open[0]
  const pb = playbookAt(playbook, flow.pb)
  const steps = pb.steps
  const index = steps.findIndex((s) => s.id === flow.at)
  const step = steps[index]
  if (!step) throw new Error(`step ${flow.at} is not in playbook ${pb.id}`)
  const implicit = steps[index + 1]?.id
  const now = deps.now()
  const clocks = clocksFromEvents(events)
  const base = {flow: flow.id, inv: flow.inv, step: qualified(flow, step.id)}
  const nextOr = (to: string | undefined): string | null => (to === undefined || flow.stops.includes(to) ? null : to)
  // Clocks this step starts that are defined and in force; those whose start is asked for wait for the answer.
  const toStart = asList(step.starts_clock).map((c) => deps.clockDefs.get(c)).filter((d): d is ClockDef => d !== undefined && !clocks.has(d.name) && !notInForce(d, now))

  if (flow.inv === undefined) {
    const inv = state.invCount + 1
    const started: NewEvent[] = [{type: 'step_started', data: {flow: flow.id, inv, step: qualified(flow, step.id), type: step.type, name: step.name, owner: step.owner}}]
    for (const def of toStart) if (!asksStartTime(def)) started.push(clockStartEvent(def, now, `step ${qualified(flow, step.id)}`))
    append(started)
    return 'more'
  }

  const roleDef = step.owner ? pb.roles[step.owner] ?? playbook.roles[step.owner] : undefined
  const ctx: PromptContext = {
    step: base.step, localStep: step.id, def: step, inv: flow.inv, occurrence: state.occurrences.get(base.step) ?? 1, flow: flow.id,
    owner: step.owner ? {role: step.owner, name: roleDef?.name ?? step.owner, person: deps.roles()[step.owner]} : undefined,
    clocks: [...clocks.values()], now, references: referencesFor(step.references, state.vars.org_type),
  }
  // Clock stops and restarts happen as the step completes; a not_required stop carries the step's answers as its
  // reasoning, or asks for one when the step records none.
  const complete = async (next: string | null, extra: NewEvent[] = []): Promise<NewEvent[]> => {
    const own = [...asList(step.ask), ...(step.record ?? [])].filter((v) => flow.recorded.has(v) && String(state.vars[v] ?? '').trim() !== '')
    const answers = own.map((v) => `${v}: ${String(state.vars[v])}`).join('; ')
    const clockEvents: NewEvent[] = []
    for (const c of asList(step.restarts_clock)) {
      const running = clocks.get(c)
      if (running && running.stoppedAt === undefined) clockEvents.push(clockRestartEvent(running, now, `step ${base.step}`))
    }
    let asked: string | undefined
    for (const {name, outcome} of clockStops(step)) {
      const running = clocks.get(name)
      if (!running || running.stoppedAt !== undefined) continue
      let reason = `step ${base.step}${answers ? ` (${answers})` : ''}`
      if (outcome === 'not_required') {
        if (!answers) {
          asked ??= (await deps.responder.ask({...ctx, variable: 'reason', type: 'string',
            description: `Why is notifying not required (${clockStops(step).filter((x) => x.outcome === 'not_required').map((x) => x.name).join(', ')})? Recorded as the reasoning.`,
            validate: (a) => (a.trim() === '' ? 'the reasoning is required' : undefined)})).trim()
          if (asked === '') throw new WalkStop(`no reasoning given for not_required at step ${base.step}`, 'no-answer')
        }
        reason = answers || (asked as string)
      }
      clockEvents.push(clockStopEvent(name, outcome, reason, asked === undefined ? now : deps.now(), running.dueAt))
    }
    const done: NewEvent[] = [...extra, ...clockEvents, {type: 'step_completed', data: {...base, next}}]
    if (next === null && step.type === 'end' && flow.id === 'main') done.push({type: 'walk_completed', data: {}})
    return done
  }
  // The time a clock starts from (became aware, alert issued), asked once per kind; default now.
  const timed = toStart.filter((d) => asksStartTime(d))
  if (timed.length > 0) {
    const kind = timed[0].startsFrom as string
    const group = timed.filter((d) => d.startsFrom === kind)
    const what = kind === 'aware' ? 'did the organisation become aware' : 'was it issued'
    const answer = await deps.responder.ask({...ctx, variable: `${kind}_at`, type: 'string', default: 'now', acceptDefault: true,
      description: `When ${what}? Starts ${group.map((d) => d.name).join(', ')} (ISO 8601 time with a zone, "now", or e.g. "3h ago")`,
      validate: (a) => {
        const t = parseClockTime(a, deps.now())
        return typeof t === 'string' ? t : undefined
      }})
    const at = parseClockTime(answer, deps.now())
    if (typeof at === 'string') throw new WalkStop(`answer "${answer}" for ${kind}_at at step ${base.step}: ${at}`, 'no-answer')
    append(group.map((d) => clockStartEvent(d, at, `step ${base.step}`)))
    return 'more'
  }
  const askNext = async (): Promise<boolean> => {
    const wanted = [...asList(step.ask), ...(step.record ?? [])].find((v) => !flow.recorded.has(v))
    if (!wanted) return false
    const def = pb.variables[wanted] ?? playbook.variables[wanted]
    let answer: string
    if (def?.values || def?.type === 'bool') {
      const choices = def.values ?? ['yes', 'no']
      answer = await deps.responder.choose({...ctx, variable: wanted, message: def.description ?? wanted, choices: choices.map((c) => ({value: c}))})
    } else {
      answer = await deps.responder.ask({...ctx, variable: wanted, type: def?.type ?? 'string', description: def?.description,
        default: state.vars[wanted] === undefined ? undefined : String(state.vars[wanted]), ...(state.fromCheck.has(wanted) ? {acceptDefault: true} : {}),
        validate: (a) => {
          const r = coerce(def, a)
          return r.ok ? undefined : r.message
        }})
    }
    const value = coerce(def, answer)
    if (!value.ok) throw new WalkStop(`answer "${answer}" for ${wanted} at step ${base.step}: ${value.message}`, 'no-answer')
    append([{type: 'variable_recorded', data: {...base, name: wanted, value: value.value}}])
    return true
  }

  switch (step.type) {
    case 'manual': {
      const items = step.checklist ?? []
      const item = items.findIndex((_, i) => !flow.ticked.has(i))
      if (item >= 0) {
        const done = await deps.responder.tick({...ctx, item, text: interpolate(items[item], state.vars), of: items.length})
        append([{type: 'checklist_ticked', data: {...base, item, text: interpolate(items[item], state.vars), done}}])
        return 'more'
      }
      if (await askNext()) return 'more'
      append(await complete(nextOr(step.next ?? implicit)))
      return 'more'
    }
    case 'decision': {
      if (await askNext()) return 'more'
      if (step.cases) {
        const variable = asList(step.ask)[0]
        const value = state.vars[variable]
        const key = value === true ? 'yes' : value === false ? 'no' : String(value)
        const target = step.cases[key] ?? step.cases[String(value)] ?? step.default ?? step.next ?? implicit
        append(await complete(nextOr(target), [{type: 'decision_taken', data: {...base, variable, value, next: target ?? null}}]))
      } else {
        const result = test(step.if as string, state.vars)
        const target = result ? step.then : step.else
        append(await complete(nextOr(target), [{type: 'decision_taken', data: {...base, condition: step.if, result, next: target ?? null}}]))
      }
      return 'more'
    }
    case 'command': {
      if (await askNext()) return 'more'
      const argv = step.argv.map((a) => interpolate(a, state.vars))
      if (deps.exercise && step.exercise_safe !== true) {
        // An exercise never runs a command against the real estate unless the playbook says it is safe to.
        append(await complete(nextOr(step.on_failure ?? step.next ?? implicit), [{type: 'command_declined', data: {...base, argv, reason: 'exercise: the step is not marked exercise_safe'}}]))
        return 'more'
      }
      const prompt: ConfirmPrompt = {...ctx, message: `Run ${argv.map(quoteArg).join(' ')} ?`, command: argv,
        ...(flow.commandStartedAt === undefined ? {} : {interruptedAt: flow.commandStartedAt})}
      const yes = await deps.responder.confirm(prompt)
      if (!yes) {
        append(await complete(nextOr(step.on_failure ?? step.next ?? implicit), [{type: 'command_declined', data: {...base, argv}}]))
        return 'more'
      }
      append([{type: 'command_started', data: {...base, argv}}])
      const timeoutMs = step.timeout ? parseIsoDuration(step.timeout) ?? DEFAULT_COMMAND_TIMEOUT : DEFAULT_COMMAND_TIMEOUT
      const out = await deps.runCommand(argv, {timeoutMs})
      const kept = utf8Prefix(out.output, OUTPUT_KEEP)
      const ran: NewEvent = {type: 'command_run', data: {...base, argv, exitCode: out.exitCode, signal: out.signal ?? undefined, timedOut: out.timedOut,
        durationMs: Math.round(out.durationMs), outputSha256: sha256Hex(out.output), outputBytes: out.output.length,
        output: kept.toString('utf8'), outputKeptBytes: kept.length, outputTruncated: out.output.length > kept.length, error: out.error}}
      const extra: NewEvent[] = [ran]
      if (step.exit_code_to) extra.push({type: 'variable_recorded', data: {...base, name: step.exit_code_to, value: out.exitCode ?? -1}})
      const ok = out.exitCode === 0 && !out.timedOut
      append(await complete(nextOr(ok ? step.on_success ?? step.next ?? implicit : step.on_failure ?? step.next ?? implicit), extra), true)
      await deps.responder.commandRan?.({...ctx, data: ran.data})
      return 'more'
    }
    case 'wait': {
      if (flow.waitUntil === undefined) {
        append([{type: 'wait_started', data: {...base, until: now + (parseIsoDuration(step.duration) ?? 0)}}])
        return 'more'
      }
      if (now >= flow.waitUntil) {
        append(await complete(nextOr(step.next ?? implicit), [{type: 'wait_finished', data: {...base, early: false}}]))
        return 'more'
      }
      const choice = await deps.responder.choose({...ctx, message: `Timer runs until ${new Date(flow.waitUntil).toISOString()}`,
        choices: [{value: 'continue', name: 'Continue now'}, {value: 'stop', name: 'Stop here and come back later'}]})
      if (choice !== 'continue') throw new WalkStop(`waiting at ${base.step} until ${new Date(flow.waitUntil).toISOString()}`, 'quit')
      append(await complete(nextOr(step.next ?? implicit), [{type: 'wait_finished', data: {...base, early: true}}]))
      return 'more'
    }
    case 'parallel': {
      if (flow.children.length === 0) {
        const branches = step.branches.map((at, i) => ({flow: `${flow.id}>${step.id}#${flow.inv}.${i}`, at}))
        const stops: Record<string, string[]> = {}
        for (const b of branches) stops[b.flow] = [step.join, ...step.branches.filter((x) => x !== b.at)]
        append([{type: 'branches_started', data: {...base, branches, stops}}])
        return 'more'
      }
      append(await complete(nextOr(step.join)))
      return 'more'
    }
    case 'loop': {
      const holds = test(step.while, state.vars)
      if (holds && flow.iteration < step.max_iterations) {
        const iteration = flow.iteration + 1
        append([{type: 'loop_iteration', data: {...base, iteration, condition: step.while, child: `${flow.id}>${step.id}#${flow.inv}.${iteration}`, at: step.do, stops: [step.id, step.then]}}])
      } else {
        append(await complete(nextOr(step.then), [{type: 'loop_exited', data: {...base, iterations: flow.iteration, reason: holds ? 'max_iterations' : 'condition'}}]))
      }
      return 'more'
    }
    case 'playbook': {
      if (flow.children.length === 0) {
        const sub = pb.subs[step.playbook]
        append([{type: 'subplaybook_started', data: {...base, playbook: step.playbook, id: sub.id, child: `${flow.id}>${step.id}#${flow.inv}`, at: sub.start ?? sub.steps[0].id}}])
        return 'more'
      }
      append(await complete(nextOr(step.next ?? implicit)))
      return 'more'
    }
    case 'end':
      append(await complete(null))
      return 'more'
    case 'assessment': {
      if (await askNext()) return 'more'
      const move = await assessmentMove(step, {ctx, responder: deps.responder, vars: state.vars, recorded: flow.recorded})
      if ('ask' in move) {
        append([{type: 'variable_recorded', data: {...base, name: move.ask.name, value: move.ask.value}}])
        return 'more'
      }
      const target = nextAfter(step, move.result.decision) ?? implicit
      append(await complete(nextOr(target), assessmentEvents(move.result, {base, clocks, now, next: target ?? null})))
      return 'more'
    }
  }
}

/** Shows an argument unambiguously (quoted when it has spaces or quotes). */
export function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`
}
