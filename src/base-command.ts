import {Command, Flags, type Interfaces} from '@oclif/core'
import chalk from 'chalk'
import fs from 'node:fs'

import type {Sealer} from './incidents/chain.js'
import type {DB} from './store/db.js'
import {UserError} from './errors.js'
import {guardStdout} from './stdout-guard.js'
import {DEFAULT_LOCK_TIMEOUT_MS, type LockWaitEvent} from './store/lock.js'
import {guardStyled} from './ui/terminal-text.js'
import {formatDuration, parseDuration} from './util/duration.js'
import {didYouMean} from './util/suggest.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Shared flags (--db, --json, --no-color, --debug), one-line error rendering with a hint, and the exit
 * codes of ARCHITECTURE.md: 2 for usage and definition errors, 1 for other failures.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true
  static override baseFlags = {
    db: Flags.string({
      description: 'SQLite database file [default: $XDG_DATA_HOME/watchkeeper/watchkeeper.db]',
      env: 'WATCHKEEPER_DB',
      helpGroup: 'GLOBAL',
    }),
    color: Flags.boolean({
      description: 'colour the output (--no-color or NO_COLOR=1 turns it off)',
      allowNo: true,
      default: true,
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({
      description: 'show stack traces and internal detail on errors',
      default: false,
      helpGroup: 'GLOBAL',
    }),
    'lock-timeout': Flags.string({
      description: `how long a write waits for a database lock held by another process, e.g. 30s, 2m, 0 [default: ${DEFAULT_LOCK_TIMEOUT_MS / 1000}s]`,
      env: 'WATCHKEEPER_LOCK_TIMEOUT',
      helpGroup: 'GLOBAL',
    }),
    'signing-key': Flags.string({
      description: 'Ed25519 private key (PEM file) that seals every write to an incident; never stored',
      env: 'WATCHKEEPER_SIGNING_KEY',
      helpGroup: 'GLOBAL',
    }),
    'read-only': Flags.boolean({
      description: 'open the database read-only (commands that only read): nothing created, migrated or written',
      default: false,
      helpGroup: 'GLOBAL',
    }),
  }
  /** When set, every failure exits with this code (check run: 3, as Nagios asks). */
  static failureExitCode: number | undefined
  /** false: the command never opens the database, so init does not load the store (better-sqlite3 …). */
  static usesDatabase = true
  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  private openDbs: DB[] = []
  private store?: Store

  public override async init(): Promise<void> {
    await super.init()
    if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') chalk.level = 0
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    if (!this.flags.color) chalk.level = 0
    guardStdout((this.constructor as typeof BaseCommand).failureExitCode ?? 1)
    if ((this.constructor as typeof BaseCommand).usesDatabase) this.store = await loadStore()
  }

  /**
   * The database from --db / WATCHKEEPER_DB / the default path, opened and migrated; closed at exit.
   * reader: the command only reads, so a file the user cannot write (or --read-only) is opened read-only.
   * lockWait false: once open, a write fails after SQLite's busy timeout (at most 5 s) when another process
   * holds the lock, instead of waiting up to --lock-timeout (watch keeps the work and retries on its own).
   */
  protected openDb(opts: {reader?: boolean; readonly?: boolean; lockWait?: boolean} = {}): DB {
    if (!this.store) throw new Error(`${this.id} opens the database but declares usesDatabase = false`)
    const {defaultDbPath, openDatabase, setSealer} = this.store
    const file = this.flags.db ?? defaultDbPath()
    if (this.flags['read-only'] && !opts.reader && !opts.readonly) {
      throw new UserError(
        `--read-only: \`${this.config.bin} ${(this.id ?? '').split(':').join(' ')}\` writes to the database.`,
        {
          code: 'E_FLAG',
          exit: 2,
          hint: 'Read-only opening suits status, history, report …, posture diff, db stats|backup and incident list|show|verify|export.',
        },
      )
    }

    const lockTimeoutMs = this.lockTimeoutMs()
    const sealer =
      this.flags['signing-key'] && !this.flags['read-only']
        ? this.sealer(this.flags['signing-key'], this.store.sealerFromPem)
        : undefined
    const db = openDatabase(file, {
      reader: opts.reader,
      readonly: opts.readonly || this.flags['read-only'],
      lockTimeoutMs,
      ...(opts.lockWait === false ? {busyTimeoutMs: Math.min(lockTimeoutMs, 5000)} : {}),
      onLockWait: (e) => e.phase === 'gave-up' || this.note(lockWaitText(e)),
    })
    this.openDbs.push(db)
    if (sealer && !db.readonly) setSealer(db, sealer)
    return db
  }

  /** The sealer of --signing-key (the key is read here and kept in memory only). */
  private sealer(file: string, sealerFromPem: Store['sealerFromPem']): Sealer {
    let pem: Buffer
    try {
      pem = fs.readFileSync(file)
      if ((fs.statSync(file).mode & 0o077) !== 0)
        this.note(`Warning: the signing key ${file} can be read by other users; keep it mode 0600.`)
    } catch (error) {
      throw new UserError(`--signing-key ${file}: ${(error as Error).message}`, {code: 'E_FLAG', exit: 2})
    }

    try {
      return sealerFromPem(pem)
    } catch (error) {
      throw new UserError(`--signing-key ${file}: ${(error as Error).message}`, {
        code: 'E_FLAG',
        exit: 2,
        hint: 'Make one with: openssl genpkey -algorithm ed25519 -out seal.pem',
      })
    }
  }

  private lockTimeoutMs(): number {
    const text = this.flags['lock-timeout']
    if (text === undefined || text === '') return DEFAULT_LOCK_TIMEOUT_MS
    const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDuration(text)
    if (ms === undefined || ms > 86_400_000) {
      throw new UserError(
        `--lock-timeout ${text}: expected a duration up to 24h such as 30s, 2m or 0 (do not wait); a bare number is seconds`,
        {code: 'E_FLAG', exit: 2},
      )
    }

    return ms
  }

  /** --json output: plain JSON (oclif's colouriser tokenises the whole document, slow on large reports). */
  public override logJson(json: unknown): void {
    process.stdout.write(JSON.stringify(json, null, 2) + '\n')
  }

  /** Human text on stderr (progress, warnings), so stdout stays clean for --json and pipes. */
  protected note(text: string): void {
    process.stderr.write(guardStyled(text, {multiline: true}) + '\n')
  }

  public override async finally(err: Error | undefined): Promise<unknown> {
    for (const db of this.openDbs.splice(0)) {
      try {
        if (db.open) db.close()
      } catch {
        // closing is best effort
      }
    }

    return super.finally(err)
  }

  public override async catch(
    err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string},
  ): Promise<unknown> {
    const ctor = this.constructor as typeof BaseCommand
    if (err.code === 'EEXIT' || (err as {name?: string}).name === 'ExitError') {
      process.exitCode = err.oclif?.exit ?? 0
      return
    }

    const debug = this.flags?.debug ?? process.argv.includes('--debug')
    let exit: number
    let hint: string | undefined
    let code: string
    let {message} = err
    let detail: unknown
    if (err instanceof UserError) {
      exit = err.exit
      hint = err.hint
      code = err.code
      detail = err.detail
    } else if (err.oclif?.exit === undefined) {
      exit = 1
      code = 'E_INTERNAL'
      message = `unexpected error: ${err.message}`
      if (!debug) hint = 'Run again with --debug for the stack trace.'
    } else {
      exit = err.oclif.exit
      code = 'E_USAGE'
      message = message.replace(/\n?See more help with --help$/, '')
      hint = `See: ${[this.config.bin, ...(this.id ?? '').split(':')].filter(Boolean).join(' ')} --help`
      const guess = flagGuess(err as {flags?: unknown}, {...ctor.baseFlags, ...ctor.flags})
      if (guess) hint = `Did you mean ${guess}? ${hint}`
    }

    if (ctor.failureExitCode !== undefined) exit = ctor.failureExitCode
    process.exitCode = exit
    if (this.jsonEnabled()) {
      process.stdout.write(
        JSON.stringify(
          {error: {code, message, ...(hint ? {hint} : {}), ...(detail === undefined ? {} : {detail}), exit}},
          null,
          2,
        ) + '\n',
      )
    } else {
      process.stderr.write(`${chalk.red('Error:')} ${guardStyled(message, {multiline: true})}\n`)
      if (hint) process.stderr.write(`${chalk.dim('Hint:')} ${guardStyled(hint, {multiline: true})}\n`)
    }

    if (debug && err.stack) process.stderr.write(err.stack + '\n')
  }
}

type Store = Pick<typeof import('./incidents/chain.js'), 'sealerFromPem'> &
  Pick<typeof import('./store/incidents.js'), 'setSealer'> &
  typeof import('./store/db.js')

async function loadStore(): Promise<Store> {
  const [db, {setSealer}, {sealerFromPem}] = await Promise.all([
    import('./store/db.js'),
    import('./store/incidents.js'),
    import('./incidents/chain.js'),
  ])
  return {...db, setSealer, sealerFromPem}
}

/** For a mistyped flag (oclif's NonExistentFlagsError), the closest flag of the command: `--problems`. */
function flagGuess(err: {flags?: unknown}, flags: Record<string, unknown> = {}): string | undefined {
  const typed = Array.isArray(err.flags) ? String(err.flags[0] ?? '') : ''
  if (!typed.startsWith('--')) return undefined
  const name = typed.slice(2).split('=')[0]
  const guess = didYouMean(name, [...Object.keys(flags), 'json'])
  return guess ? `--${guess}` : undefined
}

function lockWaitText(e: LockWaitEvent): string {
  if (e.phase === 'waiting')
    return `The database ${e.file} is locked by another process; waiting up to ${formatDuration(e.timeoutMs)} for it (--lock-timeout)…`
  return `Got the database lock after ${formatDuration(e.waitedMs)}.`
}
