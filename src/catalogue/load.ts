import fs from 'node:fs'
import path from 'node:path'

import type {NetOptions, ResolveRule} from '../probes/types.js'
import {DefinitionError, type Problem, UserError} from '../errors.js'
import {PROBE_CHECKS_ID} from '../generated/validator-ids.js'
import {SHIPPED_CHECKS} from '../paths.js'
import {parseResolveRule} from '../probes/address.js'
import {probeSpecFor} from '../probes/specs.js'
import {durationMs} from '../util/duration.js'
import {yamlFilesIn} from '../util/files.js'
import {globRegExp} from '../util/glob.js'
import {Redactor} from '../util/redact.js'
import {schemaValidator} from '../util/validators.js'
import {
  formatPath,
  type KeyPath,
  knownValid,
  markValid,
  type ParsedYaml,
  parseYamlMapping,
  positionOf,
  readRegularFile,
  schemaProblems,
  sortProblems,
} from '../util/yaml-schema.js'

const validator = schemaValidator('catalogue')

export const DEFAULT_TIMEOUT_MS = 10_000
export const DEFAULT_RETRIES = 0
/** Largest `ca:` file read: Mozilla's whole root store is about 220 KiB of PEM. */
export const CA_MAX_BYTES = 1024 * 1024

/** A check ready to run: validated, defaults merged, `${env:…}` filled in. */
export interface CheckDefinition {
  id: string
  name: string
  kind: string
  /** The target as written (with `${env:…}` left in), safe to show and store. */
  target: string
  service?: string
  tier?: string
  tags: string[]
  description?: string
  enabled: boolean
  /** Why the check will not run (e.g. an unset required variable). */
  disabledReason?: string
  timeoutMs: number
  retries: number
  net: NetOptions
  /** The whole check mapping after defaults and interpolation; probes and the monitor read their keys here. */
  spec: Record<string, unknown>
  /** Values interpolated from the environment; redacted from anything stored or shown. */
  secrets: string[]
  source: {file: string; line: number; col: number}
}

export interface Catalogue {
  files: string[]
  checks: CheckDefinition[]
  /** Other top-level sections by name, as found in each file. */
  sections: Map<string, {file: string; value: unknown}[]>
}

/** Expands files and folders (recursively, *.yaml / *.yml, sorted) into a list of files. */
export function catalogueFiles(paths: readonly string[]): string[] {
  const out: string[] = []
  for (const p of paths) {
    let st: fs.Stats
    try {
      st = fs.statSync(p)
    } catch {
      throw new UserError(`Check catalogue not found: ${p}`, {
        hint: 'Pass --checks with a YAML file or a folder of them.',
        code: 'E_NO_CATALOGUE',
        exit: 2,
      })
    }

    if (st.isDirectory()) out.push(...yamlFilesIn(p))
    else out.push(p)
  }

  return [...new Set(out)]
}

/** --checks values, else WATCHKEEPER_CHECKS (path-list), else the shipped catalogue. */
export function cataloguePaths(flag: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (flag && flag.length > 0) return [...flag]
  if (env.WATCHKEEPER_CHECKS) return env.WATCHKEEPER_CHECKS.split(path.delimiter).filter(Boolean)
  return [SHIPPED_CHECKS]
}

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g

/** Replaces `${env:NAME}` in every string; unset names are reported, values collected as secrets. */
function interpolate(
  value: unknown,
  path: KeyPath,
  env: NodeJS.ProcessEnv,
  missing: {path: KeyPath; name: string}[],
  secrets: Set<string>,
): unknown {
  if (typeof value === 'string') {
    return value.replaceAll(ENV_REF, (_, name: string) => {
      const v = env[name]
      if (v === undefined || v === '') {
        missing.push({path, name})
        return ''
      }

      secrets.add(v)
      return v
    })
  }

  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, i], env, missing, secrets))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, [...path, k], env, missing, secrets)
    return out
  }

  return value
}

function mergeDefaults(defaults: Record<string, unknown>, check: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {...defaults, ...check}
  if (Array.isArray(defaults.tags) || Array.isArray(check.tags)) {
    out.tags = [...new Set([...((check.tags as string[]) ?? []), ...((defaults.tags as string[]) ?? [])])]
  }

  if (Array.isArray(defaults.resolve) && Array.isArray(check.resolve))
    out.resolve = [...check.resolve, ...defaults.resolve]
  return out
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  /** Address overrides from the command line; they win over the catalogue's. */
  resolve?: readonly string[]
  /** DNS server from the command line for every check that sets none. */
  resolver?: string
}

/** Parses the --resolve flags; a malformed one is a usage error. */
function parseCliRules(flags: readonly string[]): ResolveRule[] {
  const rules: ResolveRule[] = []
  for (const r of flags) {
    const rule = parseResolveRule(r)
    if (!rule)
      throw new UserError(`--resolve ${r}: expected host:port:address, e.g. www.nhs.uk:443:127.0.0.1`, {
        code: 'E_FLAG',
        exit: 2,
      })
    rules.push(rule)
  }

  return rules
}

/** What validating every file gathers: checks, other sections, problems, and where each id was first seen. */
interface Gathered {
  checks: CheckDefinition[]
  sections: Map<string, {file: string; value: unknown}[]>
  problems: Problem[]
  firstSeen: Map<string, {file: string; line: number; col: number}>
}

/** The settings every file is validated with. */
interface Run {
  env: NodeJS.ProcessEnv
  cliRules: ResolveRule[]
  resolver?: string
}

/**
 * Loads and validates every file, reporting all problems at once. Returns the catalogue only when there
 * are no problems, so nothing runs from a half-valid definition.
 */
export function validateCatalogue(
  paths: readonly string[],
  opts: LoadOptions = {},
): {catalogue?: Catalogue; problems: Problem[]} {
  const files = catalogueFiles(paths)
  const run: Run = {env: opts.env ?? process.env, cliRules: parseCliRules(opts.resolve ?? []), resolver: opts.resolver}
  if (files.length === 0) {
    throw new UserError(`No catalogue files (*.yaml, *.yml) in ${paths.join(', ')}`, {code: 'E_NO_CATALOGUE', exit: 2})
  }

  const g: Gathered = {checks: [], sections: new Map(), problems: [], firstSeen: new Map()}
  for (const file of files) validateFile(file, run, g)
  const {checks, problems, sections} = g
  if (problems.length > 0) return {problems: sortProblems(problems)}
  return {catalogue: {files, checks, sections}, problems: []}
}

/** Validates one catalogue file and builds its checks into `g`. */
function validateFile(file: string, run: Run, g: Gathered): void {
  const {problems} = g
  const {
    parsed,
    doc,
    problems: read,
  } = parseYamlMapping(file, 'a mapping with a "checks:" list (and optionally "defaults:")')
  problems.push(...read)
  if (!parsed || !doc) return
  const rawChecks = Array.isArray(doc.checks) ? (doc.checks as unknown[]) : []
  const labeller = (p: KeyPath) => {
    if (p[0] !== 'checks' || typeof p[1] !== 'number') return undefined
    const c = rawChecks[p[1]] as {id?: unknown} | undefined
    return typeof c?.id === 'string' ? `check ${c.id}` : undefined
  }

  const before = problems.length
  const schemaErrs = schemaProblems(parsed, validator, labeller)
  problems.push(...schemaErrs)
  // The probes' own validation (patterns compile, ranges ordered…) of a check that interpolates no
  // environment variable depends on the file alone: the parse cache records a file whose checks all
  // passed while none of them interpolated one, and later runs skip it for the checks that interpolate none.
  const probesPassed = knownValid(parsed, PROBE_CHECKS_ID)
  let interpolated = false
  collectSections(file, doc, g.sections)

  const defaults = (doc.defaults && typeof doc.defaults === 'object' ? doc.defaults : {}) as Record<string, unknown>
  for (const [index, raw] of rawChecks.entries()) {
    if (!raw || typeof raw !== 'object') continue
    const check = raw as Record<string, unknown>
    const base: KeyPath = ['checks', index]
    noteId(parsed, base, check, g)
    // Definitions that failed the schema are not built further; their problems are already listed.
    if (failedSchema(schemaErrs, base)) continue
    const merged = mergeDefaults(defaults, check)
    const fromEnv = interpolates(merged, run.env)
    interpolated ||= fromEnv
    const def = buildCheck(parsed, base, merged, run, problems, !probesPassed || fromEnv)
    if (def) g.checks.push(def)
  }

  if (!probesPassed && !interpolated && problems.length === before) markValid(parsed, PROBE_CHECKS_ID)
}

/** Records the file's top-level sections other than defaults and checks. */
function collectSections(
  file: string,
  doc: Record<string, unknown>,
  sections: Map<string, {file: string; value: unknown}[]>,
): void {
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'defaults' || key === 'checks') continue
    const list = sections.get(key) ?? []
    list.push({file, value})
    sections.set(key, list)
  }
}

/** Remembers where a check id was first defined and reports a later duplicate. */
function noteId(parsed: ParsedYaml, base: KeyPath, check: Record<string, unknown>, g: Gathered): void {
  if (typeof check.id !== 'string') return
  const {file} = parsed
  const prev = g.firstSeen.get(check.id)
  if (prev) {
    const pos = positionOf(parsed, [...base, 'id'])
    g.problems.push({
      file,
      line: pos.line,
      col: pos.col,
      path: formatPath([...base, 'id']),
      message: `duplicate check id "${check.id}" (first defined at ${prev.file}:${prev.line}:${prev.col})`,
    })
  } else g.firstSeen.set(check.id, {file, ...positionOf(parsed, base)})
}

/** Whether the schema rejected this check or the file's defaults. */
function failedSchema(schemaErrs: readonly Problem[], base: KeyPath): boolean {
  const at = formatPath(base)
  return schemaErrs.some(
    (p) =>
      p.path === at ||
      p.path.startsWith(at + '.') ||
      p.path.startsWith(at + '[') ||
      p.path === 'defaults' ||
      p.path.startsWith('defaults.'),
  )
}

/** Names in `requires_env` that are unset: such a check is disabled and its `${env:…}` left as written. */
function unsetRequired(merged: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  return ((merged.requires_env as string[] | undefined) ?? []).filter((n) => !env[n])
}

/** Whether the check's definition takes values from the environment in this run. */
function interpolates(merged: Record<string, unknown>, env: NodeJS.ProcessEnv): boolean {
  return unsetRequired(merged, env).length === 0 && JSON.stringify(merged).includes('${env:')
}

type At = (p: KeyPath, message: string) => void

/** Whether the check runs, and why not: disabled in the catalogue, or a required variable unset. */
function enablement(
  merged: Record<string, unknown>,
  unset: readonly string[],
): {enabled: boolean; disabledReason?: string} {
  if (unset.length > 0) return {enabled: false, disabledReason: `needs ${unset.join(', ')} set in the environment`}
  if (merged.enabled === false) return {enabled: false, disabledReason: 'disabled in the catalogue'}
  return {enabled: true, disabledReason: undefined}
}

/** Reads the check's `ca:` file (relative to its catalogue file), reporting one that is unreadable or holds no PEM. */
function readCa(file: string, spec: Record<string, unknown>, at: At): string | undefined {
  if (typeof spec.ca !== 'string') return undefined
  const caPath = path.resolve(path.dirname(file), spec.ca)
  const read = readRegularFile(caPath, CA_MAX_BYTES)
  if (!read.data) {
    at(
      ['ca'],
      `cannot read CA file ${caPath}: ${read.error}${read.error?.startsWith('too large') ? ' (a CA bundle is a few hundred KiB)' : ''}`,
    )
    return undefined
  }

  const ca = read.data.toString('utf8')
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) at(['ca'], `${caPath} holds no PEM certificate`)
  return ca
}

/** The command line's address overrides followed by the check's own `resolve:` rules. */
function resolveRules(spec: Record<string, unknown>, cliRules: readonly ResolveRule[], at: At): ResolveRule[] {
  const rules: ResolveRule[] = [...cliRules]
  for (const [i, r] of ((spec.resolve as string[] | undefined) ?? []).entries()) {
    const rule = parseResolveRule(r)
    if (rule) rules.push(rule)
    else at(['resolve', i], `expected host:port:address with an IP address, got "${r}"`)
  }

  return rules
}

function buildCheck(
  parsed: ParsedYaml,
  base: KeyPath,
  merged: Record<string, unknown>,
  run: Run,
  problems: Problem[],
  probeValidation = true,
): CheckDefinition | undefined {
  const {file} = parsed
  const id = merged.id as string
  const kind = merged.kind as string
  const probe = probeSpecFor(kind)
  if (!probe) return undefined
  const secrets = new Set<string>()
  // Messages may quote interpolated values (a probe's "not a URL: …"); they never show a secret.
  const at: At = (p, message) => {
    const pos = positionOf(parsed, [...base, ...p], false)
    problems.push({
      file,
      line: pos.line,
      col: pos.col,
      path: formatPath([...base, ...p]),
      message: `${new Redactor(secrets).text(message)} (check ${id})`,
    })
  }

  const before = problems.length
  const unset = unsetRequired(merged, run.env)
  const missing: {path: KeyPath; name: string}[] = []
  const spec = (unset.length > 0 ? merged : interpolate(merged, [], run.env, missing, secrets)) as Record<
    string,
    unknown
  >
  for (const m of missing) at(m.path, `environment variable ${m.name} is not set (used in ${formatPath(m.path)})`)
  if (probeValidation) for (const p of probe.validate?.(spec) ?? []) at(p.path, p.message)
  const ca = readCa(file, spec, at)
  const rules = resolveRules(spec, run.cliRules, at)
  if (problems.length > before) return undefined

  const pos = positionOf(parsed, base)
  return {
    id,
    name: (merged.name as string | undefined) ?? id,
    kind,
    target: String(merged.target),
    service: merged.service as string | undefined,
    tier: merged.tier as string | undefined,
    tags: (merged.tags as string[] | undefined) ?? [],
    description: merged.description as string | undefined,
    ...enablement(merged, unset),
    timeoutMs: typeof merged.timeout === 'string' ? durationMs(merged.timeout) : DEFAULT_TIMEOUT_MS,
    retries: (merged.retries as number | undefined) ?? DEFAULT_RETRIES,
    net: {ca, resolve: rules, resolver: (spec.resolver as string | undefined) ?? run.resolver},
    spec,
    secrets: [...secrets],
    source: {file, line: pos.line, col: pos.col},
  }
}

/** Like validateCatalogue, but throws a DefinitionError listing every problem. */
export function loadCatalogue(paths: readonly string[], opts: LoadOptions = {}): Catalogue {
  const {catalogue, problems} = validateCatalogue(paths, opts)
  if (!catalogue) throw new DefinitionError(problems, 'catalogue')
  return catalogue
}

/** Selects checks by id (exact or glob with *) and tag; no filter selects all. */
export function selectChecks(
  checks: readonly CheckDefinition[],
  filter: {ids?: readonly string[]; tags?: readonly string[]; services?: readonly string[]},
): CheckDefinition[] {
  const globs = (filter.ids ?? []).map((g) => globRegExp(g))
  return checks.filter(
    (c) =>
      (globs.length === 0 || globs.some((g) => g.test(c.id))) &&
      (!filter.tags?.length || filter.tags.some((t) => c.tags.includes(t))) &&
      (!filter.services?.length || filter.services.some((s) => c.service?.toLowerCase() === s.toLowerCase())),
  )
}
