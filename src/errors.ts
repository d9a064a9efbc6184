/** An error the user can act on: shown as one message with a hint, never with a stack trace. */
export class UserError extends Error {
  readonly hint?: string
  readonly code: string
  /** Exit code; commands map it to their own convention where they differ. */
  readonly exit: number
  /** Extra structured detail for --json output (e.g. validation problems). */
  readonly detail?: unknown

  constructor(message: string, opts: {hint?: string; code?: string; exit?: number; detail?: unknown} = {}) {
    super(message)
    this.name = 'UserError'
    this.hint = opts.hint
    this.code = opts.code ?? 'E_USER'
    this.exit = opts.exit ?? 1
    this.detail = opts.detail
  }
}

/** A definition file (catalogue or playbook) that does not validate. Exit 2 (3 for `check run`). */
export class DefinitionError extends UserError {
  readonly problems: Problem[]

  constructor(problems: Problem[], what = 'definition') {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${what} files:\n` +
        problems.map((p) => '  ' + formatProblem(p)).join('\n'),
      {code: 'E_DEFINITION', exit: 2, detail: problems},
    )
    this.problems = problems
  }
}

/** One validation problem, located in a file. */
export interface Problem {
  file: string
  line: number
  col: number
  /** Key path such as `checks[3].expect.status`. */
  path: string
  message: string
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path ? p.path + ': ' : ''}${p.message}`
}

/** The message of a caught value (an Error's message, anything else as text). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The `code` of a caught error (a Node errno code such as ENOENT, or SQLite's SQLITE_BUSY), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined
}
