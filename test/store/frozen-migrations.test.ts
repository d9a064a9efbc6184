import fs from 'node:fs'
import {builtinModules} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import ts from 'typescript'
import {afterEach, describe, expect, it} from 'vitest'

import type {Status} from '../../src/types.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {MIGRATIONS} from '../../src/store/migrations/index.js'
import {type RollupInput, updateRollups} from '../../src/store/rollups.js'

const MIGRATIONS_DIR = path.resolve(__dirname, '../../src/store/migrations')
const BUILTINS = new Set(builtinModules)

/**
 * The imports of a source file that would run live code: every value import (static, re-export or dynamic)
 * whose module is neither a node built-in nor a file inside the migrations folder. Type-only imports are
 * erased by the compiler and allowed.
 */
function liveImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out: string[] = []
  const check = (spec: string, node: ts.Node) => {
    if (spec.startsWith('node:') || BUILTINS.has(spec)) return
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec)
      if (path.dirname(target) === MIGRATIONS_DIR) return
    }

    const {line} = source.getLineAndCharacterOfPosition(node.getStart())
    out.push(`${path.basename(file)}:${line + 1} imports ${spec}`)
  }

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)))
      if (!typeOnly) check(node.moduleSpecifier.text, node)
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) check(node.moduleSpecifier.text, node)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments
      if (arg && ts.isStringLiteral(arg)) check(arg.text, node)
      else out.push(`${path.basename(file)}: a dynamic import of a computed module`)
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      const [arg] = node.arguments
      if (arg && ts.isStringLiteral(arg)) check(arg.text, node)
    }

    ts.forEachChild(node, visit)
  }

  visit(source)
  return out
}

describe('frozen migrations', () => {
  it('no file under src/store/migrations imports live code', () => {
    const files = fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThanOrEqual(MIGRATIONS.length + 1)
    const found = files.flatMap((f) =>
      liveImports(path.join(MIGRATIONS_DIR, f), fs.readFileSync(path.join(MIGRATIONS_DIR, f), 'utf8')),
    )
    expect(found).toEqual([])
  })

  it('the import check names a value import of live code and lets built-ins, type-only and sibling imports through', () => {
    const file = path.join(MIGRATIONS_DIR, '010-example.ts')
    const text = [
      "import {createHash} from 'node:crypto'",
      "import zlib from 'zlib'",
      "import type Database from 'better-sqlite3'",
      "import {type DB} from '../db.js'",
      "import {foldResults} from './frozen-rollups-3.js'",
      "import {updateRollups} from '../rollups.js'",
      "export {encodeBlock} from '../result-blocks.js'",
      "import {STATUSES, type Status} from '../../types.js'",
      "const later = () => import('../results.js')",
      "import Sqlite from 'better-sqlite3'",
    ].join('\n')
    expect(liveImports(file, text)).toEqual([
      '010-example.ts:6 imports ../rollups.js',
      '010-example.ts:7 imports ../result-blocks.js',
      '010-example.ts:8 imports ../../types.js',
      '010-example.ts:9 imports ../results.js',
      '010-example.ts:10 imports better-sqlite3',
    ])
  })
})

describe('migration 3 (frozen rollup fold)', () => {
  const dirs: string[] = []
  const dbs: DB[] = []
  afterEach(() => {
    for (const d of dbs.splice(0)) d.close()
    for (const d of dirs.splice(0)) fs.rmSync(d, {recursive: true, force: true})
  })

  function openAt(version: number, name: string): DB {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-m3-'))
    dirs.push(dir)
    const db = openDatabase(path.join(dir, name), {migrations: MIGRATIONS.filter((m) => m.version <= version)})
    dbs.push(db)
    return db
  }

  const CODES: Record<Status, number> = {ok: 0, warn: 1, crit: 2, unknown: 3}
  const STATUS_AT = (i: number): Status =>
    i % 37 < 4 ? 'crit' : i % 53 === 1 ? 'warn' : i % 61 === 2 ? 'unknown' : 'ok'
  // Two checks across the London spring change (30 March 2025, 01:00Z), a result every 7 minutes, some out of order.
  const inputs = (refs: number[]): RollupInput[] =>
    Array.from({length: 1200}, (_, i) => ({
      checkRef: refs[i % 2],
      ts: Date.UTC(2025, 2, 28) + i * 7 * 60_000 - (i % 29 === 0 ? 25 * 60_000 : 0),
      status: STATUS_AT(i),
      durationMs: (i * 7919) % 1000 < 900 ? 20 + (i % 180) + 0.37 : 1500 + (i % 400),
    }))

  function tables(db: DB): Record<string, unknown[]> {
    const q = (sql: string) => db.prepare(sql).all()
    return {
      hourly: q('SELECT * FROM rollup_hourly ORDER BY hour_start, check_ref'),
      daily: q('SELECT * FROM rollup_daily ORDER BY day_start, check_ref'),
      outages: q('SELECT * FROM outages ORDER BY id'),
      cursor: q('SELECT * FROM rollup_cursor ORDER BY check_ref'),
    }
  }

  function addChecks(db: DB): number[] {
    const add = db.prepare(
      `INSERT INTO checks (check_id, kind, target, first_seen, last_seen) VALUES (?, 'tcp', 'x:1', 0, 0)`,
    )
    return ['api', 'web'].map((id) => Number(add.run(id).lastInsertRowid))
  }

  it('gives the same rollups, outages and cursor, byte for byte, as the live fold of the same results at schema 3', () => {
    const old = openAt(2, 'old.db')
    const refs = addChecks(old)
    const rows = inputs(refs)
    const insert = old.prepare(
      'INSERT INTO results (check_ref, ts, status, duration_ms, summary) VALUES (?, ?, ?, ?, ?)',
    )
    old.transaction(() => {
      for (const r of rows) insert.run(r.checkRef, r.ts, CODES[r.status], r.durationMs, 'x')
    })()
    const file = old.name
    old.close()
    dbs.splice(dbs.indexOf(old), 1)
    const migrated = openDatabase(file, {migrations: MIGRATIONS.filter((m) => m.version <= 3)})
    dbs.push(migrated)

    const live = openAt(3, 'live.db')
    const liveRefs = addChecks(live)
    expect(liveRefs).toEqual(refs)
    // Migration 3 reads the results in (check, time, id) order; the live fold gets them in that order too.
    const ordered = rows
      .map((r, i) => ({...r, i}))
      .sort((a, b) => a.checkRef - b.checkRef || a.ts - b.ts || a.i - b.i)
      .map(({i: _, ...r}) => r)
    live.transaction(() => updateRollups(live, ordered))()

    const a = tables(migrated)
    const b = tables(live)
    expect(a.outages.length).toBeGreaterThan(20)
    // Six London days each, and one late result of the first check back on 27 March.
    expect(a.daily.length).toBe(2 * 6 + 1)
    expect(a).toEqual(b)
  })
})
