import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'
import fs from 'node:fs'
import {type Document, isMap, isSeq, LineCounter, type Node, parseDocument} from 'yaml'

import type {Problem} from '../errors.js'
import {didYouMean} from './suggest.js'

export type KeyPath = (string | number)[]

/** A YAML file parsed with positions kept. */
export interface ParsedYaml {
  file: string
  doc: Document
  lines: LineCounter
  value: unknown
}

/** `checks[3].expect.status` */
export function formatPath(path: KeyPath): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`
  return out
}

/** Reads and parses one YAML file; syntax errors (and duplicate keys) come back as problems. */
export function parseYamlFile(file: string, text?: string): {parsed?: ParsedYaml; problems: Problem[]} {
  let src: string
  try {
    src = text ?? fs.readFileSync(file, 'utf8')
  } catch (error) {
    return {problems: [{file, line: 0, col: 0, path: '', message: `cannot read file: ${(error as Error).message}`}]}
  }
  const lines = new LineCounter()
  const doc = parseDocument(src, {lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true})
  const problems: Problem[] = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0])
    return {file, line: pos.line, col: pos.col, path: '', message: `YAML ${e.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'syntax error'}: ${e.message.split('\n')[0]}`}
  })
  if (problems.length > 0) return {problems}
  return {parsed: {file, doc, lines, value: doc.toJS({maxAliasCount: 100})}, problems: []}
}

/** Line and column (1-based) of the node at `path`, or of its key when `key` is set. */
export function positionOf(parsed: ParsedYaml, path: KeyPath, key = false): {line: number; col: number} {
  let node: unknown = parsed.doc.contents
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
  return parsed.lines.linePos(offset)
}

function pointerToPath(pointer: string): KeyPath {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map((s) => {
    const t = s.replace(/~1/g, '/').replace(/~0/g, '~')
    return /^\d+$/.test(t) ? Number(t) : t
  })
}

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v} ${JSON.stringify(v)}`
}

function describeSchema(s: Record<string, unknown> | undefined): string | undefined {
  if (!s) return undefined
  if (typeof s.description === 'string') return s.description
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((x) => JSON.stringify(x)).join(', ')}`
  if (typeof s.type === 'string') return s.type
  return undefined
}

export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const ajv = new Ajv({allErrors: true, discriminator: true, verbose: true, strict: false})
  return ajv.compile(schema)
}

/** Turns a label for a path (e.g. a check id) into extra context in messages. */
export type PathLabeller = (path: KeyPath) => string | undefined

/**
 * Validates a parsed file and returns one located problem per real mistake: unknown keys (with "did you
 * mean"), missing keys, wrong types, bad values. Noise from alternative branches is folded into one message.
 */
export function schemaProblems(parsed: ParsedYaml, validate: ValidateFunction, label?: PathLabeller): Problem[] {
  if (validate(parsed.value)) return []
  const errors = (validate.errors ?? []) as ErrorObject[]
  // Where a oneOf/anyOf failed, its branches' errors at the same place are noise: keep the oneOf's own.
  const alternatives = errors.filter((e) => (e.keyword === 'oneOf' || e.keyword === 'anyOf') && !(e.parentSchema as Record<string, unknown>)?.discriminator)
  const isBranchNoise = (e: ErrorObject) =>
    alternatives.some((a) => a !== e && e.schemaPath.startsWith(a.schemaPath.replace(/\/(oneOf|anyOf)$/, '/$1/')) && e.instancePath === a.instancePath)
  const problems: Problem[] = []
  const seen = new Set<string>()
  for (const e of errors) {
    if (isBranchNoise(e)) continue
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
        message = `unknown key "${name}"` + (guess ? `; did you mean "${guess}"?` : allowed.length > 0 ? `; allowed keys: ${allowed.join(', ')}` : '')
        break
      }
      case 'required':
        message = `missing required key "${(e.params as {missingProperty: string}).missingProperty}"`
        break
      case 'type':
        message = `expected ${(e.params as {type: string}).type}${typeof parent?.description === 'string' ? ` (${parent.description})` : ''}, got ${typeName(e.data)}`
        break
      case 'enum': {
        const allowed = (e.params as {allowedValues: unknown[]}).allowedValues
        const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed.map(String)) : undefined
        message = `expected one of ${allowed.map((x) => JSON.stringify(x)).join(', ')}, got ${typeName(e.data)}` + (guess ? `; did you mean "${guess}"?` : '')
        break
      }
      case 'discriminator':
        // An unknown or missing kind is already reported by the enum/required error beside it.
        continue
      case 'pattern':
        // `${env:NAME}` is filled in after validation; its shape cannot be judged here.
        if (typeof e.data === 'string' && e.data.includes('${env:')) continue
        message = `expected ${describeSchema(parent) ?? 'a value matching ' + (e.params as {pattern: string}).pattern}, got ${typeName(e.data)}`
        break
      case 'oneOf':
      case 'anyOf':
        message = `expected ${describeSchema(parent) ?? 'one of the allowed forms'}, got ${typeName(e.data)}`
        break
      case 'const':
        message = `expected ${JSON.stringify((e.params as {allowedValue: unknown}).allowedValue)}, got ${typeName(e.data)}`
        break
      default:
        message = e.message ?? `invalid (${e.keyword})`
    }
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

export function sortProblems(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col)
}
