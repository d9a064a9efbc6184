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
