import fs from 'node:fs'
import path from 'node:path'

import type {Playbook} from '../playbooks/model.js'
import type {ClockEntry, ClockKeys} from './clock-schema.js'
import type {ClockDef} from './clocks.js'
import {DefinitionError, type Problem, UserError} from '../errors.js'
import {SHIPPED_CLOCKS} from '../paths.js'
import {yamlFilesIn} from '../util/files.js'
import {schemaValidator} from '../util/validators.js'
import {
  formatPath,
  type KeyPath,
  parseYamlMapping,
  positionOf,
  schemaProblems,
  sortProblems,
} from '../util/yaml-schema.js'
import {parseIsoDuration} from './time.js'

const validator = schemaValidator('clocks')

/** The user's clock files: --clocks values, else WATCHKEEPER_CLOCKS (path-list). The shipped clocks/ always load first. */
export function userClockPaths(flag?: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  if (flag && flag.length > 0) return [...flag]
  return (env.WATCHKEEPER_CLOCKS ?? '').split(path.delimiter).filter(Boolean)
}

function filesOf(p: string): string[] {
  let st: fs.Stats
  try {
    st = fs.statSync(p)
  } catch {
    throw new UserError(`Clock file or folder not found: ${p}`, {
      hint: 'Pass --clocks (or WATCHKEEPER_CLOCKS) a YAML file or a folder of them.',
      code: 'E_NO_CLOCKS',
      exit: 2,
    })
  }

  return st.isDirectory() ? yamlFilesIn(p) : [p]
}

/** The keys a clock has in YAML (a clock file entry, or a playbook's clocks: entry), as a definition. */
export function clockDefFrom(name: string, raw: ClockKeys): Partial<ClockDef> & {name: string} {
  const out: Partial<ClockDef> & {name: string} = {name}
  const set = <K extends keyof ClockDef>(k: K, v: ClockDef[K] | undefined) => {
    if (v !== undefined) out[k] = v
  }

  set('to', raw.to)
  set('basis', raw.basis)
  set('source', raw.source)
  set('durationMs', typeof raw.duration === 'string' ? parseIsoDuration(raw.duration) : undefined)
  set('duration', raw.duration)
  set('businessDays', raw.business_days)
  if (raw.duration !== undefined && raw.business_days === undefined) out.businessDays = undefined
  if (raw.business_days !== undefined && raw.duration === undefined) {
    out.durationMs = undefined
    out.duration = undefined
  }

  set(
    'warnBeforeMs',
    raw.warn_when_remaining?.map((w) => parseIsoDuration(w) ?? 0).filter((w) => w > 0),
  )
  set('startsFrom', raw.starts_from)
  set('effectiveFrom', raw.effective_from)
  set('effectiveUntil', raw.effective_until)
  set('enabled', raw.enabled)
  set('restartable', raw.restartable)
  set('note', raw.note)
  return out
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** What validating the clock files gathers; a user's clock (group 1) replaces a shipped one of its name. */
interface Gathered {
  defs: Map<string, ClockDef>
  problems: Problem[]
}

/**
 * Loads and validates clock files, reporting every problem at once. The shipped clocks/ come first; a user's
 * clock of the same name replaces the shipped one; a name twice among the user's (or the shipped) files is an error.
 */
export function validateClocks(
  userPaths: readonly string[] = [],
  shipped: string = SHIPPED_CLOCKS,
): {defs: Map<string, ClockDef>; files: string[]; problems: Problem[]} {
  const g: Gathered = {defs: new Map(), problems: []}
  const files: string[] = []
  const groups = [fs.existsSync(shipped) ? filesOf(shipped) : [], [...new Set(userPaths.flatMap(filesOf))]]
  for (const [gi, group] of groups.entries()) {
    const firstSeen = new Map<string, string>()
    for (const file of group) {
      files.push(file)
      validateClockFile(file, gi === 1, firstSeen, g)
    }
  }

  return {defs: g.defs, files, problems: sortProblems(g.problems)}
}

/** Validates one clock file, adding its clocks to `g`; `firstSeen` holds the names of its group so far. */
function validateClockFile(file: string, user: boolean, firstSeen: Map<string, string>, g: Gathered): void {
  const {problems} = g
  const {parsed, doc, problems: read} = parseYamlMapping(file, 'a mapping with a "clocks:" list')
  problems.push(...read)
  if (!parsed || !doc) return
  const list: unknown = 'clocks' in doc ? doc.clocks : undefined
  const raws: unknown[] = Array.isArray(list) ? list : []
  const nameAt = (i: unknown) => {
    const r = typeof i === 'number' ? raws[i] : undefined
    return isRecord(r) && typeof r.name === 'string' ? r.name : undefined
  }

  const labeller = (p: KeyPath) =>
    p[0] === 'clocks' && nameAt(p[1]) !== undefined ? `clock ${nameAt(p[1])}` : undefined
  const errs = schemaProblems(parsed, validator, labeller)
  problems.push(...errs)
  for (const [i, raw] of raws.entries()) {
    const base: KeyPath = ['clocks', i]
    const prefix = formatPath(base)
    if (
      !isRecord(raw) ||
      errs.some((p) => p.path === prefix || p.path.startsWith(prefix + '.') || p.path.startsWith(prefix + '['))
    )
      continue
    // The schema has accepted this entry (no problem under its path): it is a ClockEntry.
    const entry = raw as ClockEntry
    const at = (key: KeyPath, message: string) => {
      const pos = positionOf(parsed, [...base, ...key])
      problems.push({
        file,
        line: pos.line,
        col: pos.col,
        path: formatPath([...base, ...key]),
        message: `${message} (clock ${String(raw.name)})`,
      })
    }

    const pos = positionOf(parsed, base)
    const def = clockEntryDef(entry, `${file}:${pos.line}:${pos.col}`, firstSeen, at)
    if (def && (user || !g.defs.has(def.name))) g.defs.set(def.name, def)
  }
}

/** One schema-valid clock entry as a definition, or undefined after reporting a duplicate or inconsistent one. */
function clockEntryDef(
  entry: ClockEntry,
  where: string,
  firstSeen: Map<string, string>,
  at: (key: KeyPath, message: string) => void,
): ClockDef | undefined {
  const {name} = entry
  const prev = firstSeen.get(name)
  if (prev) {
    at(['name'], `duplicate clock name "${name}" (first defined at ${prev})`)
    return undefined
  }

  firstSeen.set(name, where)
  if (
    entry.effective_from !== undefined &&
    entry.effective_until !== undefined &&
    entry.effective_until < entry.effective_from
  ) {
    at(['effective_until'], `effective_until ${entry.effective_until} is before effective_from ${entry.effective_from}`)
    return undefined
  }

  const def: ClockDef = {warnBeforeMs: [], ...clockDefFrom(name, entry), definedAt: where}
  const length = def.durationMs ?? Infinity
  if ((def.warnBeforeMs ?? []).some((w) => w >= length)) {
    at(['warn_when_remaining'], 'a warning point is not shorter than the clock itself')
    return undefined
  }

  return def
}

const cache = new Map<string, Map<string, ClockDef>>()

/** Every clock definition (shipped, then the user's); throws DefinitionError (exit 2) on any problem. */
export function clockRegistry(userPaths: readonly string[] = userClockPaths()): Map<string, ClockDef> {
  const key = userPaths.join('\0')
  const hit = cache.get(key)
  if (hit) return hit
  const {defs, problems} = validateClocks(userPaths)
  if (problems.length > 0) throw new DefinitionError(problems, 'clock')
  cache.set(key, defs)
  return defs
}

/**
 * Clock definitions available to an incident: the registry's (shipped clocks/ and the user's), with a playbook's
 * (and sub-playbooks') own clocks: laid over them key by key.
 */
export function clockDefsFor(
  playbook: Playbook | undefined,
  registry: Map<string, ClockDef> = clockRegistry(),
): Map<string, ClockDef> {
  const defs = new Map<string, ClockDef>(registry)
  const declared = new Set<string>()
  const visit = (p: Playbook) => {
    for (const [name, c] of Object.entries(p.clocks)) {
      if (declared.has(name)) continue
      declared.add(name)
      const base = registry.get(name) ?? {name, warnBeforeMs: [], startsFrom: 'declared' as const}
      defs.set(name, {...base, ...clockDefFrom(name, c), definedAt: `${p.file} clocks.${name}`})
    }

    for (const s of Object.values(p.subs)) visit(s)
  }

  if (playbook) visit(playbook)
  return defs
}
