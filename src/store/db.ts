import Database from 'better-sqlite3'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {errorCode, errorMessage, UserError} from '../errors.js'
import {BUSY_SLICE_MS, DEFAULT_LOCK_TIMEOUT_MS, type LockWaitEvent, setLockPolicy, withLockWait} from './lock.js'
import {type Migration, MIGRATIONS} from './migrations/index.js'

export type DB = Database.Database

/** Default database: $XDG_DATA_HOME/watchkeeper/watchkeeper.db (~/.local/share when unset). */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)
      ? env.XDG_DATA_HOME
      : path.join(os.homedir(), '.local', 'share')
  return path.join(base, 'watchkeeper', 'watchkeeper.db')
}

export interface OpenOptions {
  /** Open read-only: nothing created, no WAL switch, no migration (a schema that needs one is refused, saying why). */
  readonly?: boolean
  /**
   * The caller only reads: the file is opened read-write as usual (created and migrated when needed) if it
   * can be written, and read-only otherwise (a file or folder the user cannot write, a read-only mount).
   */
  reader?: boolean
  migrations?: readonly Migration[]
  /** How long a write waits in all for a lock held by another process (default 30 s), retrying with backoff. */
  lockTimeoutMs?: number
  /** Told when a write starts waiting for the lock, gets it, or gives up. */
  onLockWait?: (e: LockWaitEvent) => void
  /**
   * Once open (opening itself waits up to lockTimeoutMs), one attempt per write within this SQLite busy
   * timeout, then StoreBusyError, with no retry loop (for watch, which keeps the work and retries without
   * blocking its event loop).
   */
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
  try {
    fs.mkdirSync(dir, {mode: 0o700})
  } catch (error) {
    // Another process made it first.
    if (errorCode(error) !== 'EEXIST' || !fs.statSync(dir).isDirectory()) throw error
  }
}

/** Creates the file 0600 unless it exists (another process may create it at the same moment). */
function createFile(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600))
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error
  }
}

/** Why this user cannot write the database (or the folder SQLite needs for its -wal and -shm files); undefined when it can. */
function cannotWrite(file: string): string | undefined {
  for (const [target, what] of [
    [file, 'the file'],
    [path.dirname(path.resolve(file)), 'its folder'],
  ] as const) {
    try {
      fs.accessSync(target, fs.constants.W_OK)
    } catch (error) {
      const code = errorCode(error)
      if (what === 'its folder' && fs.existsSync(`${file}-wal`) && fs.existsSync(`${file}-shm`)) continue
      return code === 'EROFS' ? 'it is on a read-only file system' : `you cannot write ${what} (${code})`
    }
  }

  return undefined
}

const WAL_SNAPSHOT_LIMIT = 1024 * 1024 * 1024

/**
 * Opens a database file strictly read-only: nothing is written, locked for writing or created beside it.
 * SQLite cannot read a WAL-mode file read-only without creating its -shm file, so when no -wal file holds
 * unapplied changes the file is read into memory and opened from there (the copy's header marked
 * rollback-journal, which is what makes it readable); otherwise SQLite reads it in place, with the
 * -wal and -shm files that are already there.
 */
/** A pragma whose value is a number (page_size, user_version...), read with {simple: true}. */
export function pragmaNumber(db: DB, pragma: string): number {
  const value = db.pragma(pragma, {simple: true})
  if (typeof value !== 'number') throw new TypeError(`pragma ${pragma} returned ${String(value)}, not a number`)
  return value
}

/** A pragma whose value is text (journal_mode, quick_check...), read with {simple: true}. */
export function pragmaText(db: DB, pragma: string): string {
  return String(db.pragma(pragma, {simple: true}))
}

function openReadOnly(file: string, why: string): DB {
  let size: number
  try {
    size = fs.statSync(file).size
    fs.accessSync(file, fs.constants.R_OK)
  } catch (error) {
    throw new UserError(`Cannot open database ${file}: ${errorMessage(error)}`, {code: 'E_DB_OPEN'})
  }

  const walSize = fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0
  if (walSize === 0 && size <= WAL_SNAPSHOT_LIMIT) {
    const image = fs.readFileSync(file)
    if (image.length >= 100 && image.subarray(0, 16).toString('latin1') === 'SQLite format 3\0' && image[18] === 2) {
      image[18] = 1
      image[19] = 1
      const db = new Database(image, {readonly: true})
      return labelled(db, file, why)
    }
  }

  try {
    const db = new Database(file, {readonly: true, fileMustExist: true})
    db.pragma('busy_timeout = 5000')
    db.pragma('user_version')
    return labelled(db, file, why)
  } catch (error) {
    const code = errorCode(error) ?? ''
    const detail =
      walSize > 0
        ? `${file}-wal holds changes not yet in the file, and SQLite needs ${file}-shm to read them${fs.existsSync(`${file}-shm`) ? '' : ', which it cannot create here'}`
        : size > WAL_SNAPSHOT_LIMIT
          ? `it is over ${WAL_SNAPSHOT_LIMIT / 1_048_576} MiB, too large to read into memory, and SQLite cannot read it in place here`
          : errorMessage(error)
    throw new UserError(`Cannot read database ${file} read-only (${why}): ${detail}${code ? ` [${code}]` : ''}.`, {
      hint: `Copy ${file} (with any -wal and -shm files beside it) to a folder you can write, and pass --db COPY.`,
      code: 'E_DB_OPEN',
    })
  }
}

const readOnlyWhy = new WeakMap<DB, {file: string; why: string}>()

function labelled(db: DB, file: string, why: string): DB {
  readOnlyWhy.set(db, {file, why})
  return db
}

/** The file a connection reads (a read-only snapshot in memory is named ':memory:' by SQLite). */
export function databaseFile(db: DB): string {
  return readOnlyWhy.get(db)?.file ?? db.name
}

/** Why a connection was opened read-only ("--read-only", "you cannot write the file (EACCES)"), or undefined. */
export function readOnlyReason(db: DB): string | undefined {
  return readOnlyWhy.get(db)?.why
}

/**
 * Opens (creating when needed, with mode 0600 in a 0700 folder) and migrates the database. Any number of
 * processes may do this at once on a new file: creation tolerates a concurrent creator, and each migration
 * step is an IMMEDIATE transaction that re-reads what is applied. Every failure becomes a UserError naming
 * the path.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): DB {
  const migrations = opts.migrations ?? MIGRATIONS
  const hint = 'Pass --db PATH (or set WATCHKEEPER_DB) to a file in a writable folder.'
  // Opening (the WAL switch, migrations) always waits for the lock; afterwards writes follow busyTimeoutMs when given.
  const opening = {timeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, retry: true, onWait: opts.onLockWait}
  const policy =
    opts.busyTimeoutMs === undefined ? opening : {timeoutMs: opts.busyTimeoutMs, retry: false, onWait: opts.onLockWait}
  let readOnly: string | undefined = opts.readonly ? 'asked for read-only' : undefined
  if (file !== ':memory:' && !readOnly && opts.reader && fs.existsSync(file)) readOnly = cannotWrite(file)
  if (readOnly) {
    const db = openReadOnly(file, readOnly)
    setLockPolicy(db, policy, file)
    try {
      migrate(db, migrations, file)
    } catch (error) {
      db.close()
      throw error
    }

    return db
  }

  if (file !== ':memory:') {
    try {
      makeDirs(path.dirname(path.resolve(file)))
      createFile(file)
      fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK)
    } catch (error) {
      throw new UserError(`Cannot open database ${file}: ${errorMessage(error)}`, {hint, code: 'E_DB_OPEN'})
    }
  }

  let db: DB
  try {
    db = new Database(file)
    db.pragma(`busy_timeout = ${Math.min(BUSY_SLICE_MS, opening.timeoutMs)}`)
    setLockPolicy(db, opening, file)
  } catch (error) {
    throw new UserError(`Cannot open database ${file}: ${errorMessage(error)}`, {hint, code: 'E_DB_OPEN'})
  }

  try {
    // A new file's first opener switches it to WAL (which takes the lock briefly); the mode then sticks.
    if (file !== ':memory:') {
      withLockWait(db, () => {
        if (db.pragma('journal_mode', {simple: true}) === 'wal') return
        const mode = db.pragma('journal_mode = WAL', {simple: true})
        if (mode !== 'wal') throw Object.assign(new Error(`journal_mode stayed ${String(mode)}`), {code: 'SQLITE_BUSY'})
      })
    }

    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
  } catch (error) {
    db.close()
    if (error instanceof UserError) throw error
    throw new UserError(`Cannot open database ${file}: ${errorMessage(error)}`, {hint, code: 'E_DB_OPEN'})
  }

  try {
    migrate(db, migrations, file)
  } catch (error) {
    db.close()
    throw error
  }

  if (policy !== opening) {
    db.pragma(`busy_timeout = ${policy.timeoutMs}`)
    setLockPolicy(db, policy, file)
  }

  return db
}

interface SchemaState {
  current: number
  tracked: boolean
  pending: Migration[]
}

function schemaState(db: DB, migrations: readonly Migration[], label: string): SchemaState {
  const current = pragmaNumber(db, 'user_version')
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0)
  if (current > latest) {
    throw new UserError(
      `${label} has schema version ${current}, newer than this watchkeeper understands (${latest}).`,
      {hint: 'Upgrade watchkeeper, or point --db at another file.', code: 'E_DB_NEWER'},
    )
  }

  const tracked =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined
  const applied = new Set<number>(
    tracked
      ? db.prepare<[], number>('SELECT version FROM schema_migrations').pluck().all()
      : migrations.filter((m) => m.version <= current).map((m) => m.version),
  )
  const pending = [...migrations].filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version)
  return {current, tracked, pending}
}

/**
 * Applies every migration not yet applied, in number order, each in its own IMMEDIATE transaction that
 * first re-reads what is applied (another process may have just done it), and records it in
 * schema_migrations (so one merged late with a lower number still runs). user_version holds the highest
 * applied; a database from a newer watchkeeper is refused, and one opened read-only that needs
 * migrating is refused saying so.
 */
export function migrate(db: DB, migrations: readonly Migration[], label = 'database'): number {
  const first = schemaState(db, migrations, label)
  if (first.pending.length === 0) return first.current
  if (db.readonly) {
    const why = readOnlyReason(db) ?? 'opened read-only'
    const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0)
    throw new UserError(
      `${label} is read-only (${why}) and its schema is version ${first.current}; this watchkeeper needs ${latest} ` +
        `(pending: ${first.pending.map((m) => `${m.version} ${m.name}`).join(', ')}), and migrating would write to it.`,
      {
        hint: `Copy it to a folder you can write and open the copy once to migrate it (e.g. cp ${label} /tmp/wk-copy.db; watchkeeper status --db /tmp/wk-copy.db).`,
        code: 'E_DB_OLD',
      },
    )
  }

  let version = first.current
  for (;;) {
    const done = withLockWait(
      db,
      () =>
        db
          .transaction(() => {
            const st = schemaState(db, migrations, label)
            version = st.current
            if (!st.tracked) {
              db.exec(
                'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
              )
              const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
              const pending = new Set(st.pending.map((m) => m.version))
              for (const m of migrations) if (!pending.has(m.version)) record.run(m.version, m.name, Date.now())
            }

            const m = st.pending[0]
            if (m === undefined) return true
            if (typeof m.up === 'string') db.exec(m.up)
            else m.up(db)
            db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
              m.version,
              m.name,
              Date.now(),
            )
            version = Math.max(version, m.version)
            db.pragma(`user_version = ${version}`)
            return false
          })
          .immediate(),
      'the database was not created or migrated',
    )
    if (done) return version
  }
}
