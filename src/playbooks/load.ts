import fs from 'node:fs'
import path from 'node:path'

import type {PlaybookFile} from './definition.js'
import type {FieldShape} from './steps/types.js'
import {DefinitionError, type Problem, UserError} from '../errors.js'
import {SHIPPED_PLAYBOOKS} from '../paths.js'
import {yamlFilesIn} from '../util/files.js'
import {didYouMean} from '../util/suggest.js'
import {schemaValidator} from '../util/validators.js'
import {
  formatPath,
  type KeyPath,
  type ParsedYaml,
  parseYamlMapping,
  positionOf,
  readRegularFile,
  schemaProblems,
  sortProblems,
  YAML_LIMITS,
} from '../util/yaml-schema.js'
import {checkGraph} from './graph.js'
import {ORG_TYPES, type Playbook, type Step} from './model.js'
import {kindNamed, kindOf, STEP_KINDS} from './steps/index.js'

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

export {edges} from './graph.js'

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

  for (const f of fs
    .readdirSync(dir)
    .filter((n) => /\.ya?ml$/i.test(n))
    .sort()) {
    // A FIFO or a huge file among them is skipped here; loading it reports why.
    const text = readRegularFile(path.join(dir, f), YAML_LIMITS.maxBytes).data?.toString('utf8') ?? ''
    if (new RegExp(`^id:\\s*['"]?${ref.replaceAll(/[-]/g, String.raw`\-`)}['"]?\\s*$`, 'm').test(text))
      return path.join(dir, f)
  }

  return undefined
}

function loadOne(file: string, ctx: Ctx): Playbook | undefined {
  const abs = path.resolve(file)
  if (ctx.cache.has(abs)) return ctx.cache.get(abs) ?? undefined
  const fail = () => void ctx.cache.set(abs, null)
  const {parsed, doc, problems: read} = parseYamlMapping(file, 'a playbook mapping (format, id, name, steps…)')
  ctx.problems.push(...read)
  if (!parsed || !doc) return fail()

  const rawSteps = Array.isArray(doc.steps) ? doc.steps.map((x) => (isMap(x) ? x : {})) : []
  const labeller = (p: KeyPath) =>
    p[0] === 'steps' && typeof p[1] === 'number' && typeof rawSteps[p[1]]?.id === 'string'
      ? `step ${String(rawSteps[p[1]].id)}`
      : undefined
  const schemaErrs = schemaProblems(parsed, validator, labeller)
  ctx.problems.push(...schemaErrs)
  const report = (p: KeyPath, message: string, isKey = false) => problemAt(ctx, parsed, p, message, isKey)
  if (schemaErrs.length > 0) {
    // The graph is still checked on what can be read, so a schema error never hides a dangling next: or an unreachable step.
    const readable = readablePart(doc, abs)
    checkGraph(readable.playbook, report, readable.edgesIntact)
    return fail()
  }

  const before = ctx.problems.length
  // The generated validator has accepted the document: from here on it is a playbook file.
  const playbook = fromFile(doc as PlaybookFile, abs)
  ctx.cache.set(abs, playbook)
  for (const kind of new Set(playbook.steps.map(kindOf)))
    for (const c of kind.declareVariables?.(playbook) ?? []) report(['variables', ...c.key], c.message)
  checkGraph(playbook, report)
  checkMetadata(playbook, parsed, ctx)
  loadSubs(playbook, parsed, ctx)
  if (ctx.problems.length > before) return fail()
  return playbook
}

/** A playbook from a file that passed its schema. */
function fromFile(doc: PlaybookFile, file: string): Playbook {
  const {
    format,
    id,
    name,
    description,
    version,
    severities,
    sources,
    references,
    review_by,
    roles,
    variables,
    clocks,
    start,
    steps,
    ...meta
  } = doc
  return {
    format,
    id,
    name,
    description,
    version: version === undefined ? undefined : String(version),
    severities,
    sources,
    references,
    review_by,
    roles: roles ?? {},
    variables: variables ?? {},
    clocks: clocks ?? {},
    start,
    steps,
    meta,
    subs: {},
    file,
  }
}

/** Sub-playbooks, each validated in its own file; a cycle is a problem at the step that closes it. */
function loadSubs(playbook: Playbook, parsed: ParsedYaml, ctx: Ctx): void {
  const abs = playbook.file
  ctx.stack.push(abs)
  for (const [i, s] of playbook.steps.entries()) {
    const inc = kindOf(s).includes?.(s)
    if (!inc) continue
    const at: KeyPath = ['steps', i, ...inc.key]
    const target = resolveRef(inc.ref, abs)
    if (!target) {
      problemAt(
        ctx,
        parsed,
        at,
        `no playbook "${inc.ref}" next to ${path.basename(abs)} (an id in the same folder, or a relative path)`,
      )
      continue
    }

    if (ctx.stack.includes(path.resolve(target))) {
      problemAt(
        ctx,
        parsed,
        at,
        `playbook ${inc.ref} includes itself (cycle through ${ctx.stack.map((f) => path.basename(f)).join(' → ')})`,
      )
      continue
    }

    const sub = loadOne(target, ctx)
    if (sub) {
      playbook.subs[inc.ref] = sub
      for (const role of Object.keys(sub.roles)) if (!(role in playbook.roles)) playbook.roles[role] = sub.roles[role]
    }
  }

  ctx.stack.pop()
}

const isText = (v: unknown): v is string => typeof v === 'string'
const isTexts = (v: unknown): v is string[] => Array.isArray(v) && v.every(isText)
const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Keys every step may have that the graph checks read, by shape (stops_clock is handled on its own). */
const COMMON_FIELDS: Record<string, FieldShape | 'names'> = {
  type: 'text',
  name: 'text',
  owner: 'text',
  next: 'edge',
  ask: 'names',
  starts_clock: 'names',
  restarts_clock: 'names',
  record: 'texts',
}
/** Every step type's own keys: a step whose type is wrong is still read with them. */
const FIELDS: [string, FieldShape | 'names'][] = [
  ...Object.entries(COMMON_FIELDS),
  ...Object.values(STEP_KINDS).flatMap((k) => Object.entries(k.fields)),
]

const FITS: Record<FieldShape | 'names', (v: unknown) => boolean> = {
  text: isText,
  edge: isText,
  texts: isTexts,
  edges: isTexts,
  names: (v) => isText(v) || isTexts(v),
  cases: (v) => isMap(v) && Object.values(v).every(isText),
}
const EDGE_SHAPES = new Set<string>(['edge', 'edges', 'cases'])

/** A raw step with every value the graph checks read of the right shape; whether an edge was lost doing so. */
function readableStep(raw: Record<string, unknown>, i: number): {step: Record<string, unknown>; lostEdge: boolean} {
  const step: Record<string, unknown> = {...raw}
  let lostEdge = false
  if (!isText(step.id)) step.id = `steps[${i}]`
  for (const [k, shape] of FIELDS) {
    if (!(k in step) || FITS[shape](step[k])) continue
    if (EDGE_SHAPES.has(shape)) lostEdge = true
    delete step[k]
  }

  // stops_clock may also map names to outcomes; entries whose outcome is not text are dropped, the rest kept.
  if (isMap(step.stops_clock))
    step.stops_clock = Object.fromEntries(Object.entries(step.stops_clock).filter(([, o]) => isText(o)))
  else if ('stops_clock' in step && !FITS.names(step.stops_clock)) delete step.stops_clock
  // The lists a type requires, empty when missing, so its checks can read them.
  for (const [k, shape] of Object.entries(kindNamed(step.type)?.fields ?? {}))
    if ((shape === 'texts' || shape === 'edges') && !(k in step)) step[k] = []
  return {step, lostEdge}
}

/**
 * The part of a playbook that failed its schema that the graph checks can still read: every key is kept, but a
 * value of the wrong type for a key the graph checks read is dropped, and a step without a usable id is named
 * by its position (steps[3]). A step of an unknown type is read as one that goes on to the next.
 */
function readablePart(doc: Record<string, unknown>, file: string): {playbook: Playbook; edgesIntact: boolean} {
  const maps = (v: unknown) => (isMap(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => isMap(x))) : {})
  const raw = Array.isArray(doc.steps) ? doc.steps : []
  let lostEdge = 'start' in doc && !isText(doc.start)
  const steps = raw.map((r, i) => {
    const read = readableStep(isMap(r) ? r : {}, i)
    lostEdge ||= read.lostEdge
    // Read for the graph checks only: the values they read have the right shape; the rest may not.
    return read.step as unknown as Step
  })
  const playbook: Playbook = {
    format: 'nhs-ir/1',
    id: isText(doc.id) ? doc.id : '',
    name: isText(doc.name) ? doc.name : '',
    roles: maps(doc.roles) as Playbook['roles'],
    variables: maps(doc.variables) as Playbook['variables'],
    clocks: maps(doc.clocks) as Playbook['clocks'],
    start: isText(doc.start) ? doc.start : undefined,
    steps,
    meta: {},
    subs: {},
    file,
  }
  return {playbook, edgesIntact: !lostEdge}
}

/** review_by must be a real date; once it has passed (UTC), a warning. org_type may only take known organisation types. */
function checkMetadata(p: Playbook, parsed: ParsedYaml, ctx: Ctx): void {
  const orgValues = p.variables.org_type?.values ?? []
  for (const [j, v] of orgValues.entries()) {
    if (!(v in ORG_TYPES)) {
      const guess = didYouMean(v, Object.keys(ORG_TYPES))
      problemAt(
        ctx,
        parsed,
        ['variables', 'org_type', 'values', j],
        `unknown organisation type "${v}"${guess ? `; did you mean "${guess}"?` : `; one of ${Object.keys(ORG_TYPES).join(', ')}`}`,
      )
    }
  }

  if (p.review_by === undefined) return
  const due = Date.parse(`${p.review_by}T00:00:00Z`)
  if (Number.isNaN(due) || new Date(due).toISOString().slice(0, 10) !== p.review_by)
    return problemAt(ctx, parsed, ['review_by'], `review_by "${p.review_by}" is not a calendar date (YYYY-MM-DD)`)
  if (due <= ctx.now) {
    const pos = positionOf(parsed, ['review_by'])
    ctx.warnings.push({
      file: parsed.file,
      line: pos.line,
      col: pos.col,
      path: 'review_by',
      message: `review date ${p.review_by} has passed: review playbook ${p.id} and set a new review_by`,
    })
  }
}

/** Validates files and folders, reporting every problem with file:line:col, and warnings (past review dates) beside them. */
export function validatePlaybooks(
  paths: readonly string[],
  now = Date.now(),
): {playbooks: Playbook[]; files: string[]; problems: Problem[]; warnings: Problem[]} {
  const ctx: Ctx = {problems: [], warnings: [], stack: [], cache: new Map(), now}
  const files = paths.flatMap((p) => playbookFiles(p))
  if (files.length === 0)
    throw new UserError(`No playbook files (*.yaml, *.yml) in ${paths.join(', ')}`, {code: 'E_NO_PLAYBOOK', exit: 2})
  const playbooks: Playbook[] = []
  const ids = new Map<string, string>()
  for (const f of files) {
    const pb = loadOne(f, ctx)
    if (!pb) continue
    const prev = ids.get(pb.id)
    if (prev && prev !== pb.file)
      ctx.problems.push({
        file: f,
        line: 1,
        col: 1,
        path: 'id',
        message: `duplicate playbook id "${pb.id}" (also in ${prev})`,
      })
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
      const known = fs.existsSync(folder)
        ? playbookFiles(folder).map((f) => path.basename(f).replace(/\.ya?ml$/i, ''))
        : []
      const guess = didYouMean(ref, known)
      throw new UserError(`No playbook "${ref}" in ${folder}.`, {
        hint: guess ? `Did you mean "${guess}"?` : `See \`watchkeeper playbook list\`.`,
        code: 'E_NO_PLAYBOOK',
        exit: 2,
      })
    }
  }

  const ctx: Ctx = {problems: [], warnings: [], stack: [], cache: new Map(), now: Date.now()}
  const pb = loadOne(file, ctx)
  if (!pb || ctx.problems.length > 0) throw new DefinitionError(sortProblems(ctx.problems), 'playbook')
  return pb
}
