import {createHash} from 'node:crypto'

/** The previous hash of an incident's first event. */
export const GENESIS_HASH = '0'.repeat(64)

/** A timeline event as stored and exported. Times are epoch ms. */
export interface TimelineEvent {
  incidentId: number
  seq: number
  occurredAt: number
  recordedAt: number
  actor: string
  type: string
  data: Record<string, unknown>
  prevHash: string
  hash: string
}

/** An event to append: the chain fields are filled in when it is written. */
export interface NewEvent {
  type: string
  data: Record<string, unknown>
  /** When it happened, if not now (back-dated scribe entries, clock crossings). */
  occurredAt?: number
}

/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped. The same value always
 * gives the same text, whatever order its keys were written in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot hash non-finite number ${value}`)
    return JSON.stringify(value) ?? 'null'
  }
  if (Array.isArray(value)) return '[' + value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',') + ']'
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort()
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((value as Record<string, unknown>)[k])).join(',') + '}'
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex')
}

/** SHA-256 over the canonical serialisation of the event's content and the previous event's hash. */
export function eventHash(e: Omit<TimelineEvent, 'hash'>): string {
  return sha256Hex(canonicalJson({
    incidentId: e.incidentId, seq: e.seq, occurredAt: e.occurredAt, recordedAt: e.recordedAt,
    actor: e.actor, type: e.type, data: e.data, prevHash: e.prevHash,
  }))
}

export interface ChainReport {
  ok: boolean
  count: number
  /** Hash of the last event (the chain head), or the genesis hash when there are none. */
  head: string
  /** The first event that does not match, and why. */
  firstBad?: {seq: number; reason: string}
}

/** Recomputes an incident's chain from its first event and names the first event that does not match. */
export function verifyChain(events: readonly TimelineEvent[], incidentId?: number): ChainReport {
  let prev = GENESIS_HASH
  let expectedSeq = 1
  for (const e of events) {
    const bad = (reason: string): ChainReport => ({ok: false, count: events.length, head: events.at(-1)?.hash ?? GENESIS_HASH, firstBad: {seq: e.seq, reason}})
    if (incidentId !== undefined && e.incidentId !== incidentId) return bad(`belongs to incident ${e.incidentId}, not ${incidentId}`)
    if (e.seq !== expectedSeq) return bad(`expected sequence number ${expectedSeq}, found ${e.seq} (an event is missing or was inserted)`)
    if (e.prevHash !== prev) return bad(`previous-hash link ${short(e.prevHash)} does not match the hash of event ${e.seq - 1} (${short(prev)})`)
    let computed: string
    try {
      computed = eventHash(e)
    } catch (error) {
      return bad((error as Error).message)
    }
    if (computed !== e.hash) return bad(`content does not match its hash (stored ${short(e.hash)}, recomputed ${short(computed)})`)
    prev = e.hash
    expectedSeq++
  }
  return {ok: true, count: events.length, head: prev}
}

function short(h: string): string {
  return String(h).slice(0, 12)
}
