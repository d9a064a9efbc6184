import fs from 'node:fs'
import path from 'node:path'

import type {Playbook} from '../playbooks/model.js'
import type {FaultKind, ScenarioFile} from './schema.js'
import {DefinitionError, type Problem, UserError} from '../errors.js'
import {clockDefsFor} from '../incidents/clock-load.js'
import {parseIsoDuration} from '../incidents/time.js'
import {PACKAGE_ROOT} from '../paths.js'
import {loadPlaybookRef} from '../playbooks/load.js'
import {yamlFilesIn} from '../util/files.js'
import {didYouMean} from '../util/suggest.js'
import {schemaValidator} from '../util/validators.js'
import {
  formatPath,
  type KeyPath,
  type ParsedYaml,
  parseYamlMapping,
  positionOf,
  schemaProblems,
  sortProblems,
} from '../util/yaml-schema.js'
import {type EstateService, EXERCISE_ROLES, type Inject, type Scenario} from './model.js'

export const SHIPPED_EXERCISES = path.join(PACKAGE_ROOT, 'exercises')

const compiled = schemaValidator('exercise')
function validator() {
  return compiled
}

/** --exercises, else WATCHKEEPER_EXERCISES, else the shipped exercises/. */
export function exerciseDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? (env.WATCHKEEPER_EXERCISES || SHIPPED_EXERCISES)
}

/** Which estate kinds each fault applies to. */
const FAULT_KINDS: Record<FaultKind, EstateService['kind'][]> = {
  '5xx': ['api', 'website'],
  hang: ['api', 'website'],
  latency: ['api', 'website'],
  'expired-certificate': ['api', 'website'],
  'dmarc-removed': ['mail-domain'],
  'dns-gone': ['mail-domain'],
}

export interface LoadedScenario {
  scenario: Scenario
  playbook: Playbook
}

function filesOf(p: string): string[] {
  let st: fs.Stats
  try {
    st = fs.statSync(p)
  } catch {
    throw new UserError(`Exercise file or folder not found: ${p}`, {code: 'E_NO_EXERCISE', exit: 2})
  }

  return st.isDirectory() ? yamlFilesIn(p) : [p]
}

/** Records a problem at a key path of the scenario file (at the key itself when key is true). */
type Report = (p: KeyPath, message: string, key?: boolean) => void

/** Services by id; each has the fields its kind needs and none of another kind's. */
function checkEstate(s: Scenario, at: Report): Map<string, EstateService> {
  const services = new Map<string, EstateService>()
  for (const [i, e] of s.estate.entries()) {
    if (services.has(e.id)) {
      at(['estate', i, 'id'], `duplicate service id "${e.id}"`)
      continue
    }

    services.set(e.id, e)
    const need = e.kind === 'api' ? ['host', 'base_path'] : e.kind === 'website' ? ['host'] : ['domain']
    for (const k of need)
      if (!Object.hasOwn(e, k)) at(['estate', i], `a ${e.kind} service needs ${k}: (service ${e.id})`)
    const extra =
      e.kind === 'mail-domain' ? ['host', 'base_path'] : e.kind === 'website' ? ['base_path', 'domain'] : ['domain']
    for (const k of extra)
      if (Object.hasOwn(e, k)) at(['estate', i, k], `a ${e.kind} service takes no ${k}: (service ${e.id})`, true)
  }

  return services
}

/** A fault or recover inject names an estate service, and a fault one that applies to its kind. */
function checkTarget(inj: Inject, i: number, services: Map<string, EstateService>, at: Report): void {
  if (inj.kind !== 'fault' && inj.kind !== 'recover') return
  const target = services.get(inj.target)
  if (!target) {
    const guess = didYouMean(inj.target, [...services.keys()])
    at(
      ['injects', i, 'target'],
      `no estate service "${inj.target}"${guess ? `; did you mean "${guess}"?` : `; services: ${[...services.keys()].join(', ')}`}`,
    )
    return
  }

  if (inj.kind !== 'fault') return
  if (!FAULT_KINDS[inj.fault].includes(target.kind))
    at(
      ['injects', i, 'fault'],
      `fault ${inj.fault} does not apply to a ${target.kind} service (${target.id}); it applies to ${FAULT_KINDS[inj.fault].join(', ')}`,
    )
  if (inj.fault === 'latency' && !inj.delay) at(['injects', i], `a latency fault needs delay: (inject ${inj.id})`)
  if (inj.fault !== 'latency' && inj.delay)
    at(['injects', i, 'delay'], `delay: belongs to a latency fault (inject ${inj.id})`, true)
}

/** Inject ids are unique, every inject comes before the end of the exercise, and targets exist. */
function checkInjects(s: Scenario, services: Map<string, EstateService>, at: Report): void {
  const durationMs = parseIsoDuration(s.duration) ?? 0
  const ids = new Set<string>()
  for (const [i, inj] of s.injects.entries()) {
    if (ids.has(inj.id)) at(['injects', i, 'id'], `duplicate inject id "${inj.id}"`)
    ids.add(inj.id)
    if ((parseIsoDuration(inj.at) ?? 0) > durationMs)
      at(
        ['injects', i, 'at'],
        `inject ${inj.id} at ${inj.at} comes after the end of the exercise (duration ${s.duration})`,
      )
    checkTarget(inj, i, services, at)
  }
}

/** The playbook the scenario names (an id, or a path relative to the scenario file); a problem if it will not load. */
function scenarioPlaybook(
  parsed: ParsedYaml,
  s: Scenario,
  playbooksDir: string | undefined,
  at: Report,
): Playbook | undefined {
  try {
    const ref =
      /\.ya?ml$/i.test(s.playbook) || s.playbook.includes('/')
        ? path.resolve(path.dirname(parsed.file), s.playbook)
        : s.playbook
    return loadPlaybookRef(ref, playbooksDir)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const hint =
      error !== null && typeof error === 'object' && 'hint' in error && typeof error.hint === 'string'
        ? error.hint
        : undefined
    at(['playbook'], `${message.split('\n')[0]}${hint ? ` ${hint}` : ''}`)
    return undefined
  }
}

/** Participants and inject audiences name roles of the playbook or the exercise's own roles. */
function checkRoles(s: Scenario, playbook: Playbook, at: Report): void {
  const roles = [...new Set([...Object.keys(playbook.roles), ...EXERCISE_ROLES])]
  const role = (p: KeyPath, r: string) => {
    if (roles.includes(r)) return
    const guess = didYouMean(r, roles)
    at(
      p,
      `playbook ${playbook.id} has no role "${r}"${guess ? `; did you mean "${guess}"?` : `; roles: ${roles.join(', ')}`}`,
    )
  }

  for (const [i, p] of s.participants.entries()) role(['participants', i, 'role'], p.role)
  for (const [i, inj] of s.injects.entries())
    for (const [j, r] of (inj.to ?? []).entries()) role(['injects', i, 'to', j], r)
}

/** Alerts start, and expect: names, clocks the playbook defines. */
function checkClocks(s: Scenario, playbook: Playbook, at: Report): void {
  let clocks: string[] = []
  try {
    clocks = [...clockDefsFor(playbook).keys()]
  } catch (error) {
    at(
      ['playbook'],
      `its clocks cannot be loaded: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
    )
  }

  const clock = (p: KeyPath, name: string) => {
    if (clocks.includes(name)) return
    const guess = didYouMean(name, clocks)
    at(p, `no clock "${name}"${guess ? `; did you mean "${guess}"?` : ''}`, true)
  }

  for (const [i, inj] of s.injects.entries())
    inj.kind === 'alert' && inj.starts_clock && clock(['injects', i, 'starts_clock'], inj.starts_clock)
  for (const name of Object.keys(s.expect?.clocks ?? {})) clock(['expect', 'clocks', name], name)
}

/** The problems a schema cannot see: references between the scenario, its estate, its playbook and its clocks. */
function crossCheck(
  parsed: ParsedYaml,
  s: Scenario,
  playbooksDir: string | undefined,
  problems: Problem[],
): Playbook | undefined {
  const at: Report = (p, message, key = false) => {
    const pos = positionOf(parsed, p, key)
    problems.push({file: parsed.file, line: pos.line, col: pos.col, path: formatPath(p), message})
  }

  const services = checkEstate(s, at)
  checkInjects(s, services, at)
  const playbook = scenarioPlaybook(parsed, s, playbooksDir, at)
  if (!playbook) return undefined
  checkRoles(s, playbook, at)
  checkClocks(s, playbook, at)
  return playbook
}

/**
 * What schemaProblems reporting nothing means: the generated exercise validator accepted this value (now, or
 * when the parse cache recorded the file as passing it), so it has the shape of a ScenarioFile.
 */
function acceptedAsScenario(raw: object, schemaErrors: readonly Problem[]): raw is ScenarioFile {
  return schemaErrors.length === 0
}

/** Loads and validates scenario files, every problem at once (file:line:col, key path, did-you-mean). */
export function validateExercises(
  paths: readonly string[],
  opts: {playbooks?: string} = {},
): {scenarios: LoadedScenario[]; files: string[]; problems: Problem[]} {
  const files = [...new Set(paths.flatMap(filesOf))]
  const problems: Problem[] = []
  const scenarios: LoadedScenario[] = []
  const firstSeen = new Map<string, string>()
  for (const file of files) {
    const {
      parsed,
      doc: raw,
      problems: read,
    } = parseYamlMapping(file, 'an exercise scenario mapping (format, id, title, playbook, estate, injects…)')
    problems.push(...read)
    if (!parsed || !raw) continue
    const injects: unknown[] = 'injects' in raw && Array.isArray(raw.injects) ? raw.injects : []
    const idAt = (i: unknown) => {
      const inj: unknown = typeof i === 'number' ? injects[i] : undefined
      return inj !== null && typeof inj === 'object' && 'id' in inj && typeof inj.id === 'string' ? inj.id : undefined
    }

    const labeller = (p: KeyPath) =>
      p[0] === 'injects' && idAt(p[1]) !== undefined ? `inject ${idAt(p[1])}` : undefined
    const errs = schemaProblems(parsed, validator(), labeller)
    problems.push(...errs)
    if (!acceptedAsScenario(raw, errs)) continue
    const scenario: Scenario = {...raw, file}
    const prev = firstSeen.get(scenario.id)
    if (prev) {
      const pos = positionOf(parsed, ['id'])
      problems.push({
        file,
        line: pos.line,
        col: pos.col,
        path: 'id',
        message: `duplicate scenario id "${scenario.id}" (first in ${prev})`,
      })
      continue
    }

    firstSeen.set(scenario.id, file)
    const before = problems.length
    const playbook = crossCheck(parsed, scenario, opts.playbooks, problems)
    if (playbook && problems.length === before) scenarios.push({scenario, playbook})
  }

  return {scenarios, files, problems: sortProblems(problems)}
}

/** One scenario by id (in the exercises folder) or by path; throws DefinitionError (exit 2) on any problem. */
export function loadScenario(ref: string, opts: {exercises?: string; playbooks?: string} = {}): LoadedScenario {
  const isPath = /\.ya?ml$/i.test(ref) || ref.includes('/')
  if (isPath) {
    const {scenarios, problems} = validateExercises([ref], opts)
    if (problems.length > 0) throw new DefinitionError(problems, 'exercise')
    return scenarios[0]
  }

  const dir = exerciseDir(opts.exercises)
  const {scenarios, problems} = validateExercises([dir], opts)
  const found = scenarios.find((s) => s.scenario.id === ref)
  if (found) return found
  const mine = problems.filter((p) => path.basename(p.file).replace(/\.ya?ml$/i, '') === ref)
  if (mine.length > 0) throw new DefinitionError(mine, 'exercise')
  const guess = didYouMean(
    ref,
    scenarios.map((s) => s.scenario.id),
  )
  throw new UserError(`No exercise scenario "${ref}" in ${dir}.`, {
    hint: guess ? `Did you mean "${guess}"?` : 'See `watchkeeper exercise list`.',
    code: 'E_NO_EXERCISE',
    exit: 2,
  })
}
