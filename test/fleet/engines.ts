import {execFile} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/**
 * The path of a Prometheus / Alertmanager binary on PATH. A missing engine fails the test (never skips it):
 * the fleet rules and configs are only known good when the real tools accept them.
 */
export function engine(name: 'prometheus' | 'promtool' | 'prometheus-alertmanager' | 'amtool'): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name)
    try {
      fs.accessSync(file, fs.constants.X_OK)
      return file
    } catch {
      // next
    }
  }

  throw new Error(
    `${name} is not installed (Debian: ${name.includes('alertmanager') || name === 'amtool' ? 'prometheus-alertmanager' : 'prometheus'}); run scripts/deps.sh test`,
  )
}

export interface ToolResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a tool to completion; never throws on a non-zero exit. */
export function runTool(
  file: string,
  args: string[],
  opts: {cwd?: string; timeoutMs?: number} = {},
): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(file, args, {cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000}, (error, stdout, stderr) => {
      const code = error
        ? typeof (error as {code?: unknown}).code === 'number'
          ? (error as {code: number}).code
          : 1
        : 0
      resolve({code, stdout: String(stdout), stderr: String(stderr)})
    })
  })
}
