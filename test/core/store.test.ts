import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {CheckResult, Status} from '../../src/types.js'
import {UserError} from '../../src/errors.js'
import {openDatabase} from '../../src/store/db.js'
import {MIGRATIONS} from '../../src/store/migrations/index.js'
import {
  insertResults,
  lastResults,
  recentResults,
  resultById,
  startRun,
  statusSince,
  upsertChecks,
} from '../../src/store/results.js'
import {tmpDir} from '../helpers/cli.js'

let dir: string
let cleanup: () => void
beforeEach(() => ({dir, cleanup} = tmpDir()))
afterEach(() => cleanup())

function result(checkId: string, status: Status, ts: number, ms = 10): CheckResult {
  return {
    checkId,
    kind: 'tcp',
    target: 'h:1',
    status,
    summary: status,
    startedAt: ts,
    durationMs: ms,
    attempts: 1,
    timings: {connectMs: ms / 2, totalMs: ms},
    findings: [],
    metrics: {},
  }
}

describe('store', () => {
  it('creates the file 0600 in a new 0700 folder and migrates to the latest version', () => {
    const file = path.join(dir, 'deep', 'er', 'wk.db')
    const db = openDatabase(file)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    expect(db.pragma('user_version', {simple: true})).toBe(Math.max(...MIGRATIONS.map((m) => m.version)))
    expect(db.pragma('journal_mode', {simple: true})).toBe('wal')
    expect(db.pragma('foreign_keys', {simple: true})).toBe(1)
    db.close()
  })

  it('refuses a database from a newer version with a clear message', () => {
    const file = path.join(dir, 'new.db')
    const raw = new Database(file)
    raw.pragma('user_version = 999')
    raw.close()
    expect(() => openDatabase(file)).toThrow(UserError)
    expect(() => openDatabase(file)).toThrow(/schema version 999, newer than this watchkeeper understands/)
  })

  it('a failing migration leaves nothing half-applied', () => {
    const file = path.join(dir, 'm.db')
    expect(() =>
      openDatabase(file, {
        migrations: [
          ...MIGRATIONS.slice(0, 1),
          {version: 99, name: 'broken', up: 'CREATE TABLE ok_then (x); SELECT * FROM no_such_table;'},
        ],
      }),
    ).toThrow()
    const raw = new Database(file)
    expect(raw.pragma('user_version', {simple: true})).toBe(1)
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'ok_then'").get()).toBeUndefined()
    raw.close()
  })

  it('keeps the last result per check and since when it has been in that status', () => {
    const db = openDatabase(path.join(dir, 'r.db'))
    const refs = upsertChecks(
      db,
      [
        {id: 'a', kind: 'tcp', target: 'h:1'},
        {id: 'b', kind: 'tcp', target: 'h:2'},
      ],
      1000,
    )
    const run = startRun(db, 'test', 1000)
    insertResults(db, refs, run, [
      result('a', 'ok', 1000),
      result('a', 'crit', 2000),
      result('a', 'crit', 3000),
      result('b', 'ok', 1500),
    ])
    const last = lastResults(db)
    expect(last.map((r) => [r.checkId, r.status, r.ts])).toEqual([
      ['a', 'crit', 3000],
      ['b', 'ok', 1500],
    ])
    expect(last[0].timings).toEqual({connectMs: 5, totalMs: 10})
    expect(statusSince(db, 'a', 'crit')).toBe(2000)
    expect(statusSince(db, 'b', 'ok')).toBe(1500)
    expect(recentResults(db, 'a', {limit: 2}).map((r) => r.ts)).toEqual([3000, 2000])
    expect(recentResults(db, 'a', {since: 1500, until: 2500}).map((r) => r.ts)).toEqual([2000])
    // Blocks stay compact: no extra (findings/details) text when there are none.
    const texts = db.prepare('SELECT text FROM result_texts').pluck().all() as string[]
    expect(texts.filter((t) => t.startsWith('X'))).toEqual([])
    db.close()
  })

  it('opens a second block when an hour holds more than a block can; ids stay unique and find their result', () => {
    const db = openDatabase(path.join(dir, 'full.db'))
    const refs = upsertChecks(db, [{id: 'a', kind: 'tcp', target: 'h:1'}], 0)
    const hour = Date.UTC(2026, 10, 20, 10)
    const all = Array.from({length: 5000}, (_, i) =>
      result('a', i % 11 === 0 ? 'crit' : 'ok', hour + i * 700, 5 + (i % 9)),
    )
    const ids: number[] = []
    for (let i = 0; i < all.length; i += 700) ids.push(...insertResults(db, refs, null, all.slice(i, i + 700)))
    expect(new Set(ids).size).toBe(5000)
    expect(db.prepare('SELECT n FROM result_blocks ORDER BY id').pluck().all()).toEqual([4096, 5000 - 4096])
    const back = recentResults(db, 'a', {limit: 10_000})
    expect(back.map((r) => [r.ts, r.status, r.durationMs])).toEqual(
      all.map((r) => [r.startedAt, r.status, r.durationMs]).reverse(),
    )
    expect(resultById(db, ids[4095])?.ts).toBe(all[4095].startedAt)
    expect(resultById(db, ids[4096])?.ts).toBe(all[4096].startedAt)
    db.close()
  })

  it('answers "results of a check in a time range" from the index', () => {
    const db = openDatabase(path.join(dir, 'p.db'))
    const plan = (
      db
        .prepare('EXPLAIN QUERY PLAN SELECT * FROM result_blocks WHERE check_ref = 1 AND hour BETWEEN 1 AND 2')
        .all() as {detail: string}[]
    )
      .map((r) => r.detail)
      .join(' ')
    expect(plan).toMatch(/USING INDEX result_blocks_check/)
    db.close()
  })
})

describe('migrations', () => {
  it('applies a migration with a lower number that arrived after a higher one', () => {
    const file = path.join(dir, 'late.db')
    const [first, ...rest] = MIGRATIONS
    // The outbox (6) stands alone: later migrations build on incidents (2), rollups (3) and monitor state (5).
    const late = rest[4]
    openDatabase(file, {migrations: [first, ...rest.filter((m) => m !== late)]}).close()
    const db = openDatabase(file)
    const versions = (
      db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as {version: number}[]
    ).map((r) => r.version)
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b))
    expect(db.pragma('user_version', {simple: true})).toBe(Math.max(...MIGRATIONS.map((m) => m.version)))
    expect(late.version).toBeLessThan(Math.max(...rest.map((m) => m.version)))
    db.close()
  })

  it('adopts a database migrated before versions were recorded', () => {
    const file = path.join(dir, 'legacy.db')
    const raw = new Database(file)
    raw.exec(MIGRATIONS[0].up as string)
    raw.pragma('user_version = 1')
    raw.close()
    const db = openDatabase(file)
    expect((db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as {n: number}).n).toBe(MIGRATIONS.length)
    db.close()
  })
})
