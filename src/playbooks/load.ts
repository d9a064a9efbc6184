import fs from 'node:fs'
import path from 'node:path'

import {DefinitionError, type Problem, UserError} from '../errors.js'
import {clockDefsFor} from '../incidents/clock-load.js'
import {notInForce} from '../incidents/clocks.js'
import {SHIPPED_PLAYBOOKS} from '../paths.js'
import {yamlFilesIn} from '../util/files.js'
import {didYouMean} from '../util/suggest.js'
import {formatPath, type KeyPath, type ParsedYaml, parseYamlFile, positionOf, readRegularFile, schemaProblems, sortProblems, YAML_LIMITS} from '../util/yaml-schema.js'
import {schemaValidator} from '../util/validators.js'
import {checkAssessmentStep, declareAssessmentVariables} from './assessment.js'
import {ExprError, parseExpr, variablesOf} from './expr.js'
import {asList, clockStops, ORG_TYPES, type Playbook, type Step} from './model.js'

const validator = schemaValidator('playbook')

/** --playbooks, else WATCHKEEPER_PLAYBOOKS, else the shipped playbooks/. */
export function playbookDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? (env.WATCHKEEPER_PLAYBOOKS || SHIPPED_PLAYBOOKS)
}

export function playbookFiles(p: string): string[] {
  let st: fs.Stats
  try {
    st = fs.statSync(p)
  } catch {
    throw new UserError(`Playbook file or folder not found: ${p}`, {code: 'E_NO_PLAYBOOK', exit: 2})
  }
  if (!st.isDirectory()) return [p]
  return yamlFilesIn(p)
}

/** The successors of a step along each kind of edge, with the key path the edge is written at. */
export function edges(step: Step, implicitNext: string | undefined): {to: string; key: KeyPath; kind: 'flow' | 'branch' | 'body'}[] {
  const flow = (to: string | undefined, key: KeyPath) => (to ? [{to, key, kind: 'flow' as const}] : [])
  const next = (key = 'next') => flow(step.next ?? implicitNext, step.next ? [key] : [])
  switch (step.type) {
    case 'decision':
    case 'assessment': {
      if (step.cases) {
        return [...Object.entries(step.cases).map(([k, to]) => ({to, key: ['cases', k], kind: 'flow' as const})),
          ...(step.default ? flow(step.default, ['default']) : next())]
      }
      return [...flow(step.then, ['then']), ...flow(step.else, ['else'])]
    }
    case 'command':
      return [...(step.on_success ? flow(step.on_success, ['on_success']) : next()), ...(step.on_failure ? flow(step.on_failure, ['on_failure']) : next())]
    case 'parallel':
      return [...step.branches.map((to, i) => ({to, key: ['branches', i], kind: 'branch' as const})), ...flow(step.join, ['join'])]
    case 'loop':
      return [{to: step.do, key: ['do'], kind: 'body'}, ...flow(step.then, ['then'])]
    case 'end':
      return []
    default:
      return next()
  }
}

interface Ctx {
  problems: Problem[]
  /** What is worth saying but not wrong: a review date that has passed. */
  warnings: Problem[]
  stack: string[]
  cache: Map<string, Playbook | null>
  now: number
}

function problemAt(ctx: Ctx, parsed: ParsedYaml, p: KeyPath, message: string, key = false): void {
  const pos = positionOf(parsed, p, key)
  ctx.problems.push({file: parsed.file, line: pos.line, col: pos.col, path: formatPath(p), message})
}

/** Resolves a `playbook:` reference: a path relative to the file, or an id in the same folder. */
function resolveRef(ref: string, fromFile: string): string | undefined {
  const dir = path.dirname(fromFile)
  if (/\.ya?ml$/i.test(ref) || ref.includes('/')) {
    const p = path.resolve(dir, ref)
    return fs.existsSync(p) ? p : undefined
  }
  for (const ext of ['.yaml', '.yml']) {
    const p = path.join(dir, ref + ext)
    if (fs.existsSync(p)) return p
  }
  for (const f of fs.readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n)).sort()) {
    // A FIFO or a huge file among them is skipped here; loading it reports why.
    const text = readRegularFile(path.join(dir, f), YAML_LIMITS.maxBytes).data?.toString('utf8') ?? ''
    if (new RegExp(`^id:\\s*['"]?${ref.replace(/[-]/g, '\\-')}['"]?\\s*$`, 'm').test(text)) return path.join(dir, f)
  }
  return undefined
}

function loadOne(file: string, ctx: Ctx): Playbook | undefined {
  const abs = path.resolve(file)
  if (ctx.cache.has(abs)) return ctx.cache.get(abs) ?? undefined
  const {parsed, problems: syntax} = parseYamlFile(file)
  ctx.problems.push(...syntax)
  if (!parsed) {
    ctx.cache.set(abs, null)
    return undefined
  }
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    ctx.problems.push({file, line: 1, col: 1, path: '', message: 'expected a playbook mapping (format, id, name, steps…)'})
    ctx.cache.set(abs, null)
    return undefined
  }
  const doc = parsed.value as Record<string, unknown>
  const rawSteps = Array.isArray(doc.steps) ? (doc.steps as Record<string, unknown>[]) : []
  const labeller = (p: KeyPath) => p[0] === 'steps' && typeof p[1] === 'number' && typeof rawSteps[p[1]]?.id === 'string' ? `step ${String(rawSteps[p[1]].id)}` : undefined
  const schemaErrs = schemaProblems(parsed, validator, labeller)
  ctx.problems.push(...schemaErrs)
  if (schemaErrs.length > 0) {
    // The graph is still checked on what can be read, so a schema error never hides a dangling next: or an unreachable step.
    checkGraph(readablePart(doc, abs), parsed, ctx)
    ctx.cache.set(abs, null)
    return undefined
  }
  const before = ctx.problems.length
  const steps = rawSteps as unknown as Step[]
  const {format: _f, id, name, description, version, severities, sources, references, review_by, roles, variables, clocks, start, steps: _s, ...meta} = doc
  const playbook: Playbook = {
    format: 'nhs-ir/1', id: id as string, name: name as string, description: description as string | undefined,
    version: version === undefined ? undefined : String(version), severities: severities as string[] | undefined,
    sources: sources as Playbook['sources'], references: references as Playbook['references'], review_by: review_by as string | undefined,
    roles: (roles ?? {}) as Playbook['roles'], variables: (variables ?? {}) as Playbook['variables'], clocks: (clocks ?? {}) as Playbook['clocks'],
    start: start as string | undefined, steps, meta, subs: {}, file: abs,
  }
  ctx.cache.set(abs, playbook)
  for (const c of declareAssessmentVariables(playbook)) problemAt(ctx, parsed, ['variables', ...c.key], c.message)
  checkGraph(playbook, parsed, ctx)
  checkMetadata(playbook, parsed, ctx)

  // Sub-playbooks, each validated in its own file; a cycle is a problem at the step that closes it.
  ctx.stack.push(abs)
  steps.forEach((s, i) => {
    if (s.type !== 'playbook') return
    const target = resolveRef(s.playbook, abs)
    if (!target) return problemAt(ctx, parsed, ['steps', i, 'playbook'], `no playbook "${s.playbook}" next to ${path.basename(file)} (an id in the same folder, or a relative path)`)
    if (ctx.stack.includes(path.resolve(target))) return problemAt(ctx, parsed, ['steps', i, 'playbook'], `playbook ${s.playbook} includes itself (cycle through ${ctx.stack.map((f) => path.basename(f)).join(' → ')})`)
    const sub = loadOne(target, ctx)
    if (sub) {
      playbook.subs[s.playbook] = sub
      for (const role of Object.keys(sub.roles)) if (!(role in playbook.roles)) playbook.roles[role] = sub.roles[role]
    }
  })
  ctx.stack.pop()
  if (ctx.problems.length > before) {
    ctx.cache.set(abs, null)
    return undefined
  }
  return playbook
}

const VAR_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

const STRING_KEYS = ['type', 'name', 'owner', 'next', 'if', 'then', 'else', 'default', 'on_success', 'on_failure', 'join', 'do', 'while', 'playbook', 'exit_code_to', 'duration', 'timeout']
const NAME_KEYS = ['ask', 'starts_clock', 'restarts_clock']
const LIST_KEYS = ['record', 'branches', 'argv', 'checklist']
const EDGE_KEYS = ['next', 'then', 'else', 'default', 'on_success', 'on_failure', 'join', 'do', 'branches', 'cases']
/** Set on a readable part that lost an edge to a wrong type: what is reachable is then unknown, so it is not judged. */
const UNREADABLE_EDGES = Symbol('unreadable edges')

/**
 * The part of a playbook that failed its schema that the graph checks can still read: every key is kept, but a
 * value of the wrong type for a key the graph checks read is dropped, and a step without a usable id is named
 * by its position (steps[3]).
 */
function readablePart(doc: Record<string, unknown>, file: string): Playbook {
  const isText = (v: unknown): v is string => typeof v === 'string'
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
  const maps = (v: unknown) => (isMap(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => isMap(x))) : {})
  const raw = Array.isArray(doc.steps) ? doc.steps : []
  let lostEdge = 'start' in doc && !isText(doc.start)
  const steps = raw.map((r, i) => {
    const step: Record<string, unknown> = {...(isMap(r) ? r : {})}
    if (!isText(step.id)) step.id = `steps[${i}]`
    const texts = (v: unknown) => Array.isArray(v) && v.every(isText)
    for (const k of EDGE_KEYS) if (k in step && !(k === 'branches' ? texts(step[k]) : k === 'cases' ? isMap(step.cases) && Object.values(step.cases).every(isText) : isText(step[k]))) lostEdge = true
    for (const k of STRING_KEYS) if (k in step && !isText(step[k])) delete step[k]
    for (const k of NAME_KEYS) if (k in step && !isText(step[k]) && !texts(step[k])) delete step[k]
    // stops_clock may also map names to outcomes; entries whose outcome is not text are dropped, the rest kept.
    if (isMap(step.stops_clock)) step.stops_clock = Object.fromEntries(Object.entries(step.stops_clock).filter(([, o]) => isText(o)))
    else if ('stops_clock' in step && !isText(step.stops_clock) && !texts(step.stops_clock)) delete step.stops_clock
    for (const k of LIST_KEYS) if (k in step && !texts(step[k])) delete step[k]
    if ('cases' in step && !(isMap(step.cases) && Object.values(step.cases).every(isText))) delete step.cases
    if (step.type === 'parallel') step.branches ??= []
    if (step.type === 'command') step.argv ??= []
    return step as unknown as Step
  })
  return {format: 'nhs-ir/1', id: isText(doc.id) ? doc.id : '', name: isText(doc.name) ? doc.name : '', roles: maps(doc.roles) as Playbook['roles'],
    variables: maps(doc.variables) as Playbook['variables'], clocks: maps(doc.clocks) as Playbook['clocks'], start: isText(doc.start) ? doc.start : undefined,
    steps, meta: lostEdge ? {[UNREADABLE_EDGES]: true} : {}, subs: {}, file}
}

function checkGraph(p: Playbook, parsed: ParsedYaml, ctx: Ctx): void {
  const at = (i: number, key: KeyPath, message: string, isKey = false) => problemAt(ctx, parsed, ['steps', i, ...key], `${message} (step ${p.steps[i].id})`, isKey)
  const index = new Map<string, number>()
  p.steps.forEach((s, i) => {
    if (index.has(s.id)) at(i, ['id'], `duplicate step id "${s.id}" (first at steps[${index.get(s.id)}])`)
    else index.set(s.id, i)
  })
  const ids = [...index.keys()]
  const unknownStep = (ref: string) => {
    const guess = didYouMean(ref, ids)
    return `unknown step id "${ref}"${guess ? `; did you mean "${guess}"?` : ''}`
  }
  const implicit = (i: number) => p.steps[i + 1]?.id
  const vars = Object.keys(p.variables)
  const clockDefs = clockDefsFor({...p, subs: {}})
  const clocks = new Set(clockDefs.keys())
  const checkVar = (i: number, key: KeyPath, name: string) => {
    if (!(name in p.variables)) {
      const guess = didYouMean(name, vars)
      at(i, key, `unknown variable "${name}"${guess ? `; did you mean "${guess}"?` : '; declare it under variables:'}`)
    }
  }
  const checkCondition = (i: number, key: KeyPath, text: string) => {
    try {
      for (const v of variablesOf(parseExpr(text))) checkVar(i, key, v)
    } catch (error) {
      if (error instanceof ExprError) at(i, key, `bad condition at character ${error.offset + 1} of "${text.length > 80 ? text.slice(0, 79) + '…' : text}": ${error.message}`)
      else throw error
    }
  }
  if (p.start !== undefined && !index.has(p.start)) problemAt(ctx, parsed, ['start'], unknownStep(p.start))

  const started = new Map<string, number>()
  const stopped = new Set<string>()
  p.steps.forEach((s, i) => {
    for (const e of edges(s, implicit(i)).filter((x) => typeof x.to === 'string')) if (!index.has(e.to)) at(i, e.key.length > 0 ? e.key : ['id'], e.key.length > 0 ? unknownStep(e.to) : `falls through to unknown step "${e.to}"`)
    if (s.owner !== undefined && !(s.owner in p.roles)) {
      const guess = didYouMean(s.owner, Object.keys(p.roles))
      at(i, ['owner'], `unknown role "${s.owner}"${guess ? `; did you mean "${guess}"?` : '; declare it under roles:'}`)
    }
    asList(s.ask).forEach((v, j) => checkVar(i, typeof s.ask === 'string' ? ['ask'] : ['ask', j], v))
    ;(s.record ?? []).forEach((v, j) => checkVar(i, ['record', j], v))
    for (const [key, list] of [['starts_clock', asList(s.starts_clock)], ['stops_clock', clockStops(s).map((x) => x.name)], ['restarts_clock', asList(s.restarts_clock)]] as const) {
      for (const c of list) {
        const def = clockDefs.get(c)
        if (!def) {
          const guess = didYouMean(c, [...clocks])
          at(i, [key], `unknown clock "${c}"${guess ? `; did you mean "${guess}"?` : '; define it in a clock file (--clocks) or under clocks:'}`)
        } else if (key === 'starts_clock') {
          const why = notInForce(def, Date.now())
          if (why) at(i, [key], `${why}; define it with enabled: true in your own clock file once it is in force`)
          started.set(c, started.get(c) ?? i)
        } else if (key === 'stops_clock') stopped.add(c)
        else if (!def.restartable) at(i, [key], `clock ${c} is not restartable (its definition does not say restartable: true)`)
      }
    }
    for (const c of asList(s.starts_clock)) {
      if (clockStops(s).some((x) => x.name === c)) at(i, ['stops_clock'], `the step starts and stops clock ${c}, so it would always read on_time; start it at declaration or awareness and stop it where the notification is made`)
    }
    switch (s.type) {
      case 'decision':
        if (s.cases && (s.if || s.then || s.else)) at(i, ['cases'], 'a decision has either cases or if/then/else, not both')
        else if (s.cases) {
          if (asList(s.ask).length === 0) at(i, ['cases'], 'cases need a variable to switch on: add ask: <variable>')
        } else if (!s.if || !s.then || !s.else) at(i, ['id'], 'a decision needs if, then and else (or ask and cases)')
        if (s.if) checkCondition(i, ['if'], s.if)
        break
      case 'loop':
        if (typeof s.while === 'string') checkCondition(i, ['while'], s.while)
        break
      case 'assessment':
        for (const x of checkAssessmentStep(s, clocks)) at(i, x.key, x.message, x.isKey)
        break
      case 'command':
        if (s.exit_code_to) checkVar(i, ['exit_code_to'], s.exit_code_to)
        s.argv.forEach((a, j) => {
          for (const m of a.matchAll(VAR_REF)) checkVar(i, ['argv', j], m[1])
        })
        break
    }
  })
  // Walk the flows: main from start, then each branch and loop body up to its stops. Edges to unknown steps are
  // reported above and skipped here, so one mistake does not hide the next.
  const reached = new Set<string>()
  const guessing = UNREADABLE_EDGES in p.meta
  const conditionVars = (text: string): string[] | undefined => {
    try {
      return variablesOf(parseExpr(text))
    } catch {
      return undefined
    }
  }
  const walkFlow = (from: string | undefined, stops: Set<string>, context: 'main' | 'branch' | 'body') => {
    const queue = from === undefined ? [] : [from]
    const seen = new Set<string>()
    const succ = new Map<string, string[]>()
    const exits = new Set<string>()
    while (queue.length > 0) {
      const id = queue.shift() as string
      if (seen.has(id) || stops.has(id) || !index.has(id)) continue
      seen.add(id)
      reached.add(id)
      const i = index.get(id) as number
      const s = p.steps[i]
      if (s.type === 'end' && context !== 'main') at(i, ['type'], `an end step inside a ${context === 'branch' ? 'parallel branch' : 'loop body'}; let the ${context} run on to its ${context === 'branch' ? 'join' : 'loop'} instead`)
      let nexts: string[]
      if (s.type === 'parallel') {
        for (const b of s.branches ?? []) walkFlow(b, new Set([s.join, ...s.branches.filter((x) => x !== b)]), 'branch')
        nexts = s.join === undefined ? [] : [s.join]
      } else if (s.type === 'loop') {
        const body = walkFlow(s.do, new Set([s.id, s.then]), 'body')
        const cond = typeof s.while === 'string' ? conditionVars(s.while) : undefined
        const changed = [...body].some((bid) => {
          const b = p.steps[index.get(bid) as number]
          return [...asList(b.ask), ...(b.record ?? []), ...(b.type === 'command' && b.exit_code_to ? [b.exit_code_to] : [])].some((v) => cond?.includes(v))
        })
        if (cond && !changed) at(i, ['while'], `loop without an exit: no step in its body (from ${s.do}) asks for or records ${cond.length > 0 ? cond.join(', ') : 'a variable of the condition'}, so the condition cannot change`)
        nexts = s.then === undefined ? [] : [s.then]
      } else {
        nexts = edges(s, implicit(i)).map((e) => e.to).filter((to) => typeof to === 'string')
        if (nexts.length === 0 && s.type !== 'end' && context === 'main') at(i, ['id'], 'the walk falls off the end of the playbook here; add next: or an end step')
      }
      // A way out of this flow: an end, a stop (join, loop), an unknown step (reported above), or falling off (reported above).
      if (s.type === 'end' || nexts.length === 0 || nexts.some((n) => stops.has(n) || !index.has(n))) exits.add(id)
      succ.set(id, nexts)
      queue.push(...nexts)
    }
    if (!guessing) trapped(seen, succ, exits)
    return seen
  }
  // Steps from which the walk can never leave: a step whose every way on leads back to itself, or a closed cycle.
  const trapped = (seen: Set<string>, succ: Map<string, string[]>, exits: Set<string>) => {
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
    const stuck = [...seen].filter((id) => !out.has(id)).sort((x, y) => (index.get(x) as number) - (index.get(y) as number))
    const rest: string[] = []
    for (const id of stuck) {
      const i = index.get(id) as number
      const own = edges(p.steps[i], implicit(i)).filter((e) => e.to === id)
      if ((succ.get(id) ?? []).every((n) => n === id)) at(i, own[0]?.key.length ? own[0].key : ['id'], `step "${id}" can only loop to itself: every way on from it leads back to it, so the walk could never leave`)
      else rest.push(id)
    }
    if (rest.length > 0) {
      at(index.get(rest[0]) as number, ['id'], `the walk can never get out once it reaches ${rest.map((c) => `"${c}"`).join(', ')}: no way on from there leads to an end (every path goes round a cycle)`)
    }
  }
  const first = p.start ?? p.steps[0]?.id
  if (first) walkFlow(first, new Set(), 'main')
  p.steps.forEach((s, i) => {
    if (!reached.has(s.id) && !guessing) at(i, ['id'], `unreachable step "${s.id}": nothing leads here from ${first}`)
  })
  for (const [c, i] of started) if (!stopped.has(c)) at(i, ['starts_clock'], `clock ${c} is started but no step stops it`)
}

/** review_by must be a real date; once it has passed (UTC), a warning. org_type may only take known organisation types. */
function checkMetadata(p: Playbook, parsed: ParsedYaml, ctx: Ctx): void {
  const orgValues = p.variables.org_type?.values ?? []
  orgValues.forEach((v, j) => {
    if (!(v in ORG_TYPES)) {
      const guess = didYouMean(v, Object.keys(ORG_TYPES))
      problemAt(ctx, parsed, ['variables', 'org_type', 'values', j], `unknown organisation type "${v}"${guess ? `; did you mean "${guess}"?` : `; one of ${Object.keys(ORG_TYPES).join(', ')}`}`)
    }
  })
  if (p.review_by === undefined) return
  const due = Date.parse(`${p.review_by}T00:00:00Z`)
  if (Number.isNaN(due) || new Date(due).toISOString().slice(0, 10) !== p.review_by) return problemAt(ctx, parsed, ['review_by'], `review_by "${p.review_by}" is not a calendar date (YYYY-MM-DD)`)
  if (due <= ctx.now) {
    const pos = positionOf(parsed, ['review_by'])
    ctx.warnings.push({file: parsed.file, line: pos.line, col: pos.col, path: 'review_by', message: `review date ${p.review_by} has passed: review playbook ${p.id} and set a new review_by`})
  }
}

/** Validates files and folders, reporting every problem with file:line:col, and warnings (past review dates) beside them. */
export function validatePlaybooks(paths: readonly string[], now = Date.now()): {playbooks: Playbook[]; files: string[]; problems: Problem[]; warnings: Problem[]} {
  const ctx: Ctx = {problems: [], warnings: [], stack: [], cache: new Map(), now}
  const files = paths.flatMap((p) => playbookFiles(p))
  if (files.length === 0) throw new UserError(`No playbook files (*.yaml, *.yml) in ${paths.join(', ')}`, {code: 'E_NO_PLAYBOOK', exit: 2})
  const playbooks: Playbook[] = []
  const ids = new Map<string, string>()
  for (const f of files) {
    const pb = loadOne(f, ctx)
    if (!pb) continue
    const prev = ids.get(pb.id)
    if (prev && prev !== pb.file) ctx.problems.push({file: f, line: 1, col: 1, path: 'id', message: `duplicate playbook id "${pb.id}" (also in ${prev})`})
    ids.set(pb.id, pb.file)
    playbooks.push(pb)
  }
  const unique = [...new Map(ctx.problems.map((p) => [`${p.file}:${p.line}:${p.col}:${p.message}`, p])).values()]
  return {playbooks, files, problems: sortProblems(unique), warnings: sortProblems(ctx.warnings)}
}

/** Loads one playbook by file path or by id (looked up in dir); throws DefinitionError on any problem. */
export function loadPlaybookRef(ref: string, dir?: string): Playbook {
  let file: string | undefined
  if (/\.ya?ml$/i.test(ref) || ref.includes('/') || ref.includes(path.sep)) {
    if (!fs.existsSync(ref)) throw new UserError(`Playbook file not found: ${ref}`, {code: 'E_NO_PLAYBOOK', exit: 2})
    file = ref
  } else {
    const folder = playbookDir(dir)
    file = fs.existsSync(folder) ? resolveRef(ref, path.join(folder, '_')) : undefined
    if (!file) {
      const known = fs.existsSync(folder) ? playbookFiles(folder).map((f) => path.basename(f).replace(/\.ya?ml$/i, '')) : []
      const guess = didYouMean(ref, known)
      throw new UserError(`No playbook "${ref}" in ${folder}.`, {hint: guess ? `Did you mean "${guess}"?` : `See \`watchkeeper playbook list\`.`, code: 'E_NO_PLAYBOOK', exit: 2})
    }
  }
  const ctx: Ctx = {problems: [], warnings: [], stack: [], cache: new Map(), now: Date.now()}
  const pb = loadOne(file, ctx)
  if (!pb || ctx.problems.length > 0) throw new DefinitionError(sortProblems(ctx.problems), 'playbook')
  return pb
}
