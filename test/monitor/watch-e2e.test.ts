import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/store/db.js'
import {eventsOf} from '../../src/store/incidents.js'
import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {closedPort} from '../helpers/servers.js'
import {toggleServer, webhookReceiver, writeCatalogue} from './harness.js'

let tmp: {dir: string; cleanup: () => void}
let api: Awaited<ReturnType<typeof toggleServer>>
let hook: Awaited<ReturnType<typeof webhookReceiver>>
let child: ChildProcess | undefined

beforeEach(async () => {
  tmp = tmpDir('wk-e2e-')
  api = await toggleServer()
  hook = await webhookReceiver()
})

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  await Promise.all([api.close(), hook.close()])
  tmp.cleanup()
})

async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

function catalogue(events = ''): string {
  return writeCatalogue(
    tmp.dir,
    `
defaults:
  interval: 1s
  timeout: 2s
checks:
  - id: api
    name: Patient API
    kind: http
    target: ${api.url}/health
    service: PDS
    thresholds: {failure: 2, recovery: 1}
    incident: {after: 3, severity: SEV2}
notifiers:
  ops:
    type: webhook
    url: \${env:HOOK_URL}
${events}`,
  )
}

describe('watchkeeper watch (real process)', () => {
  it('opens one incident and sends one notification when a server fails, serves metrics, stops on SIGTERM with every result stored', async () => {
    // The channel takes incident events only: one message for the outage, not one per state change.
    const file = catalogue('    events: [incident]\n')
    const db = path.join(tmp.dir, 'wk.db')
    const port = await closedPort()
    let stderr = ''
    child = spawn(
      process.execPath,
      [
        BIN,
        'watch',
        '--checks',
        file,
        '--db',
        db,
        '--metrics',
        `127.0.0.1:${port}`,
        '--log-format',
        'json',
        '--metrics-label',
        'site=test',
      ],
      {
        cwd: ROOT,
        env: {...process.env, NO_COLOR: '1', HOOK_URL: `${hook.url}/hook/secret-part`},
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    child.stderr!.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)))
    const health = await until('healthz', async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`)
        return r.ok ? ((await r.json()) as {status: string; checks: number}) : undefined
      } catch {
        return undefined
      }
    })
    expect(health).toMatchObject({status: 'watching', checks: 1})
    await until('a passing result', () => api.hits >= 2)
    api.mode = 'fail'
    await until('the incident notification', () => hook.received.length > 0)
    await new Promise((resolve) => setTimeout(resolve, 2500)) // more failures: still one incident, one notification
    expect(hook.received.map((r) => r.body.event)).toEqual(['incident-opened'])
    expect(hook.received[0].body).toMatchObject({
      incident: {title: 'Patient API failing', severity: 'SEV2'},
      check: {id: 'api', state: 'failing'},
    })
    expect(hook.received[0].path).toBe('/hook/secret-part')
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    expect(metrics).toMatch(
      /^probe_success\{check="api",kind="http",service="PDS",target="http:\/\/127\.0\.0\.1:\d+\/health",site="test"\} 0$/m,
    )
    expect(metrics).toMatch(/^probe_http_status_code\{check="api",[^}]*\} 500$/m)
    expect(metrics).toMatch(
      /^watchkeeper_check_state\{check="api",kind="http",service="PDS",state="failing",site="test"\} 1$/m,
    )
    expect(metrics).toMatch(/^probe_http_duration_seconds\{check="api",[^}]*phase="connect"[^}]*\} [\d.e-]+$/m)
    expect(metrics).toMatch(/^process_resident_memory_bytes\{site="test"\} \d+/m)
    expect(metrics).toMatch(/^watchkeeper_incidents_open\{site="test"\} 1$/m)
    expect(metrics).not.toMatch(/instance=/)
    api.mode = 'ok'
    await until('the incident update on recovery', () => hook.received.length >= 2)
    expect(hook.received[1].body).toMatchObject({event: 'incident-updated'})
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    const logs = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as {level: string; msg: string})
    expect(logs.some((l) => l.msg.startsWith('SIGTERM: stopping'))).toBe(true)
    expect(logs.at(-1)!.msg).toMatch(/^stopped after \d+ run/)
    const store = openDatabase(db, {readonly: true})
    const results = (store.prepare('SELECT coalesce(sum(n), 0) AS n FROM result_blocks').get() as {n: number}).n
    expect(results).toBe(api.hits) // one request per run, every one stored
    const sent = store.prepare('SELECT event, status, error FROM notifications ORDER BY id').all()
    expect(sent).toEqual([
      {event: 'incident-opened', status: 'sent', error: null},
      {event: 'incident-updated', status: 'sent', error: null},
    ])
    const incidents = store.prepare('SELECT id, title, state FROM incidents').all() as {
      id: number
      title: string
      state: string
    }[]
    expect(incidents).toEqual([{id: 1, title: 'Patient API failing', state: 'triage'}])
    expect(eventsOf(store, 1).map((e) => e.type)).toEqual([
      'incident_opened',
      'evidence_attached',
      'evidence_attached',
      'evidence_attached',
      'note',
      'check_recovered',
    ])
    expect(JSON.stringify(store.prepare('SELECT * FROM notifications').all())).not.toContain('secret-part')
    expect(stderr).not.toContain('secret-part')
    store.close()
  })

  it('keeps the running catalogue when SIGHUP finds it edited into nonsense, and takes a good edit', async () => {
    const file = catalogue()
    let stderr = ''
    child = spawn(process.execPath, [BIN, 'watch', '--checks', file, '--db', path.join(tmp.dir, 'wk.db')], {
      cwd: ROOT,
      env: {...process.env, NO_COLOR: '1', HOOK_URL: `${hook.url}/h`},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stderr!.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)))
    await until('watching', () => /watching 1 check/.test(stderr))
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('interval: 1s', 'intervall: 1s'))
    child.kill('SIGHUP')
    await until('the refusal', () => /reload refused/.test(stderr))
    expect(stderr).toMatch(/unknown key "intervall"; did you mean "interval"\?/)
    const {hits} = api
    await until('checks still running', () => api.hits >= hits + 2)
    const withSecond = fs
      .readFileSync(file, 'utf8')
      .replace('intervall: 1s', 'interval: 1s')
      .replace('notifiers:', `  - {id: second, kind: http, target: "${api.url}/two"}\nnotifiers:`)
    fs.writeFileSync(file, withSecond)
    child.kill('SIGHUP')
    await until('the reload', () => /reloaded the catalogue: 2 check\(s\) \(\+1 −0\)/.test(stderr))
    child.kill('SIGINT')
    expect(await exited).toBe(0)
  })

  it('runs one pass with --once and reports it as JSON', async () => {
    const file = catalogue()
    const r = await runCli(['watch', '--once', '--checks', file, '--db', path.join(tmp.dir, 'wk.db'), '--json'], {
      env: {HOOK_URL: `${hook.url}/h`},
    })
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout) as {runs: number; results: Record<string, number>; unwritten: number}
    expect(out).toMatchObject({runs: 1, results: {ok: 1, warn: 0, crit: 0, unknown: 0}, unwritten: 0})
  })

  it('refuses to start on a catalogue with problems, naming them (exit 2)', async () => {
    const file = writeCatalogue(
      tmp.dir,
      `
checks:
  - {id: a, kind: http, target: "${api.url}/", schedule: "99 * * * *", notify: [opps]}
notifiers:
  ops: {type: slack, url: "\${env:HOOK_URL}"}
`,
    )
    const r = await runCli(['watch', '--checks', file, '--db', path.join(tmp.dir, 'wk.db')], {
      env: {HOOK_URL: `${hook.url}/h`},
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /checks\.yaml:3:\d+ checks\[0\]\.schedule: minute: 99 is a invalid expression for minute \(check a\)/,
    )
    expect(r.stderr).toMatch(/checks\[0\]\.notify\[0\]: no notifier named "opps"; did you mean "ops"\?/)
  })

  it('notify test sends a test message and records it without the URL', async () => {
    const file = catalogue()
    const db = path.join(tmp.dir, 'wk.db')
    const r = await runCli(['notify', 'test', 'ops', '--checks', file, '--db', db, '--json'], {
      env: {HOOK_URL: `${hook.url}/secret-hook`},
    })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({
      notifier: 'ops',
      type: 'webhook',
      from: '${env:HOOK_URL}',
      ok: true,
      attempts: 1,
      httpStatus: 200,
    })
    expect(hook.received[0].body).toMatchObject({event: 'test', title: 'watchkeeper test message (ops)'})
    expect(r.stdout + r.stderr).not.toContain('secret-hook')
    const bad = await runCli(['notify', 'test', 'opz', '--checks', file, '--db', db], {
      env: {HOOK_URL: `${hook.url}/secret-hook`},
    })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/No notifier named "opz"[\s\S]*Did you mean "ops"\?/)
  })
})
