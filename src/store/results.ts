import type {CheckResult, Finding, Status, Timings} from '../types.js'
import type {DB} from './db.js'
import {UserError} from '../errors.js'
import {STATUS_CODE, statusFromCode} from '../types.js'
import {writeTx} from './lock.js'
import {writeRows} from './multi-row.js'
import {recordPosture} from './posture.js'
import {
  BLOCK_CAPACITY,
  BLOCK_HOUR_MS,
  type BlockEntry,
  blockState,
  type BlockState,
  copyState,
  decodeBlock,
  type Dictionary,
  emptyState,
  encodeEntries,
  textHash,
  TIMING_FIELDS,
} from './result-blocks.js'
import {prepareRollups, updateRollups} from './rollups.js'
import {prepared} from './status-page.js'

/** What the store needs to know of a check to file its results. */
export interface CheckIdentity {
  id: string
  kind: string
  target: string
  name?: string
  service?: string
  tier?: string
}

export function startRun(db: DB, source: string, at: number): number {
  return writeTx(db, () =>
    Number(db.prepare('INSERT INTO runs (source, started_at) VALUES (?, ?)').run(source, at).lastInsertRowid),
  )
}

export function finishRun(db: DB, runId: number, at: number): void {
  writeTx(db, () => db.prepare('UPDATE runs SET finished_at = ? WHERE id = ?').run(at, runId))
}

/** Registers (or refreshes) checks and returns their row ids by check id. */
export function upsertChecks(db: DB, checks: readonly CheckIdentity[], at: number): Map<string, number> {
  const refs = new Map<string, number>()
  writeTx(db, () => {
    writeRows<CheckIdentity, {id: number; check_id: string}>(
      db,
      {
        head: 'INSERT INTO checks (check_id, kind, target, name, service, tier, first_seen, last_seen)',
        width: 8,
        tail: `ON CONFLICT(check_id) DO UPDATE SET kind = excluded.kind, target = excluded.target, name = excluded.name,
        service = excluded.service, tier = excluded.tier, last_seen = excluded.last_seen
      RETURNING id, check_id`,
      },
      checks,
      (c) => [c.id, c.kind, c.target, c.name ?? null, c.service ?? null, c.tier ?? null, at, at],
      (row) => refs.set(row.check_id, row.id),
    )
  })
  return refs
}

function ms(n: number | undefined): number | undefined {
  return n === undefined || !Number.isFinite(n) ? undefined : Math.round(n)
}

/** Where results were taken from (watch.vantage); results without one belong to no vantage (ref 0). */
export interface Vantage {
  id: string
  net?: string
  region?: string
}

/** The row id of a vantage (registered or refreshed), 0 for none. */
export function vantageRef(db: DB, v: Vantage | undefined, at: number): number {
  if (!v) return 0
  const row = db
    .prepare<unknown[], {id: number}>(
      `INSERT INTO vantages (vantage_id, net, region, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT(vantage_id) DO UPDATE SET net = excluded.net, region = excluded.region, last_seen = max(last_seen, excluded.last_seen)
    RETURNING id`,
    )
    .get(v.id, v.net ?? null, v.region ?? null, at, at)
  if (!row) throw new Error(`vantage ${v.id} was not stored`)
  return row.id
}

/** The ref of a vantage id for filtering: undefined when not given; throws a UserError when unknown. */
export function findVantage(db: DB, id: string | undefined): number | undefined {
  if (id === undefined) return undefined
  const row = db.prepare<[string], {id: number}>('SELECT id FROM vantages WHERE vantage_id = ?').get(id)
  if (row) return row.id
  const known = db.prepare<[], string>('SELECT vantage_id FROM vantages ORDER BY vantage_id').pluck().all()
  throw new UserError(`No results from vantage "${id}".`, {
    code: 'E_USAGE',
    exit: 2,
    hint:
      known.length > 0
        ? `Vantages with results: ${known.join(', ')}.`
        : 'No result in this database carries a vantage.',
  })
}

/** Dictionary of a writing transaction: texts looked up by hash, added when new, marked used this hour. */
function writerDictionary(db: DB, hour: () => number): Dictionary {
  const {find, add, touch} = writeStatements(db)
  const ids = new Map<string, {id: number; hour: number}>()
  const reader = readerDictionary(db)
  return {
    id(text) {
      const h = hour()
      const known = ids.get(text)
      if (known) {
        if (known.hour < h) {
          touch.run(h, known.id)
          known.hour = h
        }

        return known.id
      }

      const hash = textHash(text)
      let id: number | undefined
      for (const row of find.all(hash)) {
        if (row.text !== text) continue
        id = row.id
        if (row.last_hour < h) touch.run(h, id)
        break
      }

      if (id === undefined) id = Number(add.run(hash, h, text).lastInsertRowid)
      ids.set(text, {id, hour: h})
      return id
    },
    text: (id) => reader.text(id),
  }
}

/** Dictionary for reading: each text fetched once per call. */
function readerDictionary(db: DB): Dictionary {
  const get = db.prepare<[number], string>('SELECT text FROM result_texts WHERE id = ?').pluck()
  const texts = new Map<number, string>()
  return {
    id() {
      throw new Error('read-only dictionary')
    },
    text(id) {
      let t = texts.get(id)
      if (t === undefined) {
        t = get.get(id)
        if (t === undefined) throw new Error(`result text ${id} is missing`)
        texts.set(id, t)
      }

      return t
    },
  }
}

function entryOf(r: CheckResult, runId: number | null): BlockEntry {
  const timings: BlockEntry['timings'] = {}
  for (const k of TIMING_FIELDS) {
    const v = ms(r.timings[k])
    if (v !== undefined) timings[k] = v
  }

  return {
    ts: r.startedAt,
    status: STATUS_CODE[r.status],
    durationMs: Math.round(r.durationMs),
    timings,
    attempts: r.attempts,
    runId,
    summary: r.summary,
    metrics: r.metrics,
    findings: r.findings,
    ...(r.details ? {details: r.details} : {}),
  }
}

type TextRow = {id: number; last_hour: number; text: string}

const writeCache = new WeakMap<DB, ReturnType<typeof prepareWrites>>()

function prepareWrites(db: DB) {
  return {
    tails: db.prepare<
      [number, number, string],
      {check_ref: number; id: number; n: number; len: number}
    >(`SELECT check_ref, max(id) AS id, n, length(data) AS len
      FROM result_blocks WHERE hour = ? AND vantage_ref = ? AND check_ref IN (SELECT value FROM json_each(?)) GROUP BY check_ref`),
    data: db.prepare<[number], Buffer>('SELECT data FROM result_blocks WHERE id = ?').pluck(),
    open: db.prepare<
      [number, number, number, number, number, number | null, number | null, Buffer],
      {id: number}
    >(`INSERT INTO result_blocks
      (check_ref, vantage_ref, hour, n, statuses, run_lo, run_hi, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
    append: db.prepare<
      [number, number, number | null, number | null, number | null, number | null, Buffer, number]
    >(`UPDATE result_blocks SET n = n + ?,
      statuses = statuses | ?, run_lo = min(coalesce(run_lo, ?), ?), run_hi = max(coalesce(run_hi, ?), ?), data = CAST(data || ? AS BLOB) WHERE id = ?`),
    find: db.prepare<[number], TextRow>('SELECT id, last_hour, text FROM result_texts WHERE hash = ?'),
    add: db.prepare<[number, number, string]>('INSERT INTO result_texts (hash, last_hour, text) VALUES (?, ?, ?)'),
    touch: db.prepare<[number, number]>('UPDATE result_texts SET last_hour = ? WHERE id = ?'),
  }
}

function writeStatements(db: DB): ReturnType<typeof prepareWrites> {
  let w = writeCache.get(db)
  if (!w) writeCache.set(db, (w = prepareWrites(db)))
  return w
}

/**
 * The state after the last entry of each series' newest block, as this connection last wrote it, so that
 * the next batch need not decode the block again. Used only while the block still has the same size and
 * length (another writer's append changes both; ids are never reused).
 */
interface Tail {
  ref: number
  id: number
  n: number
  len: number
  state: BlockState
}
const tailCache = new WeakMap<DB, Map<string, Tail>>()

/** A block being appended to in this batch. */
interface OpenBlock {
  id: number | undefined
  len: number
  state: BlockState
}

/** A new block's row, its ids assigned once inserted. */
interface NewBlock {
  ref: number
  hour: number
  n: number
  statuses: number
  data: Buffer
  at: number[]
  state: BlockState
}

/** Results of a batch by check and hour, in the order they came. */
function groupByBlock(
  refs: Map<string, number>,
  results: readonly CheckResult[],
): Map<string, {ref: number; hour: number; at: number[]}> {
  const groups = new Map<string, {ref: number; hour: number; at: number[]}>()
  for (const [i, r] of results.entries()) {
    const ref = refs.get(r.checkId)
    if (ref === undefined) throw new Error(`check ${r.checkId} is not registered`)
    const hour = Math.floor(r.startedAt / BLOCK_HOUR_MS)
    const key = `${ref}:${hour}`
    let g = groups.get(key)
    if (!g) groups.set(key, (g = {ref, hour, at: []}))
    g.at.push(i)
  }

  return groups
}

/** The newest block of each (check, hour) of the batch that has room, with its state; one query per hour. */
function openBlocks(
  db: DB,
  groups: Iterable<{ref: number; hour: number}>,
  vref: number,
  dict: Dictionary,
): Map<string, OpenBlock> {
  const w = writeStatements(db)
  const cached = tailCache.get(db)
  const byHour = new Map<number, number[]>()
  for (const g of groups) {
    const list = byHour.get(g.hour)
    if (list) list.push(g.ref)
    else byHour.set(g.hour, [g.ref])
  }

  const out = new Map<string, OpenBlock>()
  for (const [hour, checkRefs] of byHour) {
    for (const t of w.tails.all(hour, vref, JSON.stringify(checkRefs))) {
      if (t.n >= BLOCK_CAPACITY) continue
      const c = cached?.get(`${t.check_ref}:${vref}`)
      const state =
        c && c.id === t.id && c.n === t.n && c.len === t.len
          ? copyState(c.state)
          : blockState(w.data.get(t.id) ?? Buffer.alloc(0), hour, dict)
      out.set(`${t.check_ref}:${hour}`, {id: t.id, len: t.len, state})
    }
  }

  return out
}

/** Writes a batch of results in one transaction and returns their ids (in the order given). */
export function insertResults(
  db: DB,
  refs: Map<string, number>,
  runId: number | null,
  results: readonly CheckResult[],
  opts: {vantage?: Vantage} = {},
): number[] {
  const ids: number[] = new Array(results.length)
  // Tail states are kept only for a transaction of our own, known committed when this returns.
  const outer = !db.inTransaction
  let tails: Tail[] = []
  let vref = 0
  writeTx(db, () => {
    tails = []
    vref = vantageRef(db, opts.vantage, results[0]?.startedAt ?? 0)
    const groups = groupByBlock(refs, results)
    let hour = 0
    const dict = writerDictionary(db, () => hour)
    const w = writeStatements(db)
    const open = openBlocks(db, groups.values(), vref, dict)
    const fresh: NewBlock[] = []
    const run = runId ?? null
    for (const [key, g] of groups) {
      hour = g.hour
      let block = open.get(key)
      for (let i = 0; i < g.at.length;) {
        const state = block?.state ?? emptyState(g.hour)
        const take = g.at.slice(i, i + BLOCK_CAPACITY - state.n)
        const first = state.n
        const entries = take.map((k) => entryOf(results[k], runId))
        const data = encodeEntries(state, entries, dict)
        let statuses = 0
        for (const e of entries) statuses |= 1 << e.status
        if (block?.id === undefined) {
          fresh.push({ref: g.ref, hour: g.hour, n: take.length, statuses, data, at: take, state})
        } else {
          const {id} = block
          w.append.run(take.length, statuses, run, run, run, run, data, id)
          for (const [j, k] of take.entries()) ids[k] = id * BLOCK_CAPACITY + first + j
          tails.push({ref: g.ref, id, n: state.n, len: block.len + data.length, state})
        }

        i += take.length
        block = undefined
      }
    }

    insertBlocks(db, fresh, vref, run, ids, tails)
    // Hourly/daily rollups and outages move in the same transaction as the results.
    updateRollups(
      db,
      results.map((r) => ({
        checkRef: refs.get(r.checkId) ?? 0,
        vantageRef: vref,
        ts: r.startedAt,
        status: r.status,
        durationMs: r.durationMs,
      })),
    )
  })
  if (outer) rememberTails(db, tails, vref)
  return ids
}

/** Inserts new blocks, many to a statement when each (check, hour) opens one; sets their results' ids. */
function insertBlocks(
  db: DB,
  fresh: readonly NewBlock[],
  vref: number,
  run: number | null,
  ids: number[],
  tails: Tail[],
): void {
  const placed = (b: NewBlock, id: number) => {
    for (const [j, k] of b.at.entries()) ids[k] = id * BLOCK_CAPACITY + j
    tails.push({ref: b.ref, id, n: b.n, len: b.data.length, state: b.state})
  }

  const keys = new Set(fresh.map((b) => `${b.ref}:${b.hour}`))
  if (keys.size < fresh.length) {
    // More than a block's worth for one check and hour: in order, one at a time.
    const {open} = writeStatements(db)
    for (const b of fresh) {
      const row = open.get(b.ref, vref, b.hour, b.n, b.statuses, run, run, b.data)
      if (!row) throw new Error('a result block was not stored')
      placed(b, row.id)
    }

    return
  }

  const byKey = new Map(fresh.map((b) => [`${b.ref}:${b.hour}`, b]))
  writeRows<NewBlock, {id: number; check_ref: number; hour: number}>(
    db,
    {
      head: 'INSERT INTO result_blocks (check_ref, vantage_ref, hour, n, statuses, run_lo, run_hi, data)',
      width: 8,
      tail: 'RETURNING id, check_ref, hour',
    },
    fresh,
    (b) => [b.ref, vref, b.hour, b.n, b.statuses, run, run, b.data],
    (row) => {
      const b = byKey.get(`${row.check_ref}:${row.hour}`)
      if (!b) throw new Error(`result block for check ${row.check_ref}, hour ${row.hour} came back unasked`)
      placed(b, row.id)
    },
  )
}

/** Keeps the newest block's state per series, replacing the one before (bounded by the number of series). */
function rememberTails(db: DB, tails: readonly Tail[], vref: number): void {
  let cache = tailCache.get(db)
  if (!cache) tailCache.set(db, (cache = new Map()))
  // A series' newest block has the highest id (ids only grow).
  for (const t of tails) {
    const key = `${t.ref}:${vref}`
    const had = cache.get(key)
    if (!had || had.id <= t.id) cache.set(key, t)
  }
}

/**
 * Stores one whole run (the run row, its checks, results, rollups and posture) in one transaction, so it
 * is all there or none of it is: a lock held past the lock timeout stores nothing and says so.
 */
/**
 * Readies what storing a run needs (statements, the rollup zone's rules), so that a caller with time to
 * spare (the main thread while the probe thread works) spends it now rather than after the checks.
 */
export function prepareStore(db: DB): void {
  writeStatements(db)
  prepareRollups(db)
}

export function storeRun(
  db: DB,
  run: {
    source: string
    startedAt: number
    finishedAt: number
    checks: readonly CheckIdentity[]
    results: readonly CheckResult[]
    vantage?: Vantage
  },
): number {
  const n = run.results.length
  return writeTx(
    db,
    () => {
      const runId = startRun(db, run.source, run.startedAt)
      const refs = upsertChecks(db, run.checks, run.startedAt)
      const ids = insertResults(db, refs, runId, run.results, {vantage: run.vantage})
      recordPosture(db, refs, runId, run.results, ids)
      finishRun(db, runId, run.finishedAt)
      return runId
    },
    `the ${n} result${n === 1 ? '' : 's'} of this run were not stored`,
  )
}

/** A stored result as read back. */
export interface StoredResult {
  resultId: number
  runId: number | null
  checkId: string
  kind: string
  target: string
  name: string | null
  service: string | null
  ts: number
  status: Status
  durationMs: number
  timings: Timings
  attempts: number
  summary: string
  findings: Finding[]
  metrics: Record<string, number>
  details?: Record<string, unknown>
  /** The vantage it was taken from, when it has one. */
  vantage?: string
}

interface BlockRow {
  id: number
  check_ref: number
  vantage_ref: number
  hour: number
  data: Buffer
}

interface CheckInfo {
  check_id: string
  kind: string
  target: string
  name: string | null
  service: string | null
}

/** Reads blocks into stored results, with what they need from checks and vantages fetched once per call. */
class BlockReader {
  private readonly dict: Dictionary
  private readonly checks = new Map<number, CheckInfo>()
  private readonly vantages = new Map<number, string>()

  constructor(private readonly db: DB) {
    this.dict = readerDictionary(db)
  }

  results(row: BlockRow, opts: {upTo?: number; textsFrom?: number} = {}): StoredResult[] {
    const c = this.check(row.check_ref)
    const vantage = row.vantage_ref === 0 ? undefined : this.vantage(row.vantage_ref)
    return decodeBlock(row.data, row.hour, this.dict, opts).entries.map((e, pos) =>
      toStored(row.id * BLOCK_CAPACITY + pos, c, e, vantage),
    )
  }

  light(row: BlockRow): BlockEntry[] {
    return decodeBlock(row.data, row.hour, this.dict, {light: true}).entries
  }

  private check(ref: number): CheckInfo {
    let c = this.checks.get(ref)
    if (!c) {
      c = this.db
        .prepare<[number], CheckInfo>('SELECT check_id, kind, target, name, service FROM checks WHERE id = ?')
        .get(ref)
      if (!c) throw new Error(`check ${ref} is missing`)
      this.checks.set(ref, c)
    }

    return c
  }

  private vantage(ref: number): string {
    let v = this.vantages.get(ref)
    if (v === undefined)
      this.vantages.set(
        ref,
        (v =
          this.db.prepare<[number], string>('SELECT vantage_id FROM vantages WHERE id = ?').pluck().get(ref) ??
          String(ref)),
      )
    return v
  }
}

function toStored(resultId: number, c: CheckInfo, e: BlockEntry, vantage: string | undefined): StoredResult {
  const timings: Timings = {totalMs: e.durationMs}
  for (const k of TIMING_FIELDS) if (e.timings[k] !== undefined) timings[k] = e.timings[k]
  return {
    resultId,
    runId: e.runId,
    checkId: c.check_id,
    kind: c.kind,
    target: c.target,
    name: c.name,
    service: c.service,
    ts: e.ts,
    status: statusFromCode(e.status),
    durationMs: e.durationMs,
    timings,
    attempts: e.attempts,
    summary: e.summary,
    findings: e.findings,
    metrics: e.metrics,
    ...(e.details ? {details: e.details} : {}),
    ...(vantage === undefined ? {} : {vantage}),
  }
}

const newestFirst = (a: StoredResult, b: StoredResult) => b.ts - a.ts || b.resultId - a.resultId

const BLOCK_COLUMNS = 'b.id, b.check_ref, b.vantage_ref, b.hour, b.data'

/** Filter on a vantage ref: `AND b.vantage_ref = ?` when given. */
function vantageClause(vantageRef: number | undefined): {sql: string; args: number[]} {
  return vantageRef === undefined ? {sql: '', args: []} : {sql: ' AND b.vantage_ref = ?', args: [vantageRef]}
}

/**
 * What `lastResults` keeps between calls: per check, the newest hour's blocks as (id, results in it) and the
 * newest result they held. Blocks only grow, so a block with the same id and count holds the same results,
 * and a later call decodes only the blocks that changed (with a result every minute, a few of 1,000 checks
 * between two calls seconds apart).
 */
export interface LastResultCache {
  vantageRef?: number
  byCheck: Map<number, {blocks: string; resultId: number; vantageRef: number; entry: BlockEntry}>
}

export function lastResultCache(): LastResultCache {
  return {byCheck: new Map()}
}

interface NewestBlock {
  check_ref: number
  id: number
  vantage_ref: number
  hour: number
  n: number
  data?: Buffer
}

/** The last result of every known check (optionally only these ids, or one vantage's), sorted by check id. */
export function lastResults(
  db: DB,
  checkIds?: readonly string[],
  opts: {vantageRef?: number; cache?: LastResultCache} = {},
): StoredResult[] {
  const v = vantageClause(opts.vantageRef)
  const cache = opts.cache && opts.cache.vantageRef === opts.vantageRef ? opts.cache : undefined
  if (opts.cache && !cache) Object.assign(opts.cache, {vantageRef: opts.vantageRef, byCheck: new Map()})
  const checks = prepared<[], CheckInfo & {id: number}>(
    db,
    'SELECT id, check_id, kind, target, name, service FROM checks ORDER BY check_id',
  ).all()
  // Every check's blocks of its newest hour in one statement (two index seeks a check); their bytes only when nothing is cached.
  const vx = opts.vantageRef === undefined ? '' : ' AND x.vantage_ref = ?'
  const blocks = prepared<number[], NewestBlock>(
    db,
    `SELECT b.check_ref, b.id, b.vantage_ref, b.hour, b.n${cache ? '' : ', b.data'} FROM checks c
    JOIN result_blocks b ON b.check_ref = c.id AND b.hour = (SELECT max(x.hour) FROM result_blocks x WHERE x.check_ref = c.id${vx})${v.sql}`,
  ).all(...v.args, ...v.args)
  const byCheck = new Map<number, NewestBlock[]>()
  for (const b of blocks) {
    const list = byCheck.get(b.check_ref)
    if (list) list.push(b)
    else byCheck.set(b.check_ref, [b])
  }

  const wanted = checkIds ? new Set(checkIds) : undefined
  const dict = readerDictionary(db)
  const dataOf = prepared<[number], Buffer>(db, 'SELECT data FROM result_blocks WHERE id = ?').pluck()
  const vantages = new Map<number, string | undefined>()
  const vantageName = (ref: number) => {
    if (ref === 0) return undefined
    if (!vantages.has(ref))
      vantages.set(
        ref,
        db.prepare<[number], string>('SELECT vantage_id FROM vantages WHERE id = ?').pluck().get(ref) ?? String(ref),
      )
    return vantages.get(ref)
  }

  const out: StoredResult[] = []
  for (const c of checks) {
    if (wanted && !wanted.has(c.check_id)) continue
    const list = byCheck.get(c.id)
    if (!list) {
      cache?.byCheck.delete(c.id)
      continue
    }

    const key = list.map((b) => `${b.id}:${b.n}`).join(',')
    let hit = cache?.byCheck.get(c.id)
    if (!hit || hit.blocks !== key) {
      hit = newestOf(list, dict, (id) => dataOf.get(id) ?? Buffer.alloc(0), key)
      if (!hit) continue
      cache?.byCheck.set(c.id, hit)
    }

    out.push(toStored(hit.resultId, c, hit.entry, vantageName(hit.vantageRef)))
  }

  if (cache) for (const ref of cache.byCheck.keys()) if (!byCheck.has(ref)) cache.byCheck.delete(ref)
  return out
}

/**
 * The newest result (time, then id) of one hour's blocks. Each block is decoded once, with texts for its last
 * result only, which is the newest unless results came out of order; then that one block is decoded again.
 */
function newestOf(list: readonly NewestBlock[], dict: Dictionary, dataOf: (id: number) => Buffer, key: string) {
  let best: {block: NewestBlock; data: Buffer; pos: number; entry: BlockEntry} | undefined
  for (const block of list) {
    const data = block.data ?? dataOf(block.id)
    const {entries} = decodeBlock(data, block.hour, dict, {textsFrom: block.n - 1})
    for (const [pos, e] of entries.entries()) {
      if (
        !best ||
        e.ts > best.entry.ts ||
        (e.ts === best.entry.ts && block.id * BLOCK_CAPACITY + pos > best.block.id * BLOCK_CAPACITY + best.pos)
      )
        best = {block, data, pos, entry: e}
    }
  }

  if (!best) return undefined
  const b = best
  const entry =
    b.pos === b.block.n - 1
      ? b.entry
      : decodeBlock(b.data, b.block.hour, dict, {upTo: b.pos + 1, textsFrom: b.pos}).entries[b.pos]
  return {blocks: key, resultId: b.block.id * BLOCK_CAPACITY + b.pos, vantageRef: b.block.vantage_ref, entry}
}

/**
 * Blocks of a check from the newest hour back, a whole hour at a time, within [fromHour, toHour].
 * @yields the check's blocks of one hour at a time, newest hour first
 */
function* hoursBack(
  db: DB,
  checkRef: number,
  fromHour: number,
  toHour: number,
  opts: {vantageRef?: number; statusMask?: number} = {},
): Generator<BlockRow[]> {
  const v = vantageClause(opts.vantageRef)
  const mask = opts.statusMask === undefined ? '' : ` AND (b.statuses & ${opts.statusMask}) != 0`
  const hours = db
    .prepare<number[], number>(
      `SELECT DISTINCT b.hour FROM result_blocks b WHERE b.check_ref = ? AND b.hour >= ? AND b.hour <= ?${v.sql}${mask}
    ORDER BY b.hour DESC`,
    )
    .pluck()
  const inHour = db.prepare<number[], BlockRow>(
    `SELECT ${BLOCK_COLUMNS} FROM result_blocks b WHERE b.check_ref = ? AND b.hour = ?${v.sql}${mask} ORDER BY b.id DESC`,
  )
  for (const hour of hours.iterate(checkRef, fromHour, toHour, ...v.args)) {
    yield inHour.all(checkRef, hour, ...v.args)
  }
}

function checkRefOf(db: DB, checkId: string): number | undefined {
  return db.prepare<[string], number>('SELECT id FROM checks WHERE check_id = ?').pluck().get(checkId)
}

/** Recent results of one check (optionally one vantage's), newest first. */
export function recentResults(
  db: DB,
  checkId: string,
  opts: {limit?: number; since?: number; until?: number; vantageRef?: number} = {},
): StoredResult[] {
  const ref = checkRefOf(db, checkId)
  if (ref === undefined) return []
  const since = opts.since ?? 0
  const until = opts.until ?? Number.MAX_SAFE_INTEGER
  const limit = opts.limit ?? 50
  const reader = new BlockReader(db)
  const out: StoredResult[] = []
  for (const hour of hoursBack(
    db,
    ref,
    Math.floor(since / BLOCK_HOUR_MS),
    Math.floor(Math.min(until, 8.64e15) / BLOCK_HOUR_MS),
    {vantageRef: opts.vantageRef},
  )) {
    for (const row of hour) for (const r of reader.results(row)) if (r.ts >= since && r.ts <= until) out.push(r)
    if (out.length >= limit) break
  }

  return out.sort(newestFirst).slice(0, limit)
}

/** Ids of the most recent results of a check with one of these statuses, newest first. */
export function recentResultIds(db: DB, checkId: string, statuses: readonly Status[], limit: number): number[] {
  const ref = checkRefOf(db, checkId)
  if (ref === undefined) return []
  const codes = new Set(statuses.map((s) => STATUS_CODE[s]))
  const statusMask = [...codes].reduce((m, c) => m | (1 << c), 0)
  const reader = new BlockReader(db)
  const out: {id: number; ts: number}[] = []
  for (const hour of hoursBack(db, ref, -1e15, 1e15, {statusMask})) {
    for (const row of hour) {
      for (const [pos, e] of reader.light(row).entries()) {
        if (codes.has(e.status)) out.push({id: row.id * BLOCK_CAPACITY + pos, ts: e.ts})
      }
    }

    if (out.length >= limit) break
  }

  return out
    .sort((a, b) => b.ts - a.ts || b.id - a.id)
    .slice(0, limit)
    .map((r) => r.id)
}

/** When the check entered its current status: the first result after the last one with another status. */
export function statusSince(db: DB, checkId: string, status: Status, opts: {vantageRef?: number} = {}): number | null {
  const ref = checkRefOf(db, checkId)
  if (ref === undefined) return null
  const v = vantageClause(opts.vantageRef)
  const code = STATUS_CODE[status]
  const reader = new BlockReader(db)
  const otherMask = 15 & ~(1 << code)
  const lastOtherHour =
    db
      .prepare<number[], number | null>(
        `SELECT max(b.hour) FROM result_blocks b WHERE b.check_ref = ? AND (b.statuses & ?) != 0${v.sql}`,
      )
      .pluck()
      .get(ref, otherMask, ...v.args) ?? null
  let lastOther = -1
  if (lastOtherHour !== null) {
    const rows = db
      .prepare<number[], BlockRow>(
        `SELECT ${BLOCK_COLUMNS} FROM result_blocks b WHERE b.check_ref = ? AND b.hour = ? AND (b.statuses & ?) != 0${v.sql}`,
      )
      .all(ref, lastOtherHour, otherMask, ...v.args)
    for (const row of rows)
      for (const e of reader.light(row)) if (e.status !== code && e.ts > lastOther) lastOther = e.ts
  }

  const fromHour = lastOther < 0 ? -Infinity : Math.floor(lastOther / BLOCK_HOUR_MS)
  const hours = db
    .prepare<number[], number>(
      `SELECT DISTINCT b.hour FROM result_blocks b WHERE b.check_ref = ? AND b.hour >= ?${v.sql} ORDER BY b.hour`,
    )
    .pluck()
  const inHour = db.prepare<number[], BlockRow>(
    `SELECT ${BLOCK_COLUMNS} FROM result_blocks b WHERE b.check_ref = ? AND b.hour = ?${v.sql}`,
  )
  for (const hour of hours.iterate(ref, Number.isFinite(fromHour) ? fromHour : -1e15, ...v.args)) {
    let since: number | null = null
    for (const row of inHour.all(ref, hour, ...v.args)) {
      for (const e of reader.light(row)) if (e.ts > lastOther && (since === null || e.ts < since)) since = e.ts
    }

    if (since !== null) return since
  }

  return null
}

/** Every raw result with ts in [from, to) as (check ref, ts, status, duration), block by block. */
export function scanRaw(
  db: DB,
  from: number,
  to: number,
  each: (checkRef: number, e: BlockEntry) => void,
  opts: {vantageRef?: number} = {},
): void {
  const v = vantageClause(opts.vantageRef)
  const reader = new BlockReader(db)
  const rows = db.prepare<number[], BlockRow>(
    `SELECT ${BLOCK_COLUMNS} FROM result_blocks b WHERE b.hour >= ? AND b.hour <= ?${v.sql}`,
  )
  for (const row of rows.all(Math.floor(from / BLOCK_HOUR_MS), Math.floor((to - 1) / BLOCK_HOUR_MS), ...v.args)) {
    for (const e of reader.light(row)) if (e.ts >= from && e.ts < to) each(row.check_ref, e)
  }
}

/** Number of stored results, and the first and last result time (for db stats). */
export function resultSpan(db: DB): {rows: number; oldest: number | null; newest: number | null} {
  const agg = db
    .prepare<[], {rows: number; lo: number | null; hi: number | null}>(
      'SELECT coalesce(sum(n), 0) AS rows, min(hour) AS lo, max(hour) AS hi FROM result_blocks',
    )
    .get()
  if (!agg || agg.lo === null || agg.hi === null) return {rows: agg?.rows ?? 0, oldest: null, newest: null}
  const reader = new BlockReader(db)
  const at = db.prepare<[number], BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM result_blocks b WHERE b.hour = ?`)
  const times = (hour: number) => at.all(hour).flatMap((r) => reader.light(r).map((e) => e.ts))
  return {rows: agg.rows, oldest: Math.min(...times(agg.lo)), newest: Math.max(...times(agg.hi))}
}

export function knownCheck(db: DB, checkId: string): boolean {
  return db.prepare('SELECT 1 FROM checks WHERE check_id = ?').get(checkId) !== undefined
}

/** A result by id (an id from before the block layout is looked up in result_aliases). */
export function resultById(db: DB, resultId: number): StoredResult | undefined {
  const alias = db.prepare<[number], number>('SELECT new_id FROM result_aliases WHERE old_id = ?').pluck().get(resultId)
  const id = alias ?? resultId
  const row = db
    .prepare<[number], BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM result_blocks b WHERE b.id = ?`)
    .get(Math.floor(id / BLOCK_CAPACITY))
  if (!row) return undefined
  const pos = id % BLOCK_CAPACITY
  return new BlockReader(db).results(row, {upTo: pos + 1, textsFrom: pos})[pos]
}

export function knownCheckIds(db: DB): string[] {
  return db.prepare<[], string>('SELECT check_id FROM checks ORDER BY check_id').pluck().all()
}

/** Number of stored results. */
export function resultCount(db: DB): number {
  return db.prepare<[], number>('SELECT coalesce(sum(n), 0) FROM result_blocks').pluck().get() ?? 0
}
