import {execFile} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'

import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/cli.js'

/*
 * The README's two commands: scripts/setup.sh (then check run) and npm test (scripts/test.sh), which check
 * their system packages with scripts/deps.sh. Nothing here installs anything: --dry-run and --advise only.
 */

const run = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
  try {
    const r = await promisify(execFile)(path.join(ROOT, 'scripts', 'deps.sh'), args, {
      cwd: ROOT,
      env: {...process.env, ...env},
    })
    return {code: 0, stdout: r.stdout, stderr: r.stderr}
  } catch (error) {
    const e = error as {code: number; stdout: string; stderr: string}
    return {code: e.code, stdout: e.stdout, stderr: e.stderr}
  }
}

const root = process.getuid?.() === 0
const hasApt = fs.existsSync('/usr/bin/apt-get')

describe('scripts/deps.sh', () => {
  it('says nothing and exits 0 when the suite has what it needs', async () => {
    const tools =
      fs.existsSync('/usr/bin/chromium') &&
      fs.existsSync('/usr/bin/tmux') &&
      fs.existsSync('/usr/bin/promtool') &&
      fs.existsSync('/usr/bin/prometheus-alertmanager')
    const r = await run(['test', '--advise'])
    expect(r.code).toBe(tools ? 0 : 1)
    if (tools) expect(r.stderr + r.stdout).toBe('')
  })

  it('names the one command to run for what is missing', async () => {
    const r = await run(['test', '--advise'], {WK_CHROMIUM: '/nonexistent/chromium'})
    expect(r.code).toBe(1)
    const sudo = root ? '' : 'sudo '
    expect(r.stderr).toMatch(
      hasApt
        ? new RegExp(
            `^watchkeeper: chromium( tmux)?( prometheus)?( prometheus-alertmanager)? missing \\(for the HTML export, interactive walk and Prometheus tests\\)\\. Run: ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends chromium( tmux)?( prometheus)?( prometheus-alertmanager)?\\n$`,
          )
        : /install chromium/,
    )
  })

  it('as root with apt-get, would install it (dry run)', async () => {
    const r = await run(['test', '--dry-run'], {WK_CHROMIUM: '/nonexistent/chromium'})
    if (root && hasApt) {
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(
        /^would run: apt-get update && apt-get install -y --no-install-recommends chromium( tmux)?( prometheus)?( prometheus-alertmanager)?\n$/,
      )
    } else {
      expect(r.code).toBe(1)
    }
  })

  it('checks the build tools for setup, and refuses an unknown target', async () => {
    expect((await run(['setup', '--advise'])).code).toBe(
      ['make', 'python3'].every((t) => (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, t))))
        ? 0
        : 1,
    )
    const bad = await run(['lint'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('usage: scripts/deps.sh setup|test')
  })
})

describe('the README commands and CI agree', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const block = /## Two commands on a fresh machine\n\n```sh\n([\s\S]*?)```/
    .exec(readme)![1]
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/\s+#.*$/, ''))

  it('the README gives setup + the main job, and the test command', () => {
    expect(block).toEqual(['scripts/setup.sh && ./bin/run.js check run', 'npm test'])
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    expect(pkg.scripts.test).toBe('bash scripts/test.sh')
    for (const s of ['setup.sh', 'test.sh', 'deps.sh'])
      expect(fs.statSync(path.join(ROOT, 'scripts', s)).mode & 0o111).not.toBe(0)
  })

  it('.ci/run runs npm ci, then exactly the README test command', () => {
    const steps = fs
      .readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('set ') && !l.startsWith('cd '))
    expect(steps).toEqual(['npm ci', block[1]])
  })
})
