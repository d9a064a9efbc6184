import {createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify} from 'node:crypto'

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
  const keys = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
  return (
    '{' +
    keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((value as Record<string, unknown>)[k])).join(',') +
    '}'
  )
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex')
}

/** SHA-256 over the canonical serialisation of the event's content and the previous event's hash. */
export function eventHash(e: Omit<TimelineEvent, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      incidentId: e.incidentId,
      seq: e.seq,
      occurredAt: e.occurredAt,
      recordedAt: e.recordedAt,
      actor: e.actor,
      type: e.type,
      data: e.data,
      prevHash: e.prevHash,
    }),
  )
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
    const bad = (reason: string): ChainReport => ({
      ok: false,
      count: events.length,
      head: events.at(-1)?.hash ?? GENESIS_HASH,
      firstBad: {seq: e.seq, reason},
    })
    if (incidentId !== undefined && e.incidentId !== incidentId)
      return bad(`belongs to incident ${e.incidentId}, not ${incidentId}`)
    if (e.seq !== expectedSeq)
      return bad(`expected sequence number ${expectedSeq}, found ${e.seq} (an event is missing or was inserted)`)
    if (e.prevHash !== prev)
      return bad(
        `previous-hash link ${short(e.prevHash)} does not match the hash of event ${e.seq - 1} (${short(prev)})`,
      )
    let computed: string
    try {
      computed = eventHash(e)
    } catch (error) {
      return bad((error as Error).message)
    }

    if (computed !== e.hash)
      return bad(`content does not match its hash (stored ${short(e.hash)}, recomputed ${short(computed)})`)
    prev = e.hash
    expectedSeq++
  }

  return {ok: true, count: events.length, head: prev}
}

function short(h: string): string {
  return String(h).slice(0, 12)
}

// Seals. A hash chain shows a careless edit, but anyone who can write the database and read this code can
// rewrite a whole timeline with recomputed hashes. With a signing key configured, every write to an
// incident ends with a `seal` event: an Ed25519 signature over the chain head (the hash of the event just
// before it). Without the private key, which never enters the database, a rewrite cannot be re-sealed.

export const SEAL_TYPE = 'seal'
export const SEAL_FORMAT = 'watchkeeper-seal/1'

/** The key's fingerprint: `sha256:` and the hex SHA-256 of its DER SubjectPublicKeyInfo (the same for its private key). */
export function keyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  return 'sha256:' + sha256Hex(pub.export({type: 'spki', format: 'der'}))
}

/** The bytes a seal signs: the incident, the sequence number and hash of the head it seals. */
export function sealMessage(incidentId: number, seq: number, head: string): Buffer {
  return Buffer.from(canonicalJson({format: SEAL_FORMAT, incidentId, seq, head}))
}

export interface Sealer {
  fingerprint: string
  /** The data of a seal event over this head. */
  seal(incidentId: number, seq: number, head: string): Record<string, unknown>
}

/** A sealer from an Ed25519 private key in PEM; throws an Error saying what is wrong (never quoting the key). */
export function sealerFromPem(pem: string | Buffer): Sealer {
  let key: KeyObject
  try {
    key = createPrivateKey(pem)
  } catch (error) {
    const {code} = error as {code?: string}
    throw new Error(
      code === 'ERR_MISSING_PASSPHRASE'
        ? 'the key is encrypted; give an unencrypted PEM file readable only by you'
        : 'not a PEM private key',
    )
  }

  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`an Ed25519 private key is needed, not ${key.asymmetricKeyType}`)
  const fingerprint = keyFingerprint(key)
  return {
    fingerprint,
    seal: (incidentId, seq, head) => ({
      seq,
      head,
      key: fingerprint,
      signature: sign(null, sealMessage(incidentId, seq, head), key).toString('base64'),
    }),
  }
}

/** An Ed25519 public key from PEM (a private key gives its public half); throws an Error saying what is wrong. */
export function publicKeyFromPem(pem: string | Buffer): KeyObject {
  let key: KeyObject
  try {
    key = createPublicKey(pem)
  } catch {
    throw new Error('not a PEM public key')
  }

  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`an Ed25519 public key is needed, not ${key.asymmetricKeyType}`)
  return key
}

export interface SealReport {
  /** Whether any seal is on the timeline. */
  sealed: boolean
  seals: number
  /** Fingerprints of the keys that made them. */
  keys: string[]
  /** Sequence number of the last sealed head (the event the last seal signs), or null. */
  sealedThrough: number | null
  /** Events (other than seals) after the last seal. */
  unsealed: number
  /** With a public key: whether every seal verifies and nothing follows the last one. */
  ok?: boolean
  /** The fingerprint of the public key checked against, when one was given. */
  checkedWith?: string
  problems: string[]
}

/**
 * Checks an incident's seals. Without a public key it only describes them. With one, it fails when there
 * is no seal, when any seal does not verify with that key or does not sign the event just before it, and
 * when events follow the last seal unsigned.
 */
export function verifySeals(events: readonly TimelineEvent[], publicKey?: KeyObject): SealReport {
  const problems: string[] = []
  const keys = new Set<string>()
  const fingerprint = publicKey ? keyFingerprint(publicKey) : undefined
  let seals = 0
  let sealedThrough: number | null = null
  let unsealed = 0
  for (const [i, e] of events.entries()) {
    if (e.type !== SEAL_TYPE) {
      unsealed++
      continue
    }

    seals++
    const d = e.data as {seq?: unknown; head?: unknown; key?: unknown; signature?: unknown}
    keys.add(String(d.key))
    const before = events[i - 1]
    if (!before || d.seq !== before.seq || d.head !== before.hash || e.prevHash !== before.hash) {
      problems.push(`seal at event ${e.seq} does not seal the event before it`)
    } else if (publicKey) {
      if (d.key === fingerprint) {
        let good = false
        try {
          good =
            typeof d.signature === 'string' &&
            verify(
              null,
              sealMessage(e.incidentId, before.seq, before.hash),
              publicKey,
              Buffer.from(d.signature, 'base64'),
            )
        } catch {
          good = false
        }

        if (!good)
          problems.push(
            `seal at event ${e.seq} does not verify: its signature is not ${fingerprint}'s over the head ${before.hash.slice(0, 12)} of event ${before.seq}`,
          )
      } else {
        problems.push(`seal at event ${e.seq} was made by key ${String(d.key)}, not ${fingerprint}`)
      }
    }

    sealedThrough = before?.seq ?? null
    unsealed = 0
  }

  if (publicKey) {
    if (seals === 0)
      problems.push('the timeline carries no seal (written without a signing key, or its seals were removed)')
    else if (unsealed > 0) {
      const after = events.filter((e) => e.type !== SEAL_TYPE && e.seq > (sealedThrough ?? 0)).map((e) => e.seq)
      problems.push(
        `${unsealed} event${unsealed === 1 ? '' : 's'} (${after.join(', ')}) follow${unsealed === 1 ? 's' : ''} the last seal unsigned`,
      )
    }
  }

  return {
    sealed: seals > 0,
    seals,
    keys: [...keys],
    sealedThrough,
    unsealed,
    ...(publicKey ? {ok: problems.length === 0, checkedWith: fingerprint} : {}),
    problems,
  }
}
