import type Database from 'better-sqlite3'

import {errorCode, errorMessage, UserError} from '../errors.js'
import {formatDuration} from '../util/duration.js'

type DB = Database.Database

/** Default bound on how long a writer waits for another process's write lock. */
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000

/** What a connection does when another process holds the write lock. */
export interface LockPolicy {
  /** The longest a write waits in all before giving up with StoreBusyError. */
  timeoutMs: number
  /**
   * false: one attempt within SQLite's busy timeout, then StoreBusyError at once (watch keeps the work and
   * retries on its own, so its event loop is never blocked for long).
   */
  retry: boolean
  /** Told once when a write starts waiting, and again when it gets the lock or gives up. */
  onWait?: (e: LockWaitEvent) => void
}

export interface LockWaitEvent {
  phase: 'waiting' | 'acquired' | 'gave-up'
  file: string
  waitedMs: number
  timeoutMs: number
  /** What giving up would lose, when the caller said (e.g. "the 12 results of this run are not stored"). */
  what?: string
}

/** The write lock stayed with another process past the lock timeout; nothing of this write was stored. */
export class StoreBusyError extends UserError {
  readonly waitedMs: number

  constructor(file: string, waitedMs: number, what?: string, gaveUp = true) {
    super(
      gaveUp
        ? `The database ${file} stayed locked by another process for ${formatDuration(waitedMs)}; gave up without writing anything${what ? ` (${what})` : ''}.`
        : `The database ${file} is locked by another process (waited ${formatDuration(waitedMs)}); nothing was written.`,
      {
        code: 'E_DB_LOCKED',
        hint: 'Another process holds the write lock (a long `db vacuum`, a backup tool?). Wait for it, or raise --lock-timeout (WATCHKEEPER_LOCK_TIMEOUT).',
      },
    )
    this.name = 'StoreBusyError'
    this.waitedMs = waitedMs
  }
}

/** The connection is read-only and something tried to write through it. */
export class StoreReadOnlyError extends UserError {
  constructor(file: string, why: string) {
    super(`The database ${file} is open read-only (${why}); this needs to write to it.`, {code: 'E_DB_READONLY'})
    this.name = 'StoreReadOnlyError'
  }
}

const policies = new WeakMap<DB, LockPolicy & {label: string}>()

export function setLockPolicy(db: DB, policy: LockPolicy, label = db.name): void {
  policies.set(db, {...policy, label})
}

/** SQLITE_BUSY and SQLITE_LOCKED with any extended code (BUSY_SNAPSHOT, BUSY_RECOVERY …). */
export function isBusy(error: unknown): boolean {
  const code = errorCode(error)
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the thread (better-sqlite3 is synchronous; the write it guards cannot proceed anyway). */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms)
}

/** The part of a wait SQLite spends in its own busy handler before control comes back to say so. */
export const BUSY_SLICE_MS = 1000

/**
 * Runs fn, which must be safe to repeat (a whole transaction, or a statement such as VACUUM): when the
 * database is locked it waits with backoff (SQLite's busy handler for up to BUSY_SLICE_MS each try, then a
 * growing pause) until the connection's lock timeout, saying so through the policy's onWait; then throws
 * StoreBusyError. A write to a read-only connection becomes StoreReadOnlyError.
 */
export function withLockWait<T>(db: DB, fn: () => T, what?: string): T {
  const policy = policies.get(db) ?? {timeoutMs: 5000, retry: false, label: db.name}
  const started = Date.now()
  let pause = 25
  let announced = false
  try {
    for (;;) {
      try {
        const out = fn()
        if (announced)
          policy.onWait?.({
            phase: 'acquired',
            file: policy.label,
            waitedMs: Date.now() - started,
            timeoutMs: policy.timeoutMs,
            what,
          })
        return out
      } catch (error) {
        if (errorCode(error)?.startsWith('SQLITE_READONLY'))
          throw new StoreReadOnlyError(policy.label, errorMessage(error))
        if (!isBusy(error)) throw error
        const waited = Date.now() - started
        if (!policy.retry || waited >= policy.timeoutMs) {
          if (announced)
            policy.onWait?.({phase: 'gave-up', file: policy.label, waitedMs: waited, timeoutMs: policy.timeoutMs, what})
          throw new StoreBusyError(policy.label, waited, what, policy.retry)
        }

        if (!announced) {
          announced = true
          policy.onWait?.({phase: 'waiting', file: policy.label, waitedMs: waited, timeoutMs: policy.timeoutMs, what})
        }

        sleepSync(Math.min(pause, policy.timeoutMs - waited))
        pause = Math.min(pause * 2, 500)
        // The next try's own wait inside SQLite ends by the deadline.
        db.pragma(`busy_timeout = ${Math.max(0, Math.min(BUSY_SLICE_MS, policy.timeoutMs - (Date.now() - started)))}`)
      }
    }
  } finally {
    if (announced) db.pragma(`busy_timeout = ${Math.min(BUSY_SLICE_MS, policy.timeoutMs)}`)
  }
}

/**
 * A write transaction: IMMEDIATE, so the write lock is taken at BEGIN (no deadlock between two readers
 * that both want to write), waiting for it as withLockWait does. Inside another transaction it is a
 * savepoint of that one.
 */
export function writeTx<T>(db: DB, fn: () => T, what?: string): T {
  if (db.inTransaction) return db.transaction(fn)()
  return withLockWait(db, () => db.transaction(fn).immediate(), what)
}
