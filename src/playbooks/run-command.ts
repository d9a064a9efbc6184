import {spawn} from 'node:child_process'

import type {CommandOutcome} from './engine.js'

/** Runs a program with arguments, never through a shell; stdout and stderr are captured as they interleave. */
export function runCommand(argv: string[], opts: {timeoutMs: number; cwd?: string}): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const started = performance.now()
    const chunks: Buffer[] = []
    let timedOut = false
    let settled = false
    const finish = (o: Omit<CommandOutcome, 'output' | 'durationMs' | 'timedOut'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({...o, timedOut, durationMs: performance.now() - started, output: Buffer.concat(chunks)})
    }

    const child = spawn(argv[0], argv.slice(1), {shell: false, stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd})
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, opts.timeoutMs)
    child.stdout.on('data', (d: Buffer) => chunks.push(d))
    child.stderr.on('data', (d: Buffer) => chunks.push(d))
    child.on('error', (error) => finish({exitCode: null, error: error.message}))
    child.on('close', (code, signal) => finish({exitCode: code, signal}))
  })
}

/** At most max bytes of buf, cut before a UTF-8 sequence the cap would split (so the kept text decodes cleanly). */
export function utf8Prefix(buf: Buffer, max: number): Buffer {
  if (buf.length <= max) return buf
  let end = max
  // Back up over continuation bytes (10xxxxxx) to the lead byte of the last sequence, at most 3.
  let back = 0
  while (back < 3 && end - back > 0 && (buf[end - back - 1] & 0xc0) === 0x80) back++
  const lead = buf[end - back - 1]
  const need = lead === undefined ? 0 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
  if (need > back + 1) end -= back + 1
  return buf.subarray(0, end)
}
