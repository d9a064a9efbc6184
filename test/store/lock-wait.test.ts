import type http from 'node:http'
import Database from 'better-sqlite3'
import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/store/db.js'
import {StoreBusyError, writeTx} from '../../src/store/lock.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'

/** Another process holding the write lock (BEGIN EXCLUSIVE) for ms, as a long `db vacuum` or a backup tool would. */
const HOLDER = `
import {createRequire} from 'node:module'
const [,, root, file, ms] = process.argv
const Database = createRequire(root + '/package.json')('better-sqlite3')
const db = new Database(file)
db.exec('BEGIN EXCLUSIVE')
process.stdout.write('locked\\n')
setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n') }, Number(ms))
`

interface Holder {
  child: ChildProcess
  released: Promise<number>
}

async function holdLock(script: string, file: string, ms: number): Promise<Holder> {
  const child = spawn(process.execPath, [script, ROOT, file, String(ms)], {stdio: ['ignore', 'pipe', 'inherit']})
  let out = ''
  let releasedAt = 0
  const released = new Promise<number>((resolve) => child.on('close', () => resolve(releasedAt)))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      if (out.includes('released') && releasedAt === 0) releasedAt = Date.now()
      if (out.includes('locked')) resolve()
    })
    child.on('error', reject)
  })
  return {child, released}
}

function counts(file: string): {runs: number; results: number} {
  const db = new Database(file, {readonly: true})
  try {
    return {
      runs: (db.prepare('SELECT count(*) AS n FROM runs').get() as {n: number}).n,
      results: (db.prepare('SELECT coalesce(sum(n), 0) AS n FROM result_blocks').get() as {n: number}).n,
    }
  } finally {
    db.close()
  }
}

describe('a write lock held by another process', () => {
  const tmp = tmpDir('wk-lock-')
  let web: RunningServer<http.Server>
  let catalogue: string
  let script: string
  let db: string

  beforeAll(async () => {
    web = await startHttp((req, res) => res.end('ok'))
    catalogue = path.join(tmp.dir, 'checks.yaml')
    fs.writeFileSync(
      catalogue,
      [
        'checks:',
        `  - {id: web-a, kind: http, target: "${web.url}/a"}`,
        `  - {id: web-b, kind: http, target: "${web.url}/b"}`,
        `  - {id: port, kind: tcp, target: "${web.url.replace('http://', '')}"}`,
      ].join('\n'),
    )
    script = path.join(tmp.dir, 'hold.mjs')
    fs.writeFileSync(script, HOLDER)
    db = path.join(tmp.dir, 'wk.db')
    const first = await runCli(['check', 'run', '--checks', catalogue, '--db', db])
    expect(first.code, first.stderr).toBe(0)
  })
  afterAll(async () => {
    await web.close()
    tmp.cleanup()
  })

  it('check run waits for it (saying so on stderr), then stores every result of the run', async () => {
    const before = counts(db)
    const holder = await holdLock(script, db, 10_000)
    const started = Date.now()
    const run = await runCli(['check', 'run', '--checks', catalogue, '--db', db, '--json'])
    const finished = Date.now()
    const releasedAt = await holder.released
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(
      /The database .*wk\.db is locked by another process; waiting up to 30s for it \(--lock-timeout\)/,
    )
    expect(run.stderr).toMatch(/Got the database lock after \d+(\.\d)?s\./)
    // It finished only after the lock was let go, having waited most of the 10 s.
    expect(releasedAt).toBeGreaterThan(0)
    expect(finished).toBeGreaterThanOrEqual(releasedAt)
    expect(finished - started).toBeGreaterThan(8000)
    const report = JSON.parse(run.stdout) as {runId: number; results: unknown[]; summary: Record<string, number>}
    expect(report.summary).toEqual({ok: 3, warn: 0, crit: 0, unknown: 0})
    expect(counts(db)).toEqual({runs: before.runs + 1, results: before.results + 3})
  }, 45_000)

  it('gives up after --lock-timeout with exit 3 and a clear message, storing nothing of the run', async () => {
    const before = counts(db)
    const holder = await holdLock(script, db, 6000)
    const run = await runCli(['check', 'run', '--checks', catalogue, '--db', db, '--lock-timeout', '2s'])
    await holder.released
    expect(run.code, run.stderr).toBe(3)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/waiting up to 2\.0s for it/)
    expect(run.stderr).toMatch(
      /Error: The database .*wk\.db stayed locked by another process for 2\.\ds; gave up without writing anything \(the 3 results of this run were not stored\)\./,
    )
    expect(run.stderr).toMatch(/Hint: .*raise --lock-timeout \(WATCHKEEPER_LOCK_TIMEOUT\)/)
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/)
    expect(counts(db)).toEqual(before)
  }, 30_000)

  it('incident commands wait as well; WATCHKEEPER_LOCK_TIMEOUT sets the bound; giving up exits 1 with E_DB_LOCKED', async () => {
    const holder = await holdLock(script, db, 4000)
    const [gaveUp, waited] = await Promise.all([
      runCli(['incident', 'open', '--title', 'Gave up', '--db', db, '--json'], {env: {WATCHKEEPER_LOCK_TIMEOUT: '1'}}),
      runCli(['incident', 'open', '--title', 'Waited', '--db', db, '--json']),
    ])
    await holder.released
    expect(gaveUp.code).toBe(1)
    expect(JSON.parse(gaveUp.stdout).error).toMatchObject({code: 'E_DB_LOCKED', exit: 1})
    expect(waited.code, waited.stderr).toBe(0)
    expect(waited.stderr).toMatch(/waiting up to 30s/)
    const list = JSON.parse((await runCli(['incident', 'list', '--db', db, '--json'])).stdout) as {
      incidents: {title: string}[]
    }
    expect(list.incidents.map((i) => i.title)).toEqual(['Waited'])
  }, 30_000)

  it('refuses a malformed --lock-timeout as a usage error', async () => {
    const bad = await runCli(['incident', 'list', '--db', db, '--lock-timeout', 'soon'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--lock-timeout soon: expected a duration/)
    const run = await runCli(['check', 'run', '--checks', catalogue, '--db', db, '--lock-timeout', '-1'])
    expect(run.code, run.stderr).toBe(3)
  })

  it('maps SQLITE_BUSY to StoreBusyError inside the store and rolls back the whole transaction', () => {
    const file = path.join(tmp.dir, 'unit.db')
    const a = openDatabase(file)
    const b = openDatabase(file)
    a.exec('CREATE TABLE t (x)')
    b.exec('BEGIN IMMEDIATE')
    const waits: string[] = []
    const c = openDatabase(file, {lockTimeoutMs: 1500, onLockWait: (e) => waits.push(e.phase)})
    const t0 = Date.now()
    expect(() => writeTx(c, () => c.exec('INSERT INTO t VALUES (1)'), 'one row was not stored')).toThrow(StoreBusyError)
    // The first second inside SQLite's busy handler, then retries with backoff up to the bound.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1490)
    expect(Date.now() - t0).toBeLessThan(2500)
    expect(waits).toEqual(['waiting', 'gave-up'])
    b.exec('COMMIT')
    writeTx(c, () => c.exec('INSERT INTO t VALUES (2)'))
    expect(a.prepare('SELECT x FROM t').all()).toEqual([{x: 2}])
    for (const d of [a, b, c]) d.close()
  })
})
