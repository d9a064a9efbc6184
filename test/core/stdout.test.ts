import type http from 'node:http'
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, ROOT, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'

/** Runs `bin/run.js args` through bash with stdout redirected as given (`> /dev/full`, `| head -c1`); exit code of the CLI itself. */
function shell(args: string[], redirect: string): Promise<{code: number; stderr: string; stdout: string}> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `${quoted} ${redirect}; echo "rc=\${PIPESTATUS[0]}" >&2`], {
      cwd: ROOT,
      env: {...process.env, NO_COLOR: '1', WATCHKEEPER_CHECKS: ''},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', () => {
      const m = /rc=(\d+)\n$/.exec(stderr)
      resolve({code: m ? Number(m[1]) : -1, stderr: stderr.replace(/rc=\d+\n$/, ''), stdout})
    })
  })
}

describe('a stdout that cannot be written', () => {
  const tmp = tmpDir('wk-stdout-')
  let web: RunningServer<http.Server>
  let catalogue: string
  let db: string
  const full = fs.existsSync('/dev/full')

  beforeAll(async () => {
    web = await startHttp((req, res) => (req.url === '/down' ? res.writeHead(503).end() : res.end('ok')))
    catalogue = path.join(tmp.dir, 'checks.yaml')
    fs.writeFileSync(
      catalogue,
      [
        'checks:',
        `  - {id: up, kind: http, target: "${web.url}/up"}`,
        `  - {id: down, kind: http, target: "${web.url}/down"}`,
      ].join('\n'),
    )
    db = path.join(tmp.dir, 'wk.db')
  })
  afterAll(async () => {
    await web.close()
    tmp.cleanup()
  })

  it.skipIf(!full)(
    'a full disk (> /dev/full): check run exits 3 with one line on stderr, and the run is still stored',
    async () => {
      for (const format of ['table', 'prom']) {
        const r = await shell(['check', 'run', '--checks', catalogue, '--db', db, '--format', format], '> /dev/full')
        expect(r.code, format).toBe(3)
        expect(r.stderr).toBe('Error: cannot write to standard output: ENOSPC: no space left on device, write\n')
      }

      const history = await shell(['history', 'up', '--db', db, '--json'], '')
      expect(JSON.parse(history.stdout).results).toHaveLength(2)
    },
    60_000,
  )

  it.skipIf(!full)(
    'a full disk: other commands, --json and help exit 1 with one line',
    async () => {
      for (const args of [
        ['incident', 'list', '--db', db],
        ['status', '--db', db, '--json'],
        ['check', 'run', '--help'],
        ['--help'],
      ]) {
        const r = await shell(args, '> /dev/full')
        expect(r.code, args.join(' ')).toBe(
          args[0] === 'check' && args[1] === 'run' && !args.includes('--help') ? 3 : 1,
        )
        expect(r.stderr, args.join(' ')).toBe(
          'Error: cannot write to standard output: ENOSPC: no space left on device, write\n',
        )
      }
    },
    60_000,
  )

  it('a reader that goes away (| head -c1, | true) ends quietly with the normal exit code', async () => {
    // The down check makes the worst status crit: the exit code stays 2 when the pipe closes.
    for (const redirect of ['| head -c1', '| true']) {
      const run = await shell(['check', 'run', '--checks', catalogue, '--db', db, '--format', 'json'], redirect)
      expect(run.code, redirect).toBe(2)
      expect(run.stderr, redirect).toBe('')
      for (const args of redirect === '| true'
        ? [['incident', 'list', '--db', db, '--json'], ['check', 'list', '--checks', catalogue], ['--help']]
        : [['incident', 'list', '--db', db]]) {
        const r = await shell(args, redirect)
        expect(r.code, `${args.join(' ')} ${redirect}`).toBe(0)
        expect(r.stderr, `${args.join(' ')} ${redirect}`).toBe('')
      }
    }
  }, 90_000)
})
