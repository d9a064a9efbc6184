import type {KeyPath} from '../util/yaml-schema.js'
import type {CheckContext} from './steps/types.js'
/**
 * The checks of a playbook the schema cannot express: step ids, roles, variables and clocks that exist,
 * conditions that parse, and the shape of the graph (every step reachable, every flow able to end, loops
 * able to exit). Each step type adds its own checks and edges (steps/).
 */
import {clockDefsFor} from '../incidents/clock-load.js'
import {notInForce} from '../incidents/clocks.js'
import {didYouMean} from '../util/suggest.js'
import {ExprError, parseExpr, variablesOf} from './expr.js'
import {asList, clockStops, type Playbook, type Step} from './model.js'
import {kindOf} from './steps/index.js'

/** Reports a problem at a key path of the playbook file. */
export type Report = (p: KeyPath, message: string, isKey?: boolean) => void

interface Graph {
  p: Playbook
  report: Report
  /** Step id → position in the list (the first, when an id is repeated). */
  index: Map<string, number>
  /** Reports a problem inside step i, naming the step. */
  at(i: number, key: KeyPath, message: string, isKey?: boolean): void
  implicit(i: number): string | undefined
  /** False when a schema error lost an edge: what is reachable is then unknown, so it is not judged. */
  judgeReach: boolean
  /** The flows being walked, by start and stops: a step that opens a flow starting at itself (a repeated id) is walked once. */
  walking: Set<string>
}

/** The successors of a step along each kind of edge, with the key path the edge is written at. */
export function edges(step: Step, implicitNext: string | undefined) {
  return kindOf(step).edges(step, implicitNext)
}

/** Checks the steps of a playbook and its graph; `judgeReach` false skips what needs every edge (reachability, traps). */
export function checkGraph(p: Playbook, report: Report, judgeReach = true): void {
  const index = new Map<string, number>()
  const g: Graph = {
    p,
    report,
    index,
    judgeReach,
    walking: new Set(),
    implicit: (i) => p.steps[i + 1]?.id,
    at: (i, key, message, isKey = false) => report(['steps', i, ...key], `${message} (step ${p.steps[i].id})`, isKey),
  }
  for (const [i, s] of p.steps.entries()) {
    if (index.has(s.id)) g.at(i, ['id'], `duplicate step id "${s.id}" (first at steps[${index.get(s.id)}])`)
    else index.set(s.id, i)
  }

  if (p.start !== undefined && !index.has(p.start)) report(['start'], unknownStep(g, p.start))
  const started = checkSteps(g)
  const reached = new Set<string>()
  const first = p.start ?? p.steps[0]?.id
  if (first) walkFlow(g, reached, first, new Set(), 'main')
  for (const [i, s] of p.steps.entries()) {
    if (!reached.has(s.id) && judgeReach)
      g.at(i, ['id'], `unreachable step "${s.id}": nothing leads here from ${first}`)
  }

  const stopped = new Set(p.steps.flatMap((s) => clockStops(s).map((x) => x.name)))
  for (const [c, i] of started)
    if (!stopped.has(c)) g.at(i, ['starts_clock'], `clock ${c} is started but no step stops it`)
}

function unknownStep(g: Graph, ref: string): string {
  const guess = didYouMean(ref, [...g.index.keys()])
  return `unknown step id "${ref}"${guess ? `; did you mean "${guess}"?` : ''}`
}

/** Checks each step on its own; returns the clocks started (by the first step that starts each). */
function checkSteps(g: Graph): Map<string, number> {
  const {p} = g
  const clockDefs = clockDefsFor({...p, subs: {}})
  const started = new Map<string, number>()
  for (const [i, s] of p.steps.entries()) {
    for (const e of edges(s, g.implicit(i)).filter((x) => typeof x.to === 'string')) {
      if (!g.index.has(e.to))
        g.at(
          i,
          e.key.length > 0 ? e.key : ['id'],
          e.key.length > 0 ? unknownStep(g, e.to) : `falls through to unknown step "${e.to}"`,
        )
    }

    if (s.owner !== undefined && !(s.owner in p.roles)) {
      const guess = didYouMean(s.owner, Object.keys(p.roles))
      g.at(
        i,
        ['owner'],
        `unknown role "${s.owner}"${guess ? `; did you mean "${guess}"?` : '; declare it under roles:'}`,
      )
    }

    const c = checkContext(g, i, new Set(clockDefs.keys()))
    for (const [j, v] of asList(s.ask).entries()) c.variable(typeof s.ask === 'string' ? ['ask'] : ['ask', j], v)
    for (const [j, v] of (s.record ?? []).entries()) c.variable(['record', j], v)
    checkClocks(g, i, s, clockDefs, started)
    kindOf(s).check?.(s, c)
  }

  return started
}

function checkContext(g: Graph, i: number, clocks: ReadonlySet<string>): CheckContext {
  const vars = Object.keys(g.p.variables)
  const variable = (key: KeyPath, name: string) => {
    if (name in g.p.variables) return
    const guess = didYouMean(name, vars)
    g.at(i, key, `unknown variable "${name}"${guess ? `; did you mean "${guess}"?` : '; declare it under variables:'}`)
  }

  return {
    clocks,
    variable,
    problem: (key, message, isKey) => g.at(i, key, message, isKey),
    condition(key, text) {
      try {
        for (const v of variablesOf(parseExpr(text))) variable(key, v)
      } catch (error) {
        if (!(error instanceof ExprError)) throw error
        g.at(
          i,
          key,
          `bad condition at character ${error.offset + 1} of "${text.length > 80 ? text.slice(0, 79) + '…' : text}": ${error.message}`,
        )
      }
    },
  }
}

function checkClocks(
  g: Graph,
  i: number,
  s: Step,
  defs: ReturnType<typeof clockDefsFor>,
  started: Map<string, number>,
): void {
  const stops = clockStops(s).map((x) => x.name)
  for (const [key, list] of [
    ['starts_clock', asList(s.starts_clock)],
    ['stops_clock', stops],
    ['restarts_clock', asList(s.restarts_clock)],
  ] as const) {
    for (const c of list) {
      const def = defs.get(c)
      if (!def) {
        const guess = didYouMean(c, [...defs.keys()])
        g.at(
          i,
          [key],
          `unknown clock "${c}"${guess ? `; did you mean "${guess}"?` : '; define it in a clock file (--clocks) or under clocks:'}`,
        )
      } else if (key === 'starts_clock') {
        const why = notInForce(def, Date.now())
        if (why) g.at(i, [key], `${why}; define it with enabled: true in your own clock file once it is in force`)
        started.set(c, started.get(c) ?? i)
      } else if (key === 'restarts_clock' && !def.restartable)
        g.at(i, [key], `clock ${c} is not restartable (its definition does not say restartable: true)`)
    }
  }

  for (const c of asList(s.starts_clock)) {
    if (stops.includes(c))
      g.at(
        i,
        ['stops_clock'],
        `the step starts and stops clock ${c}, so it would always read on_time; start it at declaration or awareness and stop it where the notification is made`,
      )
  }
}

const conditionVars = (text: string): string[] | undefined => {
  try {
    return variablesOf(parseExpr(text))
  } catch {
    return undefined
  }
}

/** The variables a step asks for, records or sets. */
function writes(g: Graph, id: string): string[] {
  const i = g.index.get(id)
  if (i === undefined) return []
  const s = g.p.steps[i]
  return [...asList(s.ask), ...(s.record ?? []), ...(kindOf(s).sets?.(s) ?? [])]
}

/**
 * Walks one flow (main from start, or a branch or loop body up to its stops), walking the flows its steps open
 * on the way. Edges to unknown steps are reported elsewhere and skipped here, so one mistake does not hide the next.
 */
function walkFlow(
  g: Graph,
  reached: Set<string>,
  from: string | undefined,
  stops: Set<string>,
  context: 'main' | 'branch' | 'body',
): Set<string> {
  const flowKey = `${String(from)} until ${[...stops].join(',')}`
  if (g.walking.has(flowKey)) return new Set()
  g.walking.add(flowKey)
  // A step read from a file that failed its schema may lack the start of a flow.
  const queue = typeof from === 'string' ? [from] : []
  const seen = new Set<string>()
  const succ = new Map<string, string[]>()
  const exits = new Set<string>()
  while (queue.length > 0) {
    const id = queue.shift() ?? ''
    const i = g.index.get(id)
    if (seen.has(id) || stops.has(id) || i === undefined) continue
    seen.add(id)
    reached.add(id)
    const s = g.p.steps[i]
    const kind = kindOf(s)
    if (kind.ends && context !== 'main')
      g.at(
        i,
        ['type'],
        `an end step inside a ${context === 'branch' ? 'parallel branch' : 'loop body'}; let the ${context} run on to its ${context === 'branch' ? 'join' : 'loop'} instead`,
      )
    const opened = (kind.subflows?.(s) ?? []).map((f) => walkFlow(g, reached, f.from, new Set(f.stops), f.context))
    kind.checkFlows?.(s, {
      problem: (key, message) => g.at(i, key, message),
      reached: opened,
      writes: (x) => writes(g, x),
      conditionVars,
    })
    const nexts = edges(s, g.implicit(i))
      .filter((e) => e.kind === 'flow' && typeof e.to === 'string')
      .map((e) => e.to)
    if (nexts.length === 0 && !kind.ends && context === 'main' && !kind.subflows)
      g.at(i, ['id'], 'the walk falls off the end of the playbook here; add next: or an end step')
    // A way out of this flow: an end, a stop (join, loop), an unknown step (reported above), or falling off (reported above).
    if (kind.ends || nexts.length === 0 || nexts.some((n) => stops.has(n) || !g.index.has(n))) exits.add(id)
    succ.set(id, nexts)
    queue.push(...nexts)
  }

  if (g.judgeReach) trapped(g, seen, succ, exits)
  g.walking.delete(flowKey)
  return seen
}

/** Steps from which the walk can never leave: a step whose every way on leads back to itself, or a closed cycle. */
function trapped(g: Graph, seen: Set<string>, succ: Map<string, string[]>, exits: Set<string>): void {
  const out = new Set(exits)
  for (let grew = true; grew;) {
    grew = false
    for (const id of seen) {
      if (!out.has(id) && (succ.get(id) ?? []).some((n) => out.has(n))) {
        out.add(id)
        grew = true
      }
    }
  }

  const pos = (id: string) => g.index.get(id) ?? -1
  const stuck = [...seen].filter((id) => !out.has(id)).sort((x, y) => pos(x) - pos(y))
  const rest: string[] = []
  for (const id of stuck) {
    const i = pos(id)
    const own = edges(g.p.steps[i], g.implicit(i)).find((e) => e.to === id)
    if ((succ.get(id) ?? []).every((n) => n === id))
      g.at(
        i,
        own?.key.length ? own.key : ['id'],
        `step "${id}" can only loop to itself: every way on from it leads back to it, so the walk could never leave`,
      )
    else rest.push(id)
  }

  if (rest.length > 0) {
    g.at(
      pos(rest[0]),
      ['id'],
      `the walk can never get out once it reaches ${rest.map((c) => `"${c}"`).join(', ')}: no way on from there leads to an end (every path goes round a cycle)`,
    )
  }
}
