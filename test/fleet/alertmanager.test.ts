import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {
  alertmanagerRoute,
  alertmanagerToken,
  type KnownCheck,
  MAX_BODY_BYTES,
  receiveAlertGroup,
  type WebhookMessage,
} from '../../src/fleet/alertmanager.js'
import {describeEvent} from '../../src/incidents/describe.js'
import {changeState, openIncident} from '../../src/incidents/service.js'
import {type MetricsServer, startMetricsServer} from '../../src/metrics/server.js'
import {loadPlaybookRef} from '../../src/playbooks/load.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {latestFleetGroup} from '../../src/store/fleet.js'
import {eventsOf, getIncident, incidentCheckIds, listIncidentRows} from '../../src/store/incidents.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'

const TOKEN = 'a-test-token-of-enough-length'
let tmp: {dir: string; cleanup: () => void}
let db: DB
let server: MetricsServer | undefined
let base: string
let now = Date.parse('2026-12-01T23:00:00Z')
const checks = new Map<string, KnownCheck>([
  ['nhs-app', {name: 'NHS App', service: 'NHS App', severity: 'SEV2'}],
  ['nhs-login', {name: 'NHS login', service: 'NHS login', playbook: 'cyber-alert-high-severity'}],
  ['odd-severity', {name: 'Odd', severity: 'P1'}],
])

beforeEach(async () => {
  tmp = tmpDir('wk-am-')
  db = openDatabase(path.join(tmp.dir, 'wk.db'))
  server = await startMetricsServer('127.0.0.1:0', {
    metrics: async () => ({contentType: 'text/plain', body: ''}),
    health: () => ({healthy: true}),
    routes: [
      alertmanagerRoute({
        token: TOKEN,
        now: () => now,
        receive: {
          db,
          check: (id) => checks.get(id),
          playbook: (ref) => loadPlaybookRef(ref, path.join(ROOT, 'playbooks')),
        },
      }),
    ],
  })
  base = `http://127.0.0.1:${server.address.port}`
})

afterEach(async () => {
  await server?.close()
  server = undefined
  db.close()
  tmp.cleanup()
})

function alert(
  vantages: string,
  o: {
    status?: 'firing' | 'resolved'
    check?: string
    alertname?: string
    route?: string
    startsAt?: string
    value?: number
  } = {},
) {
  const check = o.check ?? 'nhs-app'
  return {
    status: o.status ?? 'firing',
    labels: {
      alertname: o.alertname ?? 'ServiceDownByQuorum',
      check,
      severity: 'page',
      scope: 'fleet',
      ...(o.route ? {route: o.route} : {}),
    },
    annotations: {
      summary: `${check} is down: ${o.value ?? vantages.split(',').length} failing vote(s), a quorum in every network that has voters`,
      failing_vantages: vantages,
    },
    startsAt: o.startsAt ?? '2026-12-01T22:58:00.123Z',
    endsAt: o.status === 'resolved' ? '2026-12-01T23:10:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus.internal:9090/graph?g0.expr=x',
    fingerprint: `fp-${check}-${o.alertname ?? 'down'}`,
  }
}

function message(
  alerts: ReturnType<typeof alert>[],
  o: {groupKey?: string; status?: 'firing' | 'resolved'} = {},
): WebhookMessage {
  const first = alerts[0]
  return {
    version: '4',
    groupKey: o.groupKey ?? `{}/{scope="fleet"}:{alertname="${first.labels.alertname}", check="${first.labels.check}"}`,
    truncatedAlerts: 0,
    status: o.status ?? (alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved'),
    receiver: 'watchkeeper-incidents',
    groupLabels: {alertname: first.labels.alertname, check: first.labels.check},
    commonLabels: first.labels,
    commonAnnotations: {},
    externalURL: 'http://alertmanager.internal:9093',
    alerts,
  } as WebhookMessage
}

async function post(
  body: unknown,
  headers: Record<string, string> = {authorization: `Bearer ${TOKEN}`},
): Promise<{status: number; json: Record<string, unknown>}> {
  const r = await fetch(`${base}/alertmanager`, {
    method: 'POST',
    headers: {'content-type': 'application/json', ...headers},
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return {status: r.status, json: (await r.json()) as Record<string, unknown>}
}

describe('POST /alertmanager', () => {
  it('opens one incident per alert group; a redelivery appends to it, a resolved notification records recovery and leaves it open', async () => {
    const first = await post(message([alert('a,b,c')]))
    expect(first).toMatchObject({status: 200, json: {status: 'ok', action: 'opened', incidentId: 1}})
    const incidents = () => listIncidentRows(db, {})
    expect(incidents()).toHaveLength(1)
    expect(incidents()[0]).toMatchObject({
      title: 'nhs-app is down: 3 failing vote(s), a quorum in every network that has voters',
      severity: 'SEV2',
      service: 'NHS App',
      state: 'triage',
    })
    expect(incidentCheckIds(db, 1)).toEqual(['nhs-app'])
    const opened = eventsOf(db, 1)
    const evidence = opened.find((e) => e.type === 'evidence_attached')!
    expect(evidence.data).toMatchObject({
      kind: 'fleet_alert',
      source: 'alertmanager',
      alertname: 'ServiceDownByQuorum',
      checkId: 'nhs-app',
      status: 'firing',
      vantages: ['a', 'b', 'c'],
    })
    expect(evidence.occurredAt).toBe(Date.parse('2026-12-01T22:58:00.123Z'))
    expect(describeEvent(evidence)).toBe(
      'Alert ServiceDownByQuorum firing from a, b, c: nhs-app is down: 3 failing vote(s), a quorum in every network that has voters',
    )
    expect(opened.at(-1)!.data.text).toBe(
      'Opened from Alertmanager (receiver watchkeeper-incidents): ServiceDownByQuorum for nhs-app, 1 alert(s) firing; failing vantages: a, b, c.',
    )

    // The same group again, twice (a repeat and a duplicate from a second Alertmanager): no second incident.
    now += 60_000
    expect((await post(message([alert('a,b,c')]))).json).toMatchObject({action: 'repeated', incidentId: 1, events: 1})
    expect((await post(message([alert('a,b,c')]))).json).toMatchObject({action: 'repeated', incidentId: 1})
    expect(incidents()).toHaveLength(1)
    expect(eventsOf(db, 1).at(-1)).toMatchObject({
      type: 'fleet_alert_repeated',
      data: {deliveries: 3, status: 'firing', vantages: ['a', 'b', 'c']},
    })
    expect(latestFleetGroup(db, message([alert('a')]).groupKey)).toMatchObject({
      deliveries: 3,
      incidentId: 1,
      status: 'firing',
    })

    // New evidence (a fourth vantage joins): appended, still one incident.
    now += 60_000
    expect((await post(message([alert('a,b,c,d')]))).json).toMatchObject({action: 'appended', incidentId: 1})
    expect(eventsOf(db, 1).at(-1)).toMatchObject({
      type: 'evidence_attached',
      data: {change: 'updated', vantages: ['a', 'b', 'c', 'd']},
    })

    // Resolved: recovery on the timeline; the incident stays in triage.
    now += 60_000
    expect((await post(message([alert('a,b,c,d', {status: 'resolved'})]))).json).toMatchObject({
      action: 'appended',
      incidentId: 1,
    })
    const tail = eventsOf(db, 1).slice(-2)
    expect(tail.map((e) => e.type)).toEqual(['fleet_alert_resolved', 'fleet_recovered'])
    expect(tail[0].occurredAt).toBe(Date.parse('2026-12-01T23:10:00Z'))
    expect(getIncident(db, 1)).toMatchObject({state: 'triage', resolvedAt: null})
    // A redelivered resolved notification is a repeat, not a second recovery.
    expect((await post(message([alert('a,b,c,d', {status: 'resolved'})]))).json).toMatchObject({action: 'repeated'})

    // Firing again while the incident is open: on the same incident.
    now += 60_000
    expect((await post(message([alert('a,b', {startsAt: '2026-12-01T23:12:00Z'})]))).json).toMatchObject({
      action: 'appended',
      incidentId: 1,
    })
    expect(
      eventsOf(db, 1)
        .slice(-2)
        .map((e) => e.type),
    ).toEqual(['evidence_attached', 'fleet_failing_again'])
    expect(incidents()).toHaveLength(1)
  })

  it("takes the playbook from the route label, else the check's own; an unknown one is noted, never refused", async () => {
    expect(
      (await post(message([alert('a,b', {alertname: 'PublicEdgeOnlyFailure', route: 'ddos-national-endpoint'})]))).json,
    ).toMatchObject({action: 'opened', incidentId: 1})
    expect(getIncident(db, 1)).toMatchObject({playbookId: 'ddos-national-endpoint'})
    expect((await post(message([alert('c,d', {check: 'nhs-login'})]))).json).toMatchObject({
      action: 'opened',
      incidentId: 2,
    })
    expect(getIncident(db, 2)).toMatchObject({playbookId: 'cyber-alert-high-severity', service: 'NHS login'})
    expect(
      (await post(message([alert('e,f', {check: 'unknown-check', route: 'no-such-playbook'})]))).json,
    ).toMatchObject({action: 'opened', incidentId: 3})
    expect(getIncident(db, 3)).toMatchObject({playbookId: null, service: null})
    expect(
      eventsOf(db, 3).some(
        (e) =>
          e.type === 'note' &&
          String(e.data.text).startsWith(
            'the alert\'s route label names playbook "no-such-playbook", which could not be loaded',
          ),
      ),
    ).toBe(true)
    // A severity the scale does not know: the default, and a note saying so.
    expect((await post(message([alert('g,h', {check: 'odd-severity'})]))).json).toMatchObject({
      action: 'opened',
      incidentId: 4,
    })
    expect(getIncident(db, 4)).toMatchObject({severity: 'SEV2'})
    expect(
      eventsOf(db, 4).some(
        (e) => e.type === 'note' && e.data.text === "severity P1 is not on the playbook's scale; the default was used",
      ),
    ).toBe(true)
  })

  it('joins an incident already open for the check; after a person ends it, the same episode opens nothing and a new one opens a new incident', async () => {
    const existing = openIncident({db, actor: 'alice', now}, {title: 'NHS App slow', checks: ['nhs-app']}).id
    expect((await post(message([alert('a,b')]))).json).toMatchObject({action: 'attached', incidentId: existing})
    expect(eventsOf(db, existing).at(-1)!.data.text).toMatch(/^Joined from Alertmanager/)
    changeState({db, actor: 'alice', now}, existing, 'declined', 'not ours')
    expect((await post(message([alert('a,b')]))).json).toMatchObject({action: 'ignored', incidentId: existing})
    expect(listIncidentRows(db, {})).toHaveLength(1)
    const next = await post(message([alert('a,b', {startsAt: '2026-12-02T01:00:00Z'})]))
    expect(next.json).toMatchObject({action: 'opened', incidentId: existing + 1})
    // A resolved notification for a group never seen opens nothing.
    expect((await post(message([alert('x', {check: 'other', status: 'resolved'})]))).json).toMatchObject({
      action: 'ignored',
      events: 0,
    })
    expect(listIncidentRows(db, {})).toHaveLength(2)
  })

  it('refuses without the token (401), over the size cap (413) and anything but a version 4 message (400); stores no secret', async () => {
    const ok = message([alert('a,b')])
    expect((await post(ok, {})).status).toBe(401)
    const wrong = await fetch(`${base}/alertmanager`, {
      method: 'POST',
      headers: {authorization: 'Bearer not-the-token'},
      body: JSON.stringify(ok),
    })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toContain('Bearer')
    const big = JSON.stringify({...ok, commonAnnotations: {pad: 'x'.repeat(MAX_BODY_BYTES)}})
    expect((await post(big)).status).toBe(413)
    expect(await post('{"version": "4",')).toMatchObject({
      status: 400,
      json: {error: expect.stringContaining('not JSON')},
    })
    expect(await post({...ok, version: '3'})).toMatchObject({
      status: 400,
      json: {error: '/version must be equal to constant "4" (Alertmanager webhook version 4)'},
    })
    const {groupKey: _drop, ...noKey} = ok
    expect(await post(noKey)).toMatchObject({
      status: 400,
      json: {error: "the message must have required property 'groupKey'"},
    })
    expect(await post({...ok, alerts: [{...ok.alerts[0], startsAt: 'yesterday'}]})).toMatchObject({
      status: 400,
      json: {error: '/alerts/0/startsAt is not an RFC 3339 time'},
    })
    expect(await post({...ok, alerts: [{...ok.alerts[0], labels: {check: 'x'}}]})).toMatchObject({
      status: 400,
      json: {error: "/alerts/0/labels must have required property 'alertname'"},
    })
    expect((await fetch(`${base}/alertmanager`)).status).toBe(405)
    expect(listIncidentRows(db, {})).toHaveLength(0)
    expect((await post(ok)).status).toBe(200)
    db.pragma('wal_checkpoint(TRUNCATE)')
    for (const f of fs.readdirSync(tmp.dir)) expect(fs.readFileSync(path.join(tmp.dir, f)).includes(TOKEN)).toBe(false)
  })

  it('is idempotent when called directly too: the group key decides, whatever the delivery order', () => {
    const ctx = {
      db,
      now,
      check: (id: string) => checks.get(id),
      playbook() {
        throw new Error('none')
      },
    }
    const a = receiveAlertGroup(ctx, message([alert('a,b')], {groupKey: 'g1'}))
    const b = receiveAlertGroup(ctx, message([alert('a,b')], {groupKey: 'g2'}))
    const c = receiveAlertGroup(ctx, message([alert('a,b')], {groupKey: 'g1'}))
    // g2 names the same check while g1's incident is open: it joins it.
    expect([a.action, b.action, c.action]).toEqual(['opened', 'attached', 'repeated'])
    expect(new Set([a.incidentId, b.incidentId, c.incidentId]).size).toBe(1)
  })
})

describe('alertmanagerToken', () => {
  it('reads the token from the named variable and refuses to run without one unless on loopback and asked', () => {
    expect(
      alertmanagerToken({tokenEnv: 'AM_TOKEN', noToken: false, listen: '0.0.0.0:9464'}, {AM_TOKEN: ` ${TOKEN}\n`}),
    ).toBe(TOKEN)
    expect(alertmanagerToken({noToken: true, listen: '127.0.0.1:9464'}, {})).toBeUndefined()
    expect(alertmanagerToken({noToken: true, listen: '[::1]:9464'}, {})).toBeUndefined()
    expect(() => alertmanagerToken({noToken: true, listen: '0.0.0.0:9464'}, {})).toThrow(
      '--alertmanager-no-token is only allowed when --metrics is on loopback, not 0.0.0.0.',
    )
    expect(() => alertmanagerToken({tokenEnv: 'AM_TOKEN', noToken: false, listen: '127.0.0.1:9464'}, {})).toThrow(
      'the environment variable AM_TOKEN is not set or empty',
    )
    expect(() =>
      alertmanagerToken({tokenEnv: 'AM_TOKEN', noToken: false, listen: '127.0.0.1:9464'}, {AM_TOKEN: 'short'}),
    ).toThrow('shorter than 16 characters')
    expect(() => alertmanagerToken({tokenEnv: 'AM_TOKEN', noToken: false}, {AM_TOKEN: TOKEN})).toThrow(
      '--alertmanager-token-env needs --metrics HOST:PORT',
    )
    expect(() =>
      alertmanagerToken({tokenEnv: 'AM_TOKEN', noToken: true, listen: '127.0.0.1:1'}, {AM_TOKEN: TOKEN}),
    ).toThrow('not both')
  })
})

describe('watch --alertmanager-token-env (real CLI)', () => {
  it('refuses to serve POST /alertmanager without a token, off loopback without one, or without --metrics (exit 2)', async () => {
    const file = path.join(tmp.dir, 'checks.yaml')
    fs.writeFileSync(file, 'checks:\n  - {id: x, kind: tcp, target: "127.0.0.1:1", interval: 1m}\n')
    const watch = (...args: string[]) =>
      runCli(['watch', '--checks', file, '--db', path.join(tmp.dir, 'cli.db'), ...args], {env: {WK_EMPTY: ''}})
    const open = await watch('--metrics', '0.0.0.0:0', '--alertmanager-no-token')
    expect(open.code).toBe(2)
    expect(open.stderr).toContain('--alertmanager-no-token is only allowed when --metrics is on loopback, not 0.0.0.0.')
    const unset = await watch('--metrics', '127.0.0.1:0', '--alertmanager-token-env', 'WK_EMPTY')
    expect(unset.code).toBe(2)
    expect(unset.stderr).toContain('the environment variable WK_EMPTY is not set or empty')
    const noListener = await watch('--alertmanager-no-token')
    expect(noListener.code).toBe(2)
    expect(noListener.stderr).toContain('--alertmanager-no-token needs --metrics HOST:PORT')
    expect(fs.existsSync(path.join(tmp.dir, 'cli.db'))).toBe(false)
  })
})
