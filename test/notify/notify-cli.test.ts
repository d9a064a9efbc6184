import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {closedPort, startHttp} from '../helpers/servers.js'
import {smtpReceiver} from '../helpers/smtp.js'
import {writeCatalogue} from '../monitor/harness.js'

let tmp: {dir: string; cleanup: () => void}
const children: ChildProcess[] = []
const closers: (() => Promise<void>)[] = []

beforeEach(() => {
  tmp = tmpDir('wk-ncli-')
})

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await Promise.all(closers.splice(0).map((c) => c()))
  tmp.cleanup()
})

async function until<T>(what: string, fn: () => T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

interface Watch {
  child: ChildProcess
  stderr: () => string
  exited: Promise<number | null>
}

function watch(file: string, db: string, env: NodeJS.ProcessEnv): Watch {
  let stderr = ''
  const child = spawn(process.execPath, [BIN, 'watch', '--checks', file, '--db', db, '--keep-raw', '0'], {
    cwd: ROOT,
    env: {...process.env, NO_COLOR: '1', ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  child.stderr!.on('data', (d) => (stderr += d))
  child.stdout!.resume()
  return {child, stderr: () => stderr, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code)))}
}

/** A receiver on a fixed port, started when the test says (the "receiver comes back"). */
function receiverOn(
  port: number,
  status = 200,
): Promise<{bodies: Record<string, unknown>[]; hits: number; close: () => Promise<void>}> {
  const state = {bodies: [] as Record<string, unknown>[], hits: 0}
  const srv = http.createServer((req, res) => {
    let raw = ''
    req.on('data', (d) => (raw += d))
    req.on('end', () => {
      state.hits++
      if (status === 200) state.bodies.push(JSON.parse(raw) as Record<string, unknown>)
      res.writeHead(status).end()
    })
  })
  return new Promise((resolve) =>
    srv.listen(port, '127.0.0.1', () =>
      resolve(
        Object.assign(state, {
          close: () => new Promise<void>((r) => srv.close(() => r())),
        }),
      ),
    ),
  )
}

describe('the outbox across a SIGKILL (real watch process)', () => {
  it('delivers a message raised while the receiver was down exactly once after a restart', async () => {
    const deadPort = await closedPort()
    const hookPort = await closedPort()
    const file = writeCatalogue(
      tmp.dir,
      `
checks:
  - {id: gone, name: Gone service, kind: tcp, target: "127.0.0.1:${deadPort}", interval: 1s, timeout: 1s, thresholds: {failure: 1}}
notifiers:
  ops: {type: webhook, url: "\${env:HOOK_URL}", retries: 1, backoff: 100ms, timeout: 1s}
`,
    )
    const db = path.join(tmp.dir, 'wk.db')
    const env = {HOOK_URL: `http://127.0.0.1:${hookPort}/hook`}
    const first = watch(file, db, env)
    await until('a failed delivery put off', () =>
      /"FAILING: Gone service" not delivered after 2 attempt\(s\).*ECONNREFUSED.*next try/.test(first.stderr()),
    )
    first.child.kill('SIGKILL')
    await first.exited
    const pending = await runCli(['notify', 'log', '--db', db, '--json'])
    const [row] = (
      JSON.parse(pending.stdout) as {
        deliveries: {status: string; attempts: number; nextAttemptAt: string; expiresAt: string; at: string}[]
      }
    ).deliveries
    expect(row).toMatchObject({status: 'pending'})
    expect(row.attempts).toBeGreaterThanOrEqual(2)
    expect(row.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    expect(Date.parse(row.expiresAt) - Date.parse(row.at)).toBe(86_400_000)

    const rx = await receiverOn(hookPort)
    closers.push(rx.close)
    const second = watch(file, db, env)
    await until('the delivery', () => rx.bodies.length > 0)
    // Let the second process run a few more turns of the still-failing check: nothing more is sent.
    await until(
      'more turns',
      () => (second.stderr().match(/resending 1 notification/g) ?? []).length === 1 && Date.now(),
    )
    await new Promise((resolve) => setTimeout(resolve, 2500))
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
    expect(rx.bodies.map((b) => `${b.event} ${(b.check as {id: string}).id}`)).toEqual(['failing gone'])
    const log = await runCli(['notify', 'log', '--db', db, '--json'])
    const rows = (JSON.parse(log.stdout) as {deliveries: {status: string; attempts: number}[]}).deliveries
    expect(rows.map((r) => r.status)).toEqual(['sent'])
    expect(rows[0].attempts).toBeGreaterThanOrEqual(3)
    const human = await runCli(['notify', 'log', '--db', db])
    expect(human.stdout).toMatch(/ops\s+failing\s+gone\s+sent\s+\d+\s+FAILING: Gone service\s+HTTP 200/)
  }, 90_000)

  it('prints no MaxListenersExceededWarning after many retries', async () => {
    const deadPort = await closedPort()
    let hits = 0
    const busy = await startHttp((req, res) => {
      hits++
      req.resume()
      req.on('end', () => res.writeHead(503).end('busy'))
    })
    closers.push(() => busy.close())
    const checks = Array.from(
      {length: 4},
      (_, i) =>
        `  - {id: c${i}, kind: tcp, target: "127.0.0.1:${deadPort}", interval: 1s, timeout: 1s, retries: 3, thresholds: {failure: 1}}`,
    ).join('\n')
    const file = writeCatalogue(
      tmp.dir,
      `
watch: {stagger: 1s}
checks:
${checks}
notifiers:
  ops: {type: webhook, url: "\${env:HOOK_URL}", retries: 10, backoff: 1ms, timeout: 1s}
  chat: {type: slack, url: "\${env:HOOK_URL}", retries: 10, backoff: 1ms, timeout: 1s}
`,
    )
    const w = watch(file, path.join(tmp.dir, 'wk.db'), {HOOK_URL: `${busy.url}/hook`})
    // 11 attempts a round per notifier (10 sleeps each on the dispatcher's signal), and the outbox rounds after.
    await until('many attempts', () => hits >= 30, 60_000)
    w.child.kill('SIGTERM')
    await w.exited
    expect(w.stderr()).toMatch(/not delivered after 11 attempt\(s\): HTTP 503/)
    expect(w.stderr()).not.toMatch(/MaxListenersExceededWarning|Possible EventTarget memory leak/)
  }, 90_000)
})

describe('notify test for every provider (real CLI)', () => {
  it('sends through pagerduty, opsgenie, a signed webhook and email, naming where the secrets come from', async () => {
    const hits: {path: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown>}[] = []
    const api = await startHttp((req, res) => {
      let raw = ''
      req.on('data', (d) => (raw += d))
      req.on('end', () => {
        hits.push({path: req.url ?? '', headers: req.headers, body: JSON.parse(raw) as Record<string, unknown>})
        res.writeHead(202).end('{}')
      })
    })
    closers.push(() => api.close())
    const smtp = await smtpReceiver({user: 'relay-user', password: 'relay-password-1'})
    closers.push(smtp.close)
    const ca = path.join(tmp.dir, 'relay-ca.pem')
    fs.writeFileSync(ca, smtp.ca)
    const file = writeCatalogue(
      tmp.dir,
      `
checks:
  - {id: a, kind: tcp, target: "127.0.0.1:1"}
notifiers:
  pd: {type: pagerduty, routing_key: "\${env:PD_KEY}", api_url: "${api.url}"}
  og: {type: opsgenie, api_key: "\${env:OG_KEY}", api_url: "${api.url}"}
  hook: {type: webhook, url: "\${env:HOOK_URL}", secret: "\${env:HOOK_SECRET}"}
  mail:
    type: email
    host: localhost
    port: ${smtp.port}
    username: "\${env:SMTP_USER}"
    password: "\${env:SMTP_PASSWORD}"
    from: watchkeeper@trust.nhs.net
    to: [oncall@trust.nhs.net]
    ca_file: ${ca}
`,
    )
    const env = {
      PD_KEY: 'pd-routing-key-123',
      OG_KEY: 'og-api-key-456',
      HOOK_URL: `${api.url}/hook`,
      HOOK_SECRET: 'hook-secret-789',
      SMTP_USER: 'relay-user',
      SMTP_PASSWORD: 'relay-password-1',
    }
    const db = path.join(tmp.dir, 'wk.db')
    const out: Record<string, {from: string; ok: boolean; httpStatus?: number; detail?: string}> = {}
    for (const name of ['pd', 'og', 'hook', 'mail']) {
      const r = await runCli(['notify', 'test', name, '--checks', file, '--db', db, '--json'], {env})
      expect(r.code, r.stderr).toBe(0)
      out[name] = JSON.parse(r.stdout)
      expect(r.stdout + r.stderr).not.toMatch(/pd-routing-key-123|og-api-key-456|hook-secret-789|relay-password-1/)
    }

    expect(out.pd).toMatchObject({from: '${env:PD_KEY}', ok: true, httpStatus: 202})
    expect(out.og).toMatchObject({from: '${env:OG_KEY}', ok: true, httpStatus: 202})
    expect(out.hook).toMatchObject({from: '${env:HOOK_URL} ${env:HOOK_SECRET}', ok: true})
    expect(out.mail).toMatchObject({
      from: `smtp://localhost:${smtp.port} as \${env:SMTP_USER}/\${env:SMTP_PASSWORD}`,
      ok: true,
    })
    expect(out.mail.detail).toMatch(/^250/)
    expect(hits.map((h) => `${h.path} ${String(h.body.event_action ?? h.body.event ?? '')}`)).toEqual([
      '/v2/enqueue trigger',
      '/v2/enqueue resolve',
      '/v2/alerts ',
      `/v2/alerts/${encodeURIComponent(String(hits[2].body.alias))}/close?identifierType=alias `,
      '/hook test',
    ])
    expect(hits[4].headers['x-watchkeeper-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    expect(smtp.mails.length).toBe(1)
    const log = await runCli(['notify', 'log', '--db', db, '--json'])
    const rows = (JSON.parse(log.stdout) as {deliveries: {notifier: string; status: string}[]}).deliveries
    expect(rows.map((r) => `${r.notifier} ${r.status}`)).toEqual(['pd sent', 'og sent', 'hook sent', 'mail sent'])
    expect(log.stdout).not.toMatch(/pd-routing-key-123|og-api-key-456|hook-secret-789|relay-password-1/)
  }, 90_000)
})
