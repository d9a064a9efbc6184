import {createHash} from 'node:crypto'

import type {Finding} from '../types.js'

/*
 * Results are stored in blocks: one row of result_blocks per check, vantage and UTC hour (a new block when
 * one holds BLOCK_CAPACITY results), its results packed one after another in `data`. A result's id is
 * block id × BLOCK_CAPACITY + its position in the block.
 *
 * One result, in this order (varints are LEB128; signed ones zigzag):
 *   flags byte   bits 0-1 status code; SAME_SHAPE, SAME_TEXT, SAME_EXTRA, SAME_RUN, ONE_ATTEMPT as below
 *   time         signed: (ts − previous ts) − (previous ts − the one before), from the hour start
 *   shape        unless SAME_SHAPE: dictionary id of the fields present (timings and metrics, in order)
 *   attempts     unless ONE_ATTEMPT
 *   run          unless SAME_RUN: signed, run id (0 for none) − the previous one
 *   duration     signed, − the previous duration in the block
 *   fields       per shape field: signed, − that field's previous value in the block ("i" integers,
 *                "t" tenths); "f" fields are 8-byte float64 as they are
 *   summary      unless SAME_TEXT: dictionary id of its template (numbers taken out); then each number,
 *                signed, − the same number of the previous use of that template in the block
 *   extra        unless SAME_EXTRA: dictionary id of {findings, details} as JSON (0 when neither)
 * Dictionary texts (result_texts) start with S (shape), T (template), L (a summary kept whole) or X (extra).
 */

export const BLOCK_CAPACITY = 4096
export const BLOCK_HOUR_MS = 3_600_000

const SAME_SHAPE = 4
const SAME_TEXT = 8
const SAME_EXTRA = 16
const SAME_RUN = 32
const ONE_ATTEMPT = 64

/** Timing fields with their own slot, in display order (totalMs is the duration). */
export const TIMING_FIELDS = ['dnsMs', 'connectMs', 'tlsMs', 'processingMs', 'transferMs', 'ttfbMs'] as const
export type TimingField = (typeof TIMING_FIELDS)[number]

/** One result as a block holds it. */
export interface BlockEntry {
  ts: number
  status: number
  durationMs: number
  timings: Partial<Record<TimingField, number>>
  attempts: number
  runId: number | null
  summary: string
  metrics: Record<string, number>
  findings: Finding[]
  details?: Record<string, unknown>
}

type Code = 'i' | 't' | 'f'
/** A shape field: a timing (name as in TIMING_FIELDS) or a metric ('#' + name), and how it is coded. */
type ShapeField = [string, Code]

/** What appending needs to know of a block's last result. */
export interface BlockState {
  n: number
  prevTs: number
  prevDelta: number
  shape: number
  text: number
  extra: number
  run: number
  prevDuration: number
  prev: Map<string, number>
  nums: Map<number, number[]>
}

export function emptyState(hour: number): BlockState {
  return {
    n: 0,
    prevTs: hour * BLOCK_HOUR_MS,
    prevDelta: 0,
    shape: -1,
    text: -1,
    extra: 0,
    run: 0,
    prevDuration: 0,
    prev: new Map(),
    nums: new Map(),
  }
}

/** The dictionary: ids of texts, looked up (or added) by the writer, read by the decoder. */
export interface Dictionary {
  id(text: string): number
  text(id: number): string
}

// ---------------------------------------------------------------------------------------------------------
// Varints
// ---------------------------------------------------------------------------------------------------------

class Out {
  private buf = Buffer.allocUnsafe(256)
  length = 0

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n))
    this.buf.copy(bigger, 0, 0, this.length)
    this.buf = bigger
  }

  byte(b: number): void {
    this.room(1)
    this.buf[this.length++] = b
  }

  u(v: number): void {
    this.room(8)
    let n = v
    while (n >= 128) {
      this.buf[this.length++] = (n % 128) | 128
      n = Math.floor(n / 128)
    }

    this.buf[this.length++] = n
  }

  s(v: number): void {
    this.u(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  f(v: number): void {
    this.room(8)
    this.buf.writeDoubleLE(v, this.length)
    this.length += 8
  }

  /** The bytes written, in a buffer of their own. */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length))
  }
}

class In {
  at = 0

  constructor(readonly buf: Uint8Array) {}

  u(): number {
    let n = 0
    let scale = 1
    for (;;) {
      const b = this.buf[this.at++]
      if (b === undefined) throw new Error('result block truncated')
      n += (b & 127) * scale
      if (b < 128) return n
      scale *= 128
    }
  }

  s(): number {
    const z = this.u()
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2
  }

  f(): number {
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.at, 8).readDoubleLE(0)
    this.at += 8
    return v
  }

  get done(): boolean {
    return this.at >= this.buf.length
  }
}

// ---------------------------------------------------------------------------------------------------------
// Texts
// ---------------------------------------------------------------------------------------------------------

const NUMBER = /(?<!\d)(?:0|[1-9]\d{0,14})(?!\d)/g
const SLOT = '\u0001'

/** A summary as a template and its numbers (a summary holding the slot character is kept whole). */
export function splitSummary(summary: string): {template: string; numbers: number[]} {
  if (summary.includes(SLOT)) return {template: 'L' + summary, numbers: []}
  const numbers: number[] = []
  const template =
    'T' +
    summary.replaceAll(NUMBER, (m) => {
      numbers.push(Number(m))
      return SLOT
    })
  return {template, numbers}
}

// Summaries repeat (a check's "HTTP 200 in 3 ms"): their splits are kept, bounded, for the writer.
const splits = new Map<string, {template: string; numbers: number[]}>()

function splitCached(summary: string): {template: string; numbers: number[]} {
  let s = splits.get(summary)
  if (!s) {
    if (splits.size >= 20_000) splits.clear()
    s = splitSummary(summary)
    splits.set(summary, s)
  }

  return s
}

function joinSummary(template: string, numbers: readonly number[]): string {
  if (template[0] === 'L') return template.slice(1)
  let i = 0
  return template.slice(1).replaceAll('', () => String(numbers[i++]))
}

function slots(template: string): number {
  if (template[0] === 'L') return 0
  let n = 0
  for (let i = 1; i < template.length; i++) if (template.charCodeAt(i) === 1) n++
  return n
}

/** A 48-bit hash of a dictionary text (its lookup key). */
export function textHash(text: string): number {
  return createHash('sha1').update(text).digest().readUIntBE(0, 6)
}

function codeOf(v: number): Code {
  if (Number.isSafeInteger(v) && Math.abs(v) < 2 ** 48) return 'i'
  const t = Math.round(v * 10)
  if (Number.isSafeInteger(t) && Math.abs(t) < 2 ** 48 && t / 10 === v) return 't'
  return 'f'
}

function extraText(e: Pick<BlockEntry, 'findings' | 'details'>): string | undefined {
  const out: {findings?: Finding[]; details?: Record<string, unknown>} = {}
  if (e.findings.length > 0) out.findings = e.findings
  if (e.details && Object.keys(e.details).length > 0) out.details = e.details
  return out.findings || out.details ? 'X' + JSON.stringify(out) : undefined
}

// ---------------------------------------------------------------------------------------------------------
// Encoding and decoding
// ---------------------------------------------------------------------------------------------------------

/** A result's shape: its fields, the dictionary text naming them, and their values in order. */
interface Shaped {
  fields: ShapeField[]
  text: string
  values: number[]
}

// Shape texts by a cheap signature of names and codes (the text itself is JSON of the fields).
const shapeTexts = new Map<string, {fields: ShapeField[]; text: string}>()

function shapeOfEntry(e: BlockEntry): Shaped {
  const values: number[] = []
  let sig = ''
  for (const k of TIMING_FIELDS) {
    const v = e.timings[k]
    if (v === undefined) continue
    sig += k + '\u0000i\u0000'
    values.push(v)
  }

  for (const k in e.metrics) {
    if (!Object.hasOwn(e.metrics, k)) continue
    const v = e.metrics[k]
    if (typeof v !== 'number') continue
    sig += '#' + k + '\u0000' + codeOf(v) + '\u0000'
    values.push(v)
  }

  let known = shapeTexts.get(sig)
  if (!known) {
    const fields: ShapeField[] = []
    for (const k of TIMING_FIELDS) if (e.timings[k] !== undefined) fields.push([k, 'i'])
    for (const [k, v] of Object.entries(e.metrics)) if (typeof v === 'number') fields.push(['#' + k, codeOf(v)])
    if (shapeTexts.size >= 10_000) shapeTexts.clear()
    known = {fields, text: 'S' + JSON.stringify(fields)}
    shapeTexts.set(sig, known)
  }

  return {fields: known.fields, text: known.text, values}
}

/** Appends entries to a block whose state is `st` (updated in place); returns the bytes to add. */
export function encodeEntries(st: BlockState, entries: readonly BlockEntry[], dict: Dictionary): Buffer {
  const out = new Out()
  for (const e of entries) {
    const {fields, text: shapeText, values} = shapeOfEntry(e)
    const shape = dict.id(shapeText)
    const {template, numbers} = splitCached(e.summary)
    const text = dict.id(template)
    const x = extraText(e)
    const extra = x === undefined ? 0 : dict.id(x)
    const run = e.runId ?? 0
    let flags = e.status & 3
    if (shape === st.shape) flags |= SAME_SHAPE
    if (text === st.text) flags |= SAME_TEXT
    if (extra === st.extra) flags |= SAME_EXTRA
    if (run === st.run) flags |= SAME_RUN
    if (e.attempts === 1) flags |= ONE_ATTEMPT
    out.byte(flags)
    const delta = e.ts - st.prevTs
    out.s(delta - st.prevDelta)
    st.prevDelta = delta
    st.prevTs = e.ts
    if (!(flags & SAME_SHAPE)) out.u(shape)
    if (!(flags & ONE_ATTEMPT)) out.u(e.attempts)
    if (!(flags & SAME_RUN)) out.s(run - st.run)
    out.s(e.durationMs - st.prevDuration)
    st.prevDuration = e.durationMs
    for (const [i, [k, code]] of fields.entries()) {
      const v = values[i]
      if (code === 'f') {
        out.f(v)
        continue
      }

      const n = code === 't' ? Math.round(v * 10) : v
      out.s(n - (st.prev.get(k) ?? 0))
      st.prev.set(k, n)
    }

    if (!(flags & SAME_TEXT)) out.u(text)
    const before = st.nums.get(text)
    for (let i = 0; i < numbers.length; i++) out.s(numbers[i] - (before?.[i] ?? 0))
    st.nums.set(text, numbers)
    if (!(flags & SAME_EXTRA)) out.u(extra)
    st.shape = shape
    st.text = text
    st.extra = extra
    st.run = run
    st.n++
  }

  return out.take()
}

const shapes = new Map<string, ShapeField[]>()

function isShapeField(v: unknown): v is ShapeField {
  return (
    Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && (v[1] === 'i' || v[1] === 't' || v[1] === 'f')
  )
}

/** The fields of a shape text (S + JSON of the fields). */
function shapeOf(text: string): ShapeField[] {
  let s = shapes.get(text)
  if (!s) {
    const parsed: unknown = JSON.parse(text.slice(1))
    if (!Array.isArray(parsed) || !parsed.every((f) => isShapeField(f))) throw new Error('result shape malformed')
    if (shapes.size > 10_000) shapes.clear()
    s = parsed
    shapes.set(text, s)
  }

  return s
}

/** An extra text's findings and details. */
interface Extra {
  findings?: Finding[]
  details?: Record<string, unknown>
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isFinding(v: unknown): v is Finding {
  return (
    isRecord(v) &&
    typeof v.id === 'string' &&
    (v.severity === 'info' || v.severity === 'warn' || v.severity === 'crit') &&
    typeof v.message === 'string'
  )
}

/** The findings and details of an extra text (X + JSON of {findings, details}). */
function extraOf(text: string): Extra {
  const parsed: unknown = JSON.parse(text.slice(1))
  if (!isRecord(parsed)) throw new Error('result extra malformed')
  const {findings, details} = parsed
  const extra: Extra = {}
  if (findings !== undefined) {
    if (!Array.isArray(findings) || !findings.every((f) => isFinding(f))) throw new Error('result findings malformed')
    extra.findings = findings
  }

  if (details !== undefined) {
    if (!isRecord(details)) throw new Error('result details malformed')
    extra.details = details
  }

  return extra
}

const TIMING_SET = new Set<string>(TIMING_FIELDS)

function isTimingField(k: string): k is TimingField {
  return TIMING_SET.has(k)
}

/** What decoding carries from one entry to the next besides the block state. */
interface Cursor {
  fields: ShapeField[]
  template: string
  numbers: number[]
}

/** Reads an entry's shape fields into its timings and metrics. */
function readFields(input: In, st: BlockState, fields: readonly ShapeField[], entry: BlockEntry): void {
  for (const [k, code] of fields) {
    let v: number
    if (code === 'f') v = input.f()
    else {
      const n = (st.prev.get(k) ?? 0) + input.s()
      st.prev.set(k, n)
      v = code === 't' ? n / 10 : n
    }

    if (isTimingField(k)) entry.timings[k] = v
    else entry.metrics[k.slice(1)] = v
  }
}

/** Reads the numbers of an entry's summary template (into `cur.numbers`). */
function readNumbers(input: In, st: BlockState, cur: Cursor): void {
  const before = st.nums.get(st.text)
  const numbers: number[] = []
  for (let i = 0, n = slots(cur.template); i < n; i++) numbers.push((before?.[i] ?? 0) + input.s())
  st.nums.set(st.text, numbers)
  cur.numbers = numbers
}

/** Decodes the next entry, without its texts (summary, findings, details); updates `st` and `cur`. */
function decodeEntry(input: In, st: BlockState, cur: Cursor, dict: Dictionary): BlockEntry {
  const flags = input.buf[input.at++]
  const delta = st.prevDelta + input.s()
  st.prevDelta = delta
  st.prevTs += delta
  if (!(flags & SAME_SHAPE)) {
    st.shape = input.u()
    cur.fields = shapeOf(dict.text(st.shape))
  }

  const attempts = flags & ONE_ATTEMPT ? 1 : input.u()
  if (!(flags & SAME_RUN)) st.run += input.s()
  st.prevDuration += input.s()
  const entry: BlockEntry = {
    ts: st.prevTs,
    status: flags & 3,
    durationMs: st.prevDuration,
    timings: {},
    attempts,
    runId: st.run === 0 ? null : st.run,
    summary: '',
    metrics: {},
    findings: [],
  }
  readFields(input, st, cur.fields, entry)
  if (!(flags & SAME_TEXT)) {
    st.text = input.u()
    cur.template = dict.text(st.text)
  }

  readNumbers(input, st, cur)
  if (!(flags & SAME_EXTRA)) st.extra = input.u()
  st.n++
  return entry
}

/** Sets an entry's summary, findings and details; `extras` caches the block's parsed extra texts by id. */
function addTexts(entry: BlockEntry, st: BlockState, cur: Cursor, dict: Dictionary, extras: Map<number, Extra>): void {
  entry.summary = joinSummary(cur.template, cur.numbers)
  if (st.extra === 0) return
  let x = extras.get(st.extra)
  if (!x) extras.set(st.extra, (x = extraOf(dict.text(st.extra))))
  if (x.findings) entry.findings = structuredClone(x.findings)
  if (x.details) entry.details = structuredClone(x.details)
}

/**
 * Decodes a block. `upTo` stops after that many entries; `light` skips building texts (summary,
 * findings, details), for readers that need only time, status and duration; `textsFrom` builds them
 * only from that position on. Returns the entries and
 * the state after the last one.
 */
export function decodeBlock(
  data: Uint8Array,
  hour: number,
  dict: Dictionary,
  opts: {upTo?: number; light?: boolean; textsFrom?: number} = {},
): {entries: BlockEntry[]; state: BlockState} {
  const st = emptyState(hour)
  const input = new In(data)
  const entries: BlockEntry[] = []
  const limit = opts.upTo ?? Infinity
  const textsFrom = opts.textsFrom ?? 0
  const cur: Cursor = {fields: [], template: '', numbers: []}
  const extras = new Map<number, Extra>()
  while (!input.done && st.n < limit) {
    const entry = decodeEntry(input, st, cur, dict)
    if (!opts.light && st.n > textsFrom) addTexts(entry, st, cur, dict, extras)
    entries.push(entry)
  }

  return {entries, state: st}
}

/** The state after a block's last entry (what appending needs), without building the entries. */
export function blockState(data: Uint8Array, hour: number, dict: Dictionary): BlockState {
  const st = emptyState(hour)
  const input = new In(data)
  let fields: ShapeField[] = []
  let slotCount = 0
  while (!input.done) {
    const flags = input.buf[input.at++]
    st.prevDelta += input.s()
    st.prevTs += st.prevDelta
    if (!(flags & SAME_SHAPE)) {
      st.shape = input.u()
      fields = shapeOf(dict.text(st.shape))
    }

    if (!(flags & ONE_ATTEMPT)) input.u()
    if (!(flags & SAME_RUN)) st.run += input.s()
    st.prevDuration += input.s()
    for (const [k, code] of fields) {
      if (code === 'f') input.at += 8
      else st.prev.set(k, (st.prev.get(k) ?? 0) + input.s())
    }

    if (!(flags & SAME_TEXT)) {
      st.text = input.u()
      slotCount = slots(dict.text(st.text))
    }

    if (slotCount > 0 || !st.nums.has(st.text)) {
      const before = st.nums.get(st.text)
      const numbers: number[] = new Array(slotCount)
      for (let i = 0; i < slotCount; i++) numbers[i] = (before?.[i] ?? 0) + input.s()
      st.nums.set(st.text, numbers)
    }

    if (!(flags & SAME_EXTRA)) st.extra = input.u()
    st.n++
  }

  if (input.at > data.length) throw new Error('result block truncated')
  return st
}

/** A copy of a state that appending may change without touching the original. */
export function copyState(st: BlockState): BlockState {
  return {...st, prev: new Map(st.prev), nums: new Map(st.nums)}
}
