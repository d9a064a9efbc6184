import fs from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {statusReport} from '../../src/reports/status.js'
import {openDatabase} from '../../src/store/db.js'
import {finishDelivery, insertDelivery} from '../../src/store/monitor.js'
import {runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'
import {webhookReceiver} from '../monitor/harness.js'

/*
 * `status` over a database filled by a real `watch --once` (and one `check run`), against loopback servers:
 * it shows the state watch holds, not the last result, and --problems keeps only what needs a person.
 */

let tmp: {dir: string; cleanup: () => void}
let up: RunningServer
let down: RunningServer
let hook: Awaited<ReturnType<typeof webhookReceiver>>
let file: string
let db: string

const minute = (offset: number) => new Date(Date.now() + offset * 60_000).toISOString().slice(0, 16) + 'Z'

beforeAll(async () => {
  tmp = tmpDir('wk-status-')
  up = await startHttp((req, res) => res.end('ok'))
  down = await startHttp((req, res) => res.writeHead(503).end('down'))
  hook = await webhookReceiver()
  db = path.join(tmp.dir, 'wk.db')
  file = path.join(tmp.dir, 'checks.yaml')
  fs.writeFileSync(
    file,
    `
defaults:
  timeout: 2s
checks:
  - {id: web, kind: http, target: "${up.url}/", thresholds: {failure: 1}}
  - {id: api, name: Patient API, kind: http, target: "${down.url}/", thresholds: {failure: 1}, incident: {after: 1, severity: SEV2}}
  - {id: pay, kind: http, target: "${down.url}/", thresholds: {failure: 1}}
  - {id: blip, kind: http, target: "${down.url}/", thresholds: {failure: 3}}
maintenance:
  - {name: payments release, checks: [pay], start: "${minute(-60)}", end: "${minute(60)}"}
notifiers:
  ops: {type: webhook, url: "\${env:HOOK_URL}"}
`,
  )
  const watch = await runCli(['watch', '--once', '--checks', file, '--db', db, '--json'], {
    env: {HOOK_URL: `${hook.url}/hook`},
  })
  expect(watch.code).toBe(0)
  const solo = path.join(tmp.dir, 'solo.yaml')
  fs.writeFileSync(solo, `checks:\n  - {id: solo, kind: http, target: "${down.url}/", timeout: 2s}\n`)
  expect((await runCli(['check', 'run', '--checks', solo, '--db', db])).code).toBe(2)
}, 60_000)
afterAll(async () => {
  await Promise.all([up.close(), down.close(), hook.close()])
  tmp.cleanup()
})

const status = async (...args: string[]) => {
  const res = await runCli(['status', '--checks', file, '--db', db, ...args], {env: {HOOK_URL: ''}})
  expect(res.code).toBe(0)
  return res
}

describe('status shows the state you can act on', () => {
  it('--json: watch state, since when, the alert and whether it went out, the open incident and maintenance', async () => {
    const doc = JSON.parse((await status('--json')).stdout)
    expect(doc.maintenance).toEqual({windows: 1, error: null})
    const byId = Object.fromEntries(doc.checks.map((c: {checkId: string}) => [c.checkId, c]))
    expect(Object.keys(byId).sort()).toEqual(['api', 'blip', 'pay', 'solo', 'web'])

    expect(byId.web).toMatchObject({
      status: 'ok',
      state: 'ok',
      flapping: false,
      alerted: null,
      incident: null,
      maintenance: null,
      attention: [],
    })
    expect(byId.api).toMatchObject({
      status: 'crit',
      state: 'failing',
      alerted: 'failing',
      incident: {id: 1, severity: 'SEV2', state: 'triage', title: expect.any(String)},
      maintenance: null,
    })
    expect(byId.api.lastAlert.deliveries.every((d: {status: string}) => d.status === 'sent')).toBe(true)
    expect(byId.api.attention).toEqual(['incident #1 is triage', `failing since ${byId.api.stateSince}`])
    // In its window: failing, but held, and nothing for a person to do.
    expect(byId.pay).toMatchObject({
      state: 'failing',
      maintenance: {window: 'payments release', until: expect.any(String)},
      attention: [],
    })
    expect(byId.pay.lastAlert?.deliveries.some((d: {status: string}) => d.status === 'sent') ?? false).toBe(false)
    // One failed result under a threshold of 3 is not an alert.
    expect(byId.blip).toMatchObject({status: 'crit', state: 'pending', alerted: null, attention: []})
    // Never watched: its last check run result is all there is.
    expect(byId.solo).toMatchObject({
      status: 'crit',
      state: 'unwatched',
      stateSince: null,
      attention: ['last result crit (not watched)'],
    })

    for (const c of doc.checks) {
      for (const t of [
        c.since,
        c.lastRun,
        c.stateSince,
        c.lastAlert?.at,
        c.incident?.openedAt,
        c.maintenance?.until,
      ].filter(Boolean)) {
        expect(t).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      }
    }

    expect(hook.received.map((r) => (r.body as {event?: string}).event)).toEqual(
      expect.arrayContaining(['failing', 'incident-opened']),
    )
  })

  it('--problems lists only what needs a person, as a table and as JSON', async () => {
    const doc = JSON.parse((await status('--problems', '--json')).stdout)
    expect(doc.problems).toBe(2)
    expect(doc.checks.map((c: {checkId: string}) => c.checkId)).toEqual(['api', 'solo'])

    const text = (await status('--problems')).stdout
    expect(text).toMatch(/^STATE\s+CHECK\s+SINCE\s+LAST RESULT\s+LAST ALERT\s+INCIDENT/)
    expect(text).toMatch(/failing\s+api\s+.*crit .*failing\+incident-opened sent .*#1 SEV2 triage/)
    expect(text).toContain('Needs a person (2)')
    expect(text).not.toMatch(/\bweb\b/)

    const all = (await status()).stdout
    expect(all).toMatch(/failing, maintenance\s+pay/)
    expect(all).toContain('In maintenance\n  pay: payments release until ')
  })

  it('an alert that could not be delivered needs a person too (store functions)', () => {
    const d = openDatabase(db)
    try {
      const at = Date.now()
      const id = insertDelivery(d, {
        createdAt: at,
        notifier: 'ops',
        provider: 'webhook',
        event: 'degraded',
        checkId: 'web',
        subject: 'web',
        dedupKey: 'web:degraded',
        status: 'pending',
        message: 'DEGRADED: web',
        body: '{}',
      })
      finishDelivery(d, id, {status: 'failed', attempts: 5, httpStatus: 502, error: 'HTTP 502', at: at + 1000})
      const report = statusReport(d, {now: at + 2000, problemsOnly: true})
      const web = report.checks.find((c) => c.checkId === 'web')!
      expect(web.lastAlert).toMatchObject({
        events: ['degraded'],
        deliveries: [{notifier: 'ops', event: 'degraded', status: 'failed', error: 'HTTP 502'}],
      })
      expect(web.attention).toEqual(['the degraded alert could not be delivered to ops'])
    } finally {
      d.close()
    }
  })
})
