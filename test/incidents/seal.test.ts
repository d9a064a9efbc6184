import Database from 'better-sqlite3'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {serialiseExport} from '../../src/exporters/json.js'
import {
  canonicalJson,
  eventHash,
  GENESIS_HASH,
  SEAL_TYPE,
  type Sealer,
  sealerFromPem,
  type TimelineEvent,
  verifySeals,
} from '../../src/incidents/chain.js'
import {addNote, appendEvents, openIncident} from '../../src/incidents/service.js'
import {openDatabase} from '../../src/store/db.js'
import {eventsOf, setSealer} from '../../src/store/incidents.js'
import {runCli, tmpDir} from '../helpers/cli.js'

/** What an attacker who can write the file and read this code does: relink every event and recompute every hash. */
function rechain(events: TimelineEvent[], resign?: Sealer): TimelineEvent[] {
  let prev = GENESIS_HASH
  return events.map((e, i) => {
    const data =
      e.type === SEAL_TYPE ? (resign ? resign.seal(e.incidentId, i, prev) : {...e.data, seq: i, head: prev}) : e.data
    const next = {...e, seq: i + 1, data, prevHash: prev}
    const out = {...next, hash: eventHash(next)}
    prev = out.hash
    return out
  })
}

function readEvents(file: string, id: number): TimelineEvent[] {
  const db = new Database(file, {readonly: true})
  const rows = db.prepare('SELECT * FROM timeline_events WHERE incident_id = ? ORDER BY seq').all(id) as Record<
    string,
    unknown
  >[]
  db.close()
  return rows.map((r) => ({
    incidentId: Number(r.incident_id),
    seq: Number(r.seq),
    occurredAt: Number(r.occurred_at),
    recordedAt: Number(r.recorded_at),
    actor: String(r.actor),
    type: String(r.type),
    data: JSON.parse(String(r.data)) as Record<string, unknown>,
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  }))
}

/** Replaces an incident's whole timeline in the file, past the append-only triggers. */
function writeEvents(file: string, id: number, events: TimelineEvent[]): void {
  const db = new Database(file)
  db.exec('DROP TRIGGER IF EXISTS timeline_events_no_update; DROP TRIGGER IF EXISTS timeline_events_no_delete')
  db.transaction(() => {
    db.prepare('DELETE FROM timeline_events WHERE incident_id = ?').run(id)
    const ins = db.prepare(
      'INSERT INTO timeline_events (incident_id, seq, occurred_at, recorded_at, actor, type, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    for (const e of events)
      ins.run(
        e.incidentId,
        e.seq,
        e.occurredAt,
        e.recordedAt,
        e.actor,
        e.type,
        canonicalJson(e.data),
        e.prevHash,
        e.hash,
      )
  })()
  db.close()
}

/** Rewrites an export's events, chain block and digest as the exporter would have written them. */
function rewriteExport(text: string, edit: (events: TimelineEvent[]) => TimelineEvent[]): string {
  const doc = JSON.parse(text) as {events: TimelineEvent[]; chain: {count: number; head: string}; digest: string}
  doc.events = edit(doc.events)
  doc.chain = {...doc.chain, count: doc.events.length, head: doc.events.at(-1)?.hash ?? GENESIS_HASH}
  const {digest: _old, ...body} = doc
  doc.digest = crypto.createHash('sha256').update(canonicalJson(body)).digest('hex')
  return serialiseExport(doc as never)
}

describe('sealed timelines (Ed25519)', () => {
  const tmp = tmpDir('wk-seal-')
  const key = path.join(tmp.dir, 'seal.pem')
  const pub = path.join(tmp.dir, 'seal.pub.pem')
  const otherKey = path.join(tmp.dir, 'other.pem')
  const db = path.join(tmp.dir, 'wk.db')
  const signed = {WATCHKEEPER_SIGNING_KEY: key}
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli([...args, '--db', db], {env})

  beforeAll(async () => {
    const pair = crypto.generateKeyPairSync('ed25519')
    fs.writeFileSync(key, pair.privateKey.export({type: 'pkcs8', format: 'pem'}), {mode: 0o600})
    fs.writeFileSync(pub, pair.publicKey.export({type: 'spki', format: 'pem'}))
    fs.writeFileSync(
      otherKey,
      crypto.generateKeyPairSync('ed25519').privateKey.export({type: 'pkcs8', format: 'pem'}),
      {mode: 0o600},
    )
    for (const args of [
      ['incident', 'open', '--title', 'Spine outage'],
      ['incident', 'note', '1', 'Spine team engaged'],
      ['incident', 'severity', '1', 'SEV1'],
      ['incident', 'note', '1', 'failover started'],
    ]) {
      const r = await cli(args, signed)
      expect(r.code, r.stderr).toBe(0)
    }
  }, 120_000)
  afterAll(() => tmp.cleanup())

  it('seals every write: each write ends with a seal event of the head before it; the key is not in the database', async () => {
    const events = readEvents(db, 1)
    expect(events.map((e) => e.type)).toEqual([
      'incident_opened',
      SEAL_TYPE,
      'note',
      SEAL_TYPE,
      'severity_changed',
      SEAL_TYPE,
      'note',
      SEAL_TYPE,
    ])
    const seal = events[1].data as {seq: number; head: string; key: string; signature: string}
    expect(seal).toMatchObject({seq: 1, head: events[0].hash, key: sealerFromPem(fs.readFileSync(key)).fingerprint})
    const bytes = fs.readFileSync(db).toString('latin1')
    const pem = fs.readFileSync(key, 'utf8')
    expect(bytes).not.toContain(pem.split('\n')[1])
    expect(bytes).not.toContain(
      crypto.createPrivateKey(pem).export({type: 'pkcs8', format: 'der'}).subarray(16).toString('latin1'),
    )
    const ok = await cli(['incident', 'verify', '1', '--public-key', pub])
    expect(ok.code, ok.stdout).toBe(0)
    expect(ok.stdout).toMatch(/sealed: 4 seals verify with sha256:[0-9a-f]{64}; the last covers events 1–7/)
    const copy = path.join(tmp.dir, 'noted.db')
    fs.copyFileSync(db, copy)
    const note = await runCli(['incident', 'note', '1', 'x', '--json', '--db', copy], {env: signed})
    expect(JSON.parse(note.stdout)).toMatchObject({type: 'note', seq: 9})
  })

  it('a whole-chain rewrite with recomputed hashes passes the hash check but not --public-key', async () => {
    const copy = path.join(tmp.dir, 'rewritten.db')
    fs.copyFileSync(db, copy)
    const events = readEvents(copy, 1)
    events[2] = {...events[2], data: {text: 'Spine team NOT engaged'}}
    writeEvents(copy, 1, rechain(events))
    const plain = await runCli(['incident', 'verify', '1', '--db', copy, '--json'])
    expect(plain.code).toBe(0)
    expect(JSON.parse(plain.stdout)).toMatchObject({ok: true, seals: {sealed: true, seals: 4}})
    const keyed = await runCli(['incident', 'verify', '1', '--db', copy, '--public-key', pub])
    expect(keyed.code).toBe(1)
    expect(keyed.stdout).toMatch(
      /MISMATCH seal at event 4 does not verify: its signature is not sha256:[0-9a-f]{64}'s over the head [0-9a-f]{12} of event 3/,
    )
    // The seal at event 2 covers only event 1, which was not touched.
    expect(keyed.stdout).not.toMatch(/seal at event 2 /)
  })

  it('seals removed, events after the last seal, and seals from another key are each caught', async () => {
    const cases: [string, (ev: TimelineEvent[]) => TimelineEvent[], RegExp][] = [
      ['stripped', (ev) => rechain(ev.filter((e) => e.type !== SEAL_TYPE)), /MISMATCH the timeline carries no seal/],
      [
        'appended',
        (ev) => rechain([...ev, {...ev[2], data: {text: 'backdated excuse'}}]),
        /MISMATCH 1 event \(9\) follows the last seal unsigned/,
      ],
      [
        're-signed',
        (ev) => rechain(ev, sealerFromPem(fs.readFileSync(otherKey))),
        /MISMATCH seal at event 2 was made by key sha256:[0-9a-f]{64}, not sha256:[0-9a-f]{64}/,
      ],
    ]
    for (const [name, edit, expected] of cases) {
      const copy = path.join(tmp.dir, `${name}.db`)
      fs.copyFileSync(db, copy)
      writeEvents(copy, 1, edit(readEvents(copy, 1)))
      expect((await runCli(['incident', 'verify', '1', '--db', copy])).code, name).toBe(0)
      const keyed = await runCli(['incident', 'verify', '1', '--db', copy, '--public-key', pub])
      expect(keyed.code, name).toBe(1)
      expect(keyed.stdout, name).toMatch(expected)
    }
  }, 90_000)

  it('a JSON export carries the seals (signature and key fingerprint); --file --public-key fails when they are missing or wrong', async () => {
    const out = path.join(tmp.dir, 'incident-1.json')
    expect((await cli(['incident', 'export', '1', '--format', 'json', '--out', out])).code).toBe(0)
    const text = fs.readFileSync(out, 'utf8')
    const doc = JSON.parse(text) as {events: TimelineEvent[]}
    const last = doc.events.at(-1)!
    expect(last.type).toBe(SEAL_TYPE)
    expect(last.data).toMatchObject({
      key: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      signature: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
    })
    expect(verifySeals(doc.events, crypto.createPublicKey(fs.readFileSync(pub))).ok).toBe(true)
    const good = await runCli(['incident', 'verify', '--file', out, '--public-key', pub])
    expect(good.code, good.stdout).toBe(0)

    const variants: [string, string, RegExp][] = [
      [
        'missing',
        rewriteExport(text, (ev) => rechain(ev.filter((e) => e.type !== SEAL_TYPE))),
        /MISMATCH the timeline carries no seal/,
      ],
      [
        'wrong',
        rewriteExport(text, (ev) =>
          rechain(
            ev.map((e, i) =>
              i === ev.length - 1 ? {...e, data: {...e.data, signature: Buffer.alloc(64, 7).toString('base64')}} : e,
            ),
          ),
        ),
        /MISMATCH seal at event \d+ does not verify/,
      ],
      [
        'rewritten',
        rewriteExport(text, (ev) =>
          rechain(ev.map((e) => (e.type === 'note' ? {...e, data: {text: 'nothing happened'}} : e))),
        ),
        /MISMATCH seal at event 4 does not verify/,
      ],
    ]
    for (const [name, body, expected] of variants) {
      const file = path.join(tmp.dir, `export-${name}.json`)
      fs.writeFileSync(file, body)
      const plain = await runCli(['incident', 'verify', '--file', file])
      expect(plain.code, `${name}: ${plain.stdout}`).toBe(0)
      const keyed = await runCli(['incident', 'verify', '--file', file, '--public-key', pub])
      expect(keyed.code, name).toBe(1)
      expect(keyed.stdout, name).toMatch(expected)
    }
  }, 90_000)

  it('the core seals what watch writes too: an incident opened and given evidence in separate writes, one seal each', () => {
    const conn = openDatabase(path.join(tmp.dir, 'core.db'))
    setSealer(conn, sealerFromPem(fs.readFileSync(key)))
    const {id} = openIncident(
      {db: conn, actor: 'watchkeeper', now: 1000},
      {title: 'api failing', severity: 'SEV2', checks: ['api']},
    )
    appendEvents(conn, id, 'watchkeeper', 2000, [
      {type: 'evidence_attached', data: {checkId: 'api', status: 'crit', summary: 'HTTP 503'}},
    ])
    expect(addNote({db: conn, actor: 'alice', now: 3000}, id, 'looking')[0]).toMatchObject({type: 'note'})
    const events = eventsOf(conn, id)
    expect(events.map((e) => e.type).filter((t) => t === SEAL_TYPE)).toHaveLength(3)
    expect(events.at(-1)!.type).toBe(SEAL_TYPE)
    expect(verifySeals(events, crypto.createPublicKey(fs.readFileSync(pub)))).toMatchObject({
      ok: true,
      seals: 3,
      unsealed: 0,
      problems: [],
    })
    conn.close()
  })

  it('without a key it works as today and says the timeline is unsealed; a bad key file is a usage error', async () => {
    const plainDb = path.join(tmp.dir, 'plain.db')
    expect((await runCli(['incident', 'open', '--title', 'No key', '--db', plainDb])).code).toBe(0)
    const v = await runCli(['incident', 'verify', '1', '--db', plainDb])
    expect(v.code).toBe(0)
    expect(v.stdout).toMatch(
      /^verified incident 1: 1 events, head [0-9a-f]{64}\nunsealed: no signing key was configured/,
    )
    expect(readEvents(plainDb, 1).map((e) => e.type)).toEqual(['incident_opened'])
    const rsa = path.join(tmp.dir, 'rsa.pem')
    fs.writeFileSync(
      rsa,
      crypto.generateKeyPairSync('rsa', {modulusLength: 1024}).privateKey.export({type: 'pkcs8', format: 'pem'}),
      {mode: 0o600},
    )
    const bad = await runCli(['incident', 'note', '1', 'x', '--db', plainDb, '--signing-key', rsa])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`--signing-key ${rsa}: an Ed25519 private key is needed, not rsa`)
    expect(bad.stderr).not.toContain('PRIVATE KEY')
    const badPub = await runCli(['incident', 'verify', '1', '--db', plainDb, '--public-key', rsa])
    expect(badPub.code).toBe(2)
    expect(badPub.stderr).toContain('an Ed25519 public key is needed, not rsa')
  }, 60_000)
})
