let stdoutExit = 1

/**
 * A reader that goes away (EPIPE, as with `| head`) ends the output quietly and the command finishes with
 * its normal exit code; any other failure to write stdout (ENOSPC on a full disk …) is one line on stderr
 * and the "cannot run" exit code. Replaces oclif's own listener, which rethrows those as a stack trace.
 * bin/run.js calls it before oclif loads (for help output); BaseCommand again with the command's exit code.
 */
export function guardStdout(exit = 1): void {
  stdoutExit = exit
  for (const l of process.stdout.listeners('error'))
    if (l !== onStdoutError) process.stdout.off('error', l as (e: Error) => void)
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError)
  // Nowhere is left to report a broken stderr.
  if (!process.stderr.listeners('error').includes(ignore)) process.stderr.on('error', ignore)
}

let stdoutClosed = false

function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE' || (stdoutClosed && error.code === 'ERR_STREAM_DESTROYED')) {
    stdoutClosed = true
    return
  }

  process.stderr.write(`Error: cannot write to standard output: ${error.message}\n`)
  // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- a closed stdout ends the CLI at once
  process.exit(stdoutExit)
}

function ignore(): void {}
