/** What a command step printed, made safe to show: control bytes neutralised, long output capped with what was cut said. */
import {termText} from '../ui/terminal-text.js'

/** Output shown safely: termText's escapes (`\x1b`, `\t`, `\u202e`…), with its line breaks kept. */
export function neutralise(text: string): string {
  return termText(text, {multiline: true})
}

/** The facts of a `command_run` event the views show. */
export interface CommandRun {
  argv: string[]
  exitCode: number | null
  signal?: string
  timedOut: boolean
  durationMs?: number
  error?: string
  /** Bytes the command printed in all. */
  outputBytes: number
  /** The first bytes kept on the timeline, as text. */
  output: string
  /** Bytes of the output not kept on the timeline. */
  bytesNotKept: number
  outputSha256?: string
}

export function commandRunOf(data: Record<string, unknown>): CommandRun {
  const output = typeof data.output === 'string' ? data.output : ''
  const outputBytes = typeof data.outputBytes === 'number' ? data.outputBytes : Buffer.byteLength(output)
  const kept =
    typeof data.outputKeptBytes === 'number' ? data.outputKeptBytes : Math.min(outputBytes, Buffer.byteLength(output))
  return {
    argv: Array.isArray(data.argv) ? data.argv.map(String) : [],
    exitCode: typeof data.exitCode === 'number' ? data.exitCode : null,
    signal: typeof data.signal === 'string' ? data.signal : undefined,
    timedOut: data.timedOut === true,
    durationMs: typeof data.durationMs === 'number' ? data.durationMs : undefined,
    error: typeof data.error === 'string' ? data.error : undefined,
    outputBytes,
    output,
    bytesNotKept: Math.max(0, outputBytes - kept),
    outputSha256: typeof data.outputSha256 === 'string' ? data.outputSha256 : undefined,
  }
}

/** "exit 0", "exit 3", "killed by SIGKILL (timed out)", "did not start: spawn nope ENOENT". */
export function exitText(r: CommandRun): string {
  if (r.error && r.exitCode === null && !r.signal) return `did not start: ${neutralise(r.error)}`
  if (r.timedOut) return `timed out${r.signal ? ` (killed by ${r.signal})` : ''}`
  if (r.exitCode === null) return r.signal ? `killed by ${r.signal}` : 'no exit code'
  return `exit ${r.exitCode}`
}

export interface OutputExcerpt {
  /** Neutralised lines to show. */
  lines: string[]
  /** Lines of the kept output not shown. */
  linesCut: number
  /** One sentence on what is not shown, or undefined when everything is. */
  cut?: string
}

/**
 * The output as lines to show, at most maxLines (and maxChars), neutralised. What was cut is said: lines
 * beyond the cap, and bytes the timeline never kept.
 */
export function outputExcerpt(r: CommandRun, cap: {maxLines: number; maxChars: number}): OutputExcerpt {
  const all = neutralise(r.output).replace(/\n$/, '')
  const lines = all === '' ? [] : all.split('\n')
  const shown: string[] = []
  let chars = 0
  for (const line of lines) {
    if (shown.length >= cap.maxLines || chars >= cap.maxChars) break
    const room = cap.maxChars - chars
    shown.push(line.length > room ? `${line.slice(0, room)}…` : line)
    chars += Math.min(line.length, room) + 1
  }

  const linesCut = lines.length - shown.length
  const parts: string[] = []
  if (linesCut > 0) parts.push(`${linesCut} more line${linesCut === 1 ? '' : 's'} not shown`)
  if (r.bytesNotKept > 0)
    parts.push(
      `the timeline keeps the first ${r.outputBytes - r.bytesNotKept} of ${r.outputBytes} bytes (${r.bytesNotKept} cut; the SHA-256 covers all of them)`,
    )
  return {lines: shown, linesCut, cut: parts.length > 0 ? `${parts.join('; ')}.` : undefined}
}

/** How much of the output the terminal views show. */
export const TERMINAL_OUTPUT_CAP = {maxLines: 20, maxChars: 2000}
/** How much the md and html exports show: all the timeline keeps (8 KiB) unless it is mostly line breaks or escapes. */
export const EXPORT_OUTPUT_CAP = {maxLines: 400, maxChars: 16_384}
