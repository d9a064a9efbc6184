import Database from 'better-sqlite3'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {UserError} from '../errors.js'
import {MIGRATIONS, type Migration} from './migrations/index.js'

export type DB = Database.Database

/** Default database: $XDG_DATA_HOME/watchkeeper/watchkeeper.db (~/.local/share when unset). */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)
    ? env.XDG_DATA_HOME
    : path.join(os.homedir(), '.local', 'share')
  return path.join(base, 'watchkeeper', 'watchkeeper.db')
}

export interface OpenOptions {
  /** Open an existing database without creating or migrating it. */
  readonly?: boolean
  migrations?: readonly Migration[]
  /** How long a writer waits for a lock held by another process. */
  busyTimeoutMs?: number
}

/** mkdir -p with mode 0700, one level at a time (fs.mkdirSync's recursive mode can spin on /proc). */
function makeDirs(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder`)
    return
  }
  const parent = path.dirname(dir)
  if (parent !== dir) makeDirs(parent)
  fs.mkdirSync(dir, {mode: 0o700})
}

/**
 * Opens (creating when needed, with mode 0600 in a 0700 folder) and migrates the database.
 * Every failure becomes a UserError naming the path.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): DB {
  const migrations = opts.migrations ?? MIGRATIONS
  const hint = 'Pass --db PATH (or set WATCHKEEPER_DB) to a file in a writable folder.'
  if (file !== ':memory:' && !opts.readonly) {
    try {
      const dir = path.dirname(path.resolve(file))
      makeDirs(dir)
      if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'wx', 0o600))
      else fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK)
    } catch (error) {
      throw new UserError(`Cannot open database ${file}: ${(error as Error).message}`, {hint, code: 'E_DB_OPEN'})
    }
  }
  let db: DB
  try {
    db = new Database(file, {readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false})
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`)
    if (!opts.readonly) db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
  } catch (error) {
    throw new UserError(`Cannot open database ${file}: ${(error as Error).message}`, {hint, code: 'E_DB_OPEN'})
  }
  try {
    migrate(db, migrations, file)
  } catch (error) {
    db.close()
    throw error
  }
  return db
}

/**
 * Applies every migration not yet applied, in number order, each in its own transaction, and records it
 * in schema_migrations (so one merged late with a lower number still runs). user_version holds the
 * highest applied; a database from a newer watchkeeper is refused.
 */
export function migrate(db: DB, migrations: readonly Migration[], label = 'database'): number {
  const current = db.pragma('user_version', {simple: true}) as number
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0)
  if (current > latest) {
    throw new UserError(
      `${label} has schema version ${current}, newer than this watchkeeper understands (${latest}).`,
      {hint: 'Upgrade watchkeeper, or point --db at another file.', code: 'E_DB_NEWER'},
    )
  }
  const tracked = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined
  const applied = new Set<number>(tracked
    ? (db.prepare('SELECT version FROM schema_migrations').all() as {version: number}[]).map((r) => r.version)
    : migrations.filter((m) => m.version <= current).map((m) => m.version))
  const pending = [...migrations].filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version)
  if (pending.length === 0) return current
  if (db.readonly) {
    throw new UserError(`${label} needs migrating (${pending.map((m) => m.version).join(', ')}); it was opened read-only.`, {code: 'E_DB_OLD'})
  }
  if (!tracked) {
    db.transaction(() => {
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)')
      const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
      for (const m of migrations) if (applied.has(m.version)) record.run(m.version, m.name, Date.now())
    }).immediate()
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  let version = current
  for (const m of pending) {
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up)
      else m.up(db)
      record.run(m.version, m.name, Date.now())
      version = Math.max(version, m.version)
      db.pragma(`user_version = ${version}`)
    }).immediate()
  }
  return version
}
