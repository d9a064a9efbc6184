import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs the real CLI (bin/run.js) as a child process. */
export function runCli(
  args: string[],
  opts: {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string} = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: {...process.env, NO_COLOR: '1', WATCHKEEPER_CHECKS: '', ...opts.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stdout, stderr})
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tmpDir(prefix = 'wk-'): {dir: string; cleanup: () => void} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  return {dir, cleanup: () => fs.rmSync(dir, {recursive: true, force: true})}
}
