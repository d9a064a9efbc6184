import type {ErrorObject} from 'ajv'
import type {Document, LineCounter, Node} from 'yaml'
import crypto from 'node:crypto'
import fs from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {Problem} from '../errors.js'
import type {SchemaValidator} from './validators.js'
import {requireBundle} from './code-cache.js'
import {formatDuration} from './duration.js'
import {didYouMean} from './suggest.js'

export type KeyPath = (string | number)[]

/**
 * A parsed YAML file. `doc` and `lines` (the document with positions) are there after a full parse; a file
 * taken from the cache has the value, the positions of paths up to two deep, and its text to parse again
 * when a deeper position is asked for (a problem to locate).
 */
export interface ParsedYaml {
  file: string
  value: unknown
  doc?: Document
  lines?: LineCounter
  text?: string
  /** `positionKey(path, key)` → position, for paths up to two deep. */
  positions?: Map<string, {line: number; col: number}>
  /** The cache entry: its name, and the validators (by id) the value is known to pass. */
  cache?: {key: string; valid: string[]}
}

// The yaml package (about 70 modules) is loaded only when a file is parsed, not when it comes from the cache:
// the build's one-file copy (scripts/oclif-pack.mjs) through V8's code cache when it is the installed version.
type YamlModule = typeof import('yaml')
let yamlModule: YamlModule | undefined
function yaml(): YamlModule {
  yamlModule ??= bundledYaml() ?? (createRequire(import.meta.url)('yaml') as YamlModule)
  return yamlModule
}

function bundledYaml(): YamlModule | undefined {
  return requireBundle(fileURLToPath(new URL('../vendor/yaml.cjs', import.meta.url)), 'yaml') as YamlModule | undefined
}

let installedYaml: string | undefined
function yamlVersion(): string {
  installedYaml ??= (createRequire(import.meta.url)('yaml/package.json') as {version: string}).version
  return installedYaml
}

/** `checks[3].expect.status` */
export function formatPath(path: KeyPath): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`
  return out
}

/**
 * Bounds that keep a broken or hostile file from hanging or exhausting the process: a size cap (a FIFO
 * or /dev/zero is refused before it is read), a nesting depth, and a cap on what aliases expand to
 * (an alias bomb of nine aliases to nine aliases… is hundreds of millions of values once expanded).
 */
export const YAML_LIMITS = {maxBytes: 4 * 1024 * 1024, maxDepth: 64, maxAliasValues: 50_000}

/** What kind of file system entry a stat describes, for messages. */
export function entryKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder'
  if (st.isFIFO()) return 'a FIFO'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

/**
 * Reads a file that must be a regular file of at most `maxBytes` (else `error` says why); a FIFO, a device or a folder is
 * refused before it is opened, so nothing blocks or reads without end.
 */
export function readRegularFile(file: string, maxBytes: number): {data?: Buffer; error?: string} {
  let fd: number | undefined
  try {
    const st = fs.statSync(file)
    if (!st.isFile()) return {error: `not a regular file (${entryKind(st)})`}
    if (st.size > maxBytes) return {error: `too large: ${st.size} bytes, more than the limit of ${maxBytes}`}
    fd = fs.openSync(file, 'r')
    // Read at most one byte past the cap, in case the file grew after the stat.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1)
    let n = 0
    for (let r; n < buf.length && (r = fs.readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r
    if (n > maxBytes) return {error: `too large: more than the limit of ${maxBytes} bytes`}
    return {data: buf.subarray(0, n)}
  } catch (error) {
    return {error: (error as Error).message}
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

const BOMS: [number[], string, string][] = [
  [[0xff, 0xfe, 0x00, 0x00], 'UTF-32 LE', 'UTF-32LE'],
  [[0x00, 0x00, 0xfe, 0xff], 'UTF-32 BE', 'UTF-32BE'],
  [[0xff, 0xfe], 'UTF-16 LE', 'UTF-16LE'],
  [[0xfe, 0xff], 'UTF-16 BE', 'UTF-16BE'],
]

function lineColAt(text: string, index: number): {line: number; col: number} {
  const before = text.slice(0, index)
  const nl = before.lastIndexOf('\n')
  return {line: before.split('\n').length, col: index - nl}
}

/** Decodes UTF-8 (a UTF-8 byte-order mark is dropped); UTF-16/32, NUL bytes and invalid UTF-8 are located problems. */
export function decodeYamlText(file: string, data: Buffer): {text?: string; problem?: Problem} {
  const at = (pos: {line: number; col: number}, message: string): {problem: Problem} => ({
    problem: {file, ...pos, path: '', message},
  })
  for (const [bom, name, iconv] of BOMS) {
    if (bom.every((b, i) => data[i] === b))
      return at(
        {line: 1, col: 1},
        `the file is ${name} (it starts with a ${name} byte-order mark); save it as UTF-8, e.g. iconv -f ${iconv} -t UTF-8`,
      )
  }

  const start = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0
  const text = data.toString('utf8', start)
  const nul = text.indexOf('\0')
  if (nul !== -1) {
    const wide =
      data.length >= 4 && (data[1] === 0 || data[0] === 0)
        ? '; it looks like UTF-16 or UTF-32 without a byte-order mark: save it as UTF-8'
        : ''
    return at(lineColAt(text, nul), `the file holds a NUL byte${wide || '; YAML definitions are UTF-8 text'}`)
  }

  // U+FFFD in the decoded text is either written in the file or stands for bytes that are not UTF-8.
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    const offset = start + Buffer.byteLength(text.slice(0, i))
    if (!(data[offset] === 0xef && data[offset + 1] === 0xbf && data[offset + 2] === 0xbd)) {
      return at(
        lineColAt(text, i),
        `not UTF-8: byte 0x${data[offset].toString(16).padStart(2, '0')} at offset ${offset} (is the file Latin-1 or Windows-1252? save it as UTF-8)`,
      )
    }
  }

  return {text}
}

/** The first collection nested deeper than the limit, if any (walked without recursion). */
function tooDeep(doc: Document, max: number): Node | undefined {
  const {isCollection, isPair} = yaml()
  const stack: [unknown, number][] = [[doc.contents, 1]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number]
    if (!isCollection(node)) continue
    if (depth > max) return node
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        stack.push([item.value, depth + 1])
        if (isCollection(item.key)) stack.push([item.key, depth + 1])
      } else stack.push([item, depth + 1])
    }
  }

  return undefined
}

/**
 * Resolves every alias once, in document order: an alias with no anchor before it, an alias inside
 * the node it names, and aliases that expand past `maxValues` values are located problems.
 */
function aliasProblems(parsed: {file: string; doc: Document; lines: LineCounter}, maxValues: number): Problem[] {
  const {isAlias, isCollection, isPair} = yaml()
  const anchors = new Map<string, Node>()
  const sizes = new Map<Node, number>()
  const open = new Set<Node>()
  const problems: Problem[] = []
  let expanded = 0
  const problem = (node: Node, message: string) => {
    const pos = parsed.lines.linePos(node.range?.[0] ?? 0)
    problems.push({file: parsed.file, line: pos.line, col: pos.col, path: '', message})
  }

  // Depth is bounded before this runs, so the recursion is shallow.
  const size = (node: unknown): number => {
    if (problems.length > 0 || node === null || node === undefined) return 0
    if (isAlias(node)) {
      const target = anchors.get(node.source)
      if (!target) {
        problem(
          node,
          `unknown alias *${node.source}: no anchor &${node.source} comes before it` +
            ' (a value starting with * is a YAML alias; quote a glob such as "*-ping")',
        )
        return 0
      }

      if (open.has(target)) {
        problem(node, `alias *${node.source} is inside the node it names, which would make the value endless`)
        return 0
      }

      const n = sizes.get(target) ?? 1
      expanded += n
      if (expanded > maxValues)
        problem(
          node,
          `aliases expand to more than ${maxValues} values here (an alias bomb?); write the values out or use fewer nested aliases`,
        )
      return n
    }

    const n = node as Node
    if (n.anchor) anchors.set(n.anchor, n)
    let total = 1
    if (isCollection(n)) {
      open.add(n)
      for (const item of n.items as unknown[]) total += isPair(item) ? size(item.key) + size(item.value) : size(item)
      open.delete(n)
    }

    sizes.set(n, total)
    return total
  }

  size(parsed.doc.contents)
  return problems
}

/**
 * A YAML file whose top level must be a mapping: its parse, or the problems that stop it (syntax, or a top
 * level of another type, reported at 1:1 as "expected …" with `expected` saying what the file should hold).
 */
export function parseYamlMapping(
  file: string,
  expected: string,
): {parsed?: ParsedYaml; doc?: Record<string, unknown>; problems: Problem[]} {
  const {parsed, problems} = parseYamlFile(file)
  if (!parsed) return {problems}
  const {value} = parsed
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return {problems: [...problems, {file, line: 1, col: 1, path: '', message: `expected ${expected}`}]}
  return {parsed, doc: value as Record<string, unknown>, problems}
}

/**
 * Reads and parses one YAML file. Syntax errors, duplicate keys, wrong encodings, files that are not
 * regular or too large, nesting past the limit and bad aliases all come back as located problems.
 */
export function parseYamlFile(file: string, text?: string): {parsed?: ParsedYaml; problems: Problem[]} {
  let src: string
  if (text === undefined) {
    const read = readRegularFile(file, YAML_LIMITS.maxBytes)
    if (!read.data) return {problems: [{file, line: 1, col: 1, path: '', message: `cannot read file: ${read.error}`}]}
    const decoded = decodeYamlText(file, read.data)
    if (decoded.problem) return {problems: [decoded.problem]}
    src = decoded.text as string
  } else {
    src = text
  }

  const cache = cacheKey(src)
  const hit = cache ? readCache(file, src, cache) : undefined
  if (hit) return {parsed: hit, problems: []}
  const {LineCounter, parseDocument} = yaml()
  const lines = new LineCounter()
  const doc = parseDocument(src, {lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true})
  const deep = `nested more than ${YAML_LIMITS.maxDepth} levels deep`
  const problems: Problem[] = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0])
    // The parser runs out of stack on very deep nesting; say what the file did.
    if (e.code === 'RESOURCE_EXHAUSTION') return {file, line: pos.line, col: pos.col, path: '', message: `YAML ${deep}`}
    return {
      file,
      line: pos.line,
      col: pos.col,
      path: '',
      message: `YAML ${e.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'syntax error'}: ${e.message.split('\n')[0]}`,
    }
  })
  if (problems.length > 0) {
    const first = problems.findIndex((p) => p.message.endsWith(deep))
    return {problems: problems.filter((p, i) => i === first || !p.message.endsWith(deep))}
  }

  const node = tooDeep(doc, YAML_LIMITS.maxDepth)
  if (node) {
    const pos = lines.linePos(node.range?.[0] ?? 0)
    return {problems: [{file, line: pos.line, col: pos.col, path: '', message: `YAML ${deep}`}]}
  }

  const aliases = aliasProblems({file, doc, lines}, YAML_LIMITS.maxAliasValues)
  if (aliases.length > 0) return {problems: aliases}
  try {
    // Aliases were bounded above; the library's own count is stricter than needed for plain reuse.
    const value = doc.toJS({maxAliasCount: -1})
    return {
      parsed: {file, doc, lines, value, ...(cache && jsonSafe(value) ? {cache: {key: cache, valid: []}} : {})},
      problems: [],
    }
  } catch (error) {
    return {problems: [{file, line: 1, col: 1, path: '', message: `YAML cannot be read: ${(error as Error).message}`}]}
  }
}

/** Line and column (1-based) of the node at `path`, or of its key when `key` is set. */
export function positionOf(parsed: ParsedYaml, path: KeyPath, key = false): {line: number; col: number} {
  const known = parsed.positions?.get(positionKey(path, key))
  if (known) return known
  const {doc, lines} = documentOf(parsed)
  const {isMap, isSeq} = yaml()
  let node: unknown = doc.contents
  let keyNode: Node | undefined
  let deepest: unknown = node
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = p.key as {value?: unknown} | null
        return k !== null && typeof k === 'object' && String(k.value) === String(seg)
      })
      if (!pair) break
      keyNode = pair.key as Node
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      keyNode = undefined
      node = node.items[seg]
    } else break
    if (node) deepest = node
  }

  const target = (key && keyNode ? keyNode : (node ?? keyNode ?? deepest)) as Node | undefined
  const offset = target?.range?.[0] ?? 0
  return lines.linePos(offset)
}

/** The document with positions (parsed again from the text when the file came from the cache). */
function documentOf(parsed: ParsedYaml): {doc: Document; lines: LineCounter} {
  if (!parsed.doc || !parsed.lines) {
    const {LineCounter, parseDocument} = yaml()
    parsed.lines = new LineCounter()
    parsed.doc = parseDocument(parsed.text ?? '', {
      lineCounter: parsed.lines,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
    })
  }

  return {doc: parsed.doc, lines: parsed.lines}
}

function positionKey(path: KeyPath, key: boolean): string {
  return `${key ? 'k' : 'v'}${JSON.stringify(path)}`
}

function pointerToPath(pointer: string): KeyPath {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => {
      const t = s.replaceAll('~1', '/').replaceAll('~0', '~')
      return /^\d+$/.test(t) ? Number(t) : t
    })
}

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  const text = JSON.stringify(v)
  return `${typeof v} ${text.length > 60 ? text.slice(0, 59) + '…' : text}`
}

function describeSchema(s: Record<string, unknown> | undefined): string | undefined {
  if (!s) return undefined
  if (typeof s.description === 'string') return s.description
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((x) => JSON.stringify(x)).join(', ')}`
  if (typeof s.type === 'string') return s.type
  return undefined
}

function describeRange([min, max]: [number, number]): string {
  const show = (ms: number) => (ms === 0 ? '0s' : formatDuration(ms))
  return min === 0 ? `at most ${show(max)}` : `from ${show(min)} to ${show(max)}`
}

/** Turns a label for a path (e.g. a check id) into extra context in messages. */
export type PathLabeller = (path: KeyPath) => string | undefined

/** Where one Ajv error points and what it says in words; undefined for an error that is only noise. */
function describeError(e: ErrorObject): {at: KeyPath; key: boolean; message: string} | undefined {
  const path = pointerToPath(e.instancePath)
  let at = path
  let key = false
  let message: string
  const parent = e.parentSchema as Record<string, unknown> | undefined
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String((e.params as {additionalProperty: string}).additionalProperty)
      const allowed = Object.keys((parent?.properties as Record<string, unknown>) ?? {})
      const guess = didYouMean(name, allowed)
      at = [...path, name]
      key = true
      message =
        `unknown key "${name}"` +
        (guess ? `; did you mean "${guess}"?` : allowed.length > 0 ? `; allowed keys: ${allowed.join(', ')}` : '')
      break
    }

    case 'required': {
      message = `missing required key "${(e.params as {missingProperty: string}).missingProperty}"`
      break
    }

    case 'type': {
      message = `expected ${(e.params as {type: string}).type}${typeof parent?.description === 'string' ? ` (${parent.description})` : ''}, got ${typeName(e.data)}`
      break
    }

    case 'enum': {
      const allowed = (e.params as {allowedValues: unknown[]}).allowedValues
      const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed.map(String)) : undefined
      message =
        `expected one of ${allowed.map((x) => JSON.stringify(x)).join(', ')}, got ${typeName(e.data)}` +
        (guess ? `; did you mean "${guess}"?` : '')
      break
    }

    case 'discriminator': {
      // An unknown or missing kind is already reported by the enum/required error beside it.
      return undefined
    }

    case 'pattern': {
      // `${env:NAME}` is filled in after validation; its shape cannot be judged here.
      if (typeof e.data === 'string' && e.data.includes('${env:')) return undefined
      message = `expected ${describeSchema(parent) ?? 'a value matching ' + (e.params as {pattern: string}).pattern}, got ${typeName(e.data)}`
      break
    }

    case 'oneOf':
    case 'anyOf': {
      message = `expected ${describeSchema(parent) ?? 'one of the allowed forms'}, got ${typeName(e.data)}`
      break
    }

    case 'durationRange': {
      const range = e.schema as [number, number]
      const timer = range[1] < 2 ** 31 ? " (Node's timers hold at most 24.8 days)" : ''
      message = `expected a duration ${describeRange(range)}${timer}, got ${typeName(e.data)}`
      break
    }

    case 'const': {
      message = `expected ${JSON.stringify((e.params as {allowedValue: unknown}).allowedValue)}, got ${typeName(e.data)}`
      break
    }

    default: {
      message = e.message ?? `invalid (${e.keyword})`
    }
  }

  return {at, key, message}
}

/**
 * Validates a parsed file and returns one located problem per real mistake: unknown keys (with "did you
 * mean"), missing keys, wrong types, bad values. Noise from alternative branches is folded into one message.
 */
export function schemaProblems(parsed: ParsedYaml, validator: SchemaValidator, label?: PathLabeller): Problem[] {
  const {id} = validator
  if (knownValid(parsed, id)) return []
  const validate = validator.validate()
  if (validate(parsed.value)) {
    markValid(parsed, id)
    return []
  }

  const errors = (validate.errors ?? []) as ErrorObject[]
  // Where a oneOf/anyOf failed, its branches' errors at the same place are noise: keep the oneOf's own.
  const alternatives = errors.filter(
    (e) =>
      (e.keyword === 'oneOf' || e.keyword === 'anyOf') && !(e.parentSchema as Record<string, unknown>)?.discriminator,
  )
  const isBranchNoise = (e: ErrorObject) =>
    alternatives.some(
      (a) =>
        a !== e &&
        e.schemaPath.startsWith(a.schemaPath.replace(/\/(oneOf|anyOf)$/, '/$1/')) &&
        e.instancePath === a.instancePath,
    )
  const problems: Problem[] = []
  const seen = new Set<string>()
  for (const e of errors) {
    if (isBranchNoise(e)) continue
    const described = describeError(e)
    if (!described) continue
    const {at, key} = described
    let {message} = described
    const where = label?.(at)
    if (where) message = `${message} (${where})`
    const pos = positionOf(parsed, at, key)
    const problem: Problem = {file: parsed.file, line: pos.line, col: pos.col, path: formatPath(at), message}
    const k = `${problem.line}:${problem.col}:${problem.message}`
    if (!seen.has(k)) {
      seen.add(k)
      problems.push(problem)
    }
  }

  return problems
}

/** Whether the parse cache records the file's value as passing `id` (a validator, or checks of the value alone). */
export function knownValid(parsed: ParsedYaml, id: string): boolean {
  return parsed.cache?.valid.includes(id) ?? false
}

/** Records in the parse cache that the file's value passed `id`; only for checks that depend on nothing but the value. */
export function markValid(parsed: ParsedYaml, id: string): void {
  if (!parsed.cache || parsed.cache.valid.includes(id)) return
  parsed.cache.valid.push(id)
  writeCache(parsed)
}

export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col)
}

/*
 * The parse cache: a file's value, its shallow positions and the validators it passed, stored under the
 * SHA-256 of its text (with the yaml version and the limits), in $XDG_CACHE_HOME/watchkeeper/yaml
 * (~/.cache when unset). An unchanged file then starts without loading the yaml package, parsing or
 * validating; a changed file is a new key. Values JSON cannot carry exactly (.inf, .nan, -0) are not cached.
 */
const CACHE_FORMAT = 1
const CACHE_MAX_ENTRIES = 500

function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.WATCHKEEPER_YAML_CACHE === 'off') return undefined
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache')
  return path.join(base, 'watchkeeper', 'yaml')
}

let cacheSalt: string | undefined
function cacheKey(src: string): string | undefined {
  try {
    cacheSalt ??= `${CACHE_FORMAT}\0${yamlVersion()}\0${JSON.stringify(YAML_LIMITS)}\0`
    return crypto.createHash('sha256').update(cacheSalt).update(src).digest('hex')
  } catch {
    return undefined
  }
}

function readCache(file: string, text: string, key: string): ParsedYaml | undefined {
  const dir = cacheDir()
  if (!dir) return undefined
  let entry: {format?: unknown; value?: unknown; positions?: unknown; valid?: unknown}
  try {
    entry = JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), 'utf8'))
  } catch {
    return undefined
  }

  if (
    entry?.format !== CACHE_FORMAT ||
    !Array.isArray(entry.positions) ||
    !Array.isArray(entry.valid) ||
    !('value' in entry)
  )
    return undefined
  const positions = new Map<string, {line: number; col: number}>()
  for (const [k, line, col] of entry.positions as [string, number, number][]) positions.set(k, {line, col})
  return {
    file,
    value: entry.value,
    text,
    positions,
    cache: {key, valid: entry.valid.filter((v): v is string => typeof v === 'string')},
  }
}

function writeCache(parsed: ParsedYaml): void {
  const dir = cacheDir()
  if (!dir || !parsed.cache) return
  try {
    const positions = parsed.positions ?? shallowPositions(parsed)
    parsed.positions = positions
    fs.mkdirSync(dir, {recursive: true, mode: 0o700})
    const file = path.join(dir, `${parsed.cache.key}.json`)
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(
      tmp,
      JSON.stringify({
        format: CACHE_FORMAT,
        value: parsed.value,
        valid: parsed.cache.valid,
        positions: [...positions].map(([k, p]) => [k, p.line, p.col]),
      }),
      {mode: 0o600},
    )
    fs.renameSync(tmp, file)
    pruneCache(dir)
  } catch {
    // The cache only saves time: one that cannot be written is skipped.
  }
}

/** Keeps the newest CACHE_MAX_ENTRIES entries. */
function pruneCache(dir: string): void {
  const names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'))
  if (names.length <= CACHE_MAX_ENTRIES) return
  const byAge = names.map((n) => ({n, t: fs.statSync(path.join(dir, n)).mtimeMs})).sort((a, b) => a.t - b.t)
  for (const {n} of byAge.slice(0, names.length - CACHE_MAX_ENTRIES)) fs.rmSync(path.join(dir, n), {force: true})
}

/** Positions of the document's root and of every path one and two deep, values and keys. */
function shallowPositions(parsed: ParsedYaml): Map<string, {line: number; col: number}> {
  const out = new Map<string, {line: number; col: number}>()
  const add = (p: KeyPath) => {
    for (const key of [false, true]) out.set(positionKey(p, key), positionOf(parsed, p, key))
  }

  const children = (v: unknown): KeyPath =>
    Array.isArray(v) ? v.map((_, i) => i) : v && typeof v === 'object' ? Object.keys(v) : []
  add([])
  for (const a of children(parsed.value)) {
    add([a])
    for (const b of children((parsed.value as Record<string | number, unknown>)[a])) add([a, b])
  }

  return out
}

/** Whether JSON gives back exactly this value (plain data, finite numbers, no -0). */
function jsonSafe(value: unknown): boolean {
  const stack = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || Object.is(v, -0)) return false
      continue
    }

    if (Array.isArray(v)) for (const x of v) stack.push(x)
    else if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      if (Object.hasOwn(v, '__proto__')) return false
      for (const x of Object.values(v)) stack.push(x)
    } else return false
  }

  return true
}
