import {Command, Flags, type Interfaces} from '@oclif/core'
import chalk from 'chalk'

import {UserError} from './errors.js'
import {type DB, defaultDbPath, openDatabase} from './store/db.js'
import {didYouMean} from './util/suggest.js'
import {guardStyled} from './ui/terminal-text.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Shared flags (--db, --json, --no-color, --debug), one-line error rendering with a hint, and the exit
 * codes of ARCHITECTURE.md: 2 for usage and definition errors, 1 for other failures.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    db: Flags.string({description: 'SQLite database file [default: $XDG_DATA_HOME/watchkeeper/watchkeeper.db]', env: 'WATCHKEEPER_DB', helpGroup: 'GLOBAL'}),
    color: Flags.boolean({description: 'colour the output (--no-color or NO_COLOR=1 turns it off)', allowNo: true, default: true, helpGroup: 'GLOBAL'}),
    debug: Flags.boolean({description: 'show stack traces and internal detail on errors', default: false, helpGroup: 'GLOBAL'}),
  }

  /** When set, every failure exits with this code (check run: 3, as Nagios asks). */
  static failureExitCode: number | undefined

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  private openDbs: DB[] = []

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
  }

  /** The database from --db / WATCHKEEPER_DB / the default path, opened and migrated; closed at exit. */
  protected openDb(opts: {readonly?: boolean} = {}): DB {
    const db = openDatabase(this.flags.db ?? defaultDbPath(), opts)
    this.openDbs.push(db)
    return db
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

  public override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string}): Promise<unknown> {
    const ctor = this.constructor as typeof BaseCommand
    if (err.code === 'EEXIT' || (err as {name?: string}).name === 'ExitError') {
      process.exitCode = err.oclif?.exit ?? 0
      return
    }
    const debug = this.flags?.debug ?? process.argv.includes('--debug')
    let exit: number
    let hint: string | undefined
    let code: string
    let message = err.message
    let detail: unknown
    if (err instanceof UserError) {
      exit = err.exit
      hint = err.hint
      code = err.code
      detail = err.detail
    } else if (err.oclif?.exit !== undefined) {
      exit = err.oclif.exit
      code = 'E_USAGE'
      message = message.replace(/\n?See more help with --help$/, '')
      hint = `See: ${[this.config.bin, ...(this.id ?? '').split(':')].filter(Boolean).join(' ')} --help`
      const guess = flagGuess(err as {flags?: unknown}, {...ctor.baseFlags, ...ctor.flags})
      if (guess) hint = `Did you mean ${guess}? ${hint}`
    } else {
      exit = 1
      code = 'E_INTERNAL'
      message = `unexpected error: ${err.message}`
      if (!debug) hint = 'Run again with --debug for the stack trace.'
    }
    if (ctor.failureExitCode !== undefined) exit = ctor.failureExitCode
    process.exitCode = exit
    if (this.jsonEnabled()) {
      process.stdout.write(JSON.stringify({error: {code, message, ...(hint ? {hint} : {}), ...(detail === undefined ? {} : {detail}), exit}}, null, 2) + '\n')
    } else {
      process.stderr.write(`${chalk.red('Error:')} ${guardStyled(message, {multiline: true})}\n`)
      if (hint) process.stderr.write(`${chalk.dim('Hint:')} ${guardStyled(hint, {multiline: true})}\n`)
    }
    if (debug && err.stack) process.stderr.write(err.stack + '\n')
  }
}

/** For a mistyped flag (oclif's NonExistentFlagsError), the closest flag of the command: `--problems`. */
function flagGuess(err: {flags?: unknown}, flags: Record<string, unknown> = {}): string | undefined {
  const typed = Array.isArray(err.flags) ? String(err.flags[0] ?? '') : ''
  if (!typed.startsWith('--')) return undefined
  const name = typed.slice(2).split('=')[0]
  const guess = didYouMean(name, [...Object.keys(flags), 'json'])
  return guess ? `--${guess}` : undefined
}
