import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {type DB, openDatabase} from '../../src/store/db.js'
import {eventsOf, listIncidentRows} from '../../src/store/incidents.js'
import {BIN, ROOT, tmpDir} from '../helpers/cli.js'
import {closedPort, type RunningServer, startHttp} from '../helpers/servers.js'
import {webhookReceiver} from '../monitor/harness.js'
import {engine} from './engines.js'

/**
 * The fleet end to end, on loopback with the real engines: three `watch` processes (vantages a and b on the
 * internet, c on HSCN) probe one service; a real Prometheus scrapes them every second and evaluates the
 * shipped rules (their for: durations scaled from minutes to seconds); a real Alertmanager, configured from
 * the shipped alertmanager.yml with second-long timers, sends pages to watch c's POST /alertmanager and
 * everything else to a capture server.
 */

const TOKEN = 'e2e-token-0123456789abcdef'
const VANTAGES = [
  {id: 'a', net: 'internet', region: 'london'},
  {id: 'b', net: 'internet', region: 'manchester'},
  {id: 'c', net: 'hscn', region: 'leeds'},
] as const

let tmp: {dir: string; cleanup: () => void}
let service: RunningServer
const failingFor = new Set<string>()
let capture: Awaited<ReturnType<typeof webhookReceiver>>
const children: {name: string; proc: ChildProcess; out: string}[] = []
const ports: Record<string, number> = {}
const timings: Record<string, number> = {}
const t0 = Date.now()

async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 40_000,
): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) {
      const tails = children.map((c) => `--- ${c.name}\n${c.out.slice(-1500)}`).join('\n')
      throw new Error(`timed out waiting for ${what}\n${tails}`)
    }

    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

function start(name: string, file: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const proc = spawn(file, args, {
    cwd: tmp.dir,
    env: {...process.env, NO_COLOR: '1', WATCHKEEPER_CHECKS: '', ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const entry = {name, proc, out: ''}
  proc.stdout!.on('data', (d) => (entry.out += d))
  proc.stderr!.on('data', (d) => (entry.out += d))
  children.push(entry)
  return proc
}

/** The shipped rules with every for: divided by 60 (2m → 2s): the same expressions, on a test's clock. */
function rulesForTest(): string[] {
  const dir = path.join(ROOT, 'deploy', 'prometheus', 'rules')
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => {
      const doc = YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as {groups: {rules: {for?: string}[]}[]}
      for (const g of doc.groups) {
        for (const r of g.rules) {
          if (!r.for) continue
          const m = /^(\d+)([smh])$/.exec(r.for)
          if (!m) throw new Error(`${f}: for: ${r.for} is not a plain duration`)
          const seconds = Number(m[1]) * {s: 1, m: 60, h: 3600}[m[2] as 's' | 'm' | 'h']
          r.for = `${Math.max(1, Math.round(seconds / 60))}s`
        }
      }

      const out = path.join(tmp.dir, `rules-${f}`)
      fs.writeFileSync(out, YAML.stringify(doc))
      return out
    })
}

/** The shipped alertmanager.yml with loopback receivers, a token file and second-long timers. */
function alertmanagerForTest(): string {
  type Route = {group_wait?: string; group_interval?: string; repeat_interval?: string; routes?: Route[]}
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml'), 'utf8')) as {
    route: Route
    receivers: {
      name: string
      webhook_configs: {
        url: string
        http_config?: {authorization?: {credentials_file?: string}; tls_config?: unknown}
      }[]
    }[]
  }
  const fast = (r: Route, top: boolean) => {
    if (top || r.group_wait) r.group_wait = '1s'
    if (top || r.group_interval) r.group_interval = '1s'
    if (top || r.repeat_interval) r.repeat_interval = '2s'
    for (const child of r.routes ?? []) fast(child, false)
  }

  fast(doc.route, true)
  const tokenFile = path.join(tmp.dir, 'am-token')
  fs.writeFileSync(tokenFile, TOKEN + '\n', {mode: 0o600})
  for (const r of doc.receivers) {
    for (const w of r.webhook_configs) {
      if (r.name === 'watchkeeper-incidents') {
        w.url = `http://127.0.0.1:${ports.c}/alertmanager`
        w.http_config!.authorization!.credentials_file = tokenFile
        delete w.http_config!.tls_config
      } else {
        w.url = `${capture.url}/${r.name}`
      }
    }
  }

  const out = path.join(tmp.dir, 'alertmanager.yml')
  fs.writeFileSync(out, YAML.stringify(doc))
  return out
}

/** An instant query; an empty result while Prometheus is not up yet. */
async function promQuery(q: string): Promise<{metric: Record<string, string>; value: [number, string]}[]> {
  try {
    const r = await fetch(`http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent(q)}`)
    const body = (await r.json()) as {
      status: string
      data?: {result: {metric: Record<string, string>; value: [number, string]}[]}
    }
    return body.data?.result ?? []
  } catch {
    return []
  }
}

function withDb<T>(fn: (db: DB) => T): T {
  const db = openDatabase(path.join(tmp.dir, 'c.db'), {readonly: true})
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

/** Alerts the capture server received, as "receiver alertname vantage status". */
function captured(): string[] {
  return capture.received.flatMap((r) =>
    ((r.body.alerts as {status: string; labels: Record<string, string>}[]) ?? []).map(
      (a) => `${r.path.slice(1)} ${a.labels.alertname} ${a.labels.vantage ?? '-'} ${a.status}`,
    ),
  )
}

const mark = (name: string) => (timings[name] = Math.round((Date.now() - t0) / 100) / 10)

beforeAll(async () => {
  const prometheus = engine('prometheus')
  const alertmanager = engine('prometheus-alertmanager')
  tmp = tmpDir('wk-fleet-')
  service = await startHttp((req, res) => {
    const from = new URL(req.url ?? '/', 'http://x').searchParams.get('from') ?? ''
    if (failingFor.has(from)) res.writeHead(503).end('down')
    else res.end('ok')
  })
  capture = await webhookReceiver()
  for (const name of ['a', 'b', 'c', 'prometheus', 'alertmanager']) ports[name] = await closedPort()

  for (const v of VANTAGES) {
    const dir = path.join(tmp.dir, v.id)
    fs.mkdirSync(dir)
    fs.writeFileSync(
      path.join(dir, 'checks.yaml'),
      `
watch: {stagger: 1s}
checks:
  - id: nhs-app
    name: NHS App
    kind: http
    service: NHS App
    target: ${service.url}/health?from=${v.id}
    interval: 1s
    timeout: 1s
    thresholds: {failure: 2, recovery: 1}
    notify: []
`,
    )
    // Until watch.vantage lands, --metrics-label gives every series the same vantage, net and region labels.
    start(
      `watch ${v.id}`,
      process.execPath,
      [
        BIN,
        'watch',
        '--checks',
        dir,
        '--db',
        path.join(tmp.dir, `${v.id}.db`),
        '--metrics',
        `127.0.0.1:${ports[v.id]}`,
        '--metrics-label',
        `vantage=${v.id}`,
        '--metrics-label',
        `net=${v.net}`,
        '--metrics-label',
        `region=${v.region}`,
        '--log-format',
        'json',
        ...(v.id === 'c' ? ['--alertmanager-token-env', 'WK_AM_TOKEN'] : []),
      ],
      {WK_AM_TOKEN: TOKEN},
    )
  }

  const rules = rulesForTest()
  const promConfig = path.join(tmp.dir, 'prometheus.yml')
  fs.writeFileSync(
    promConfig,
    YAML.stringify({
      global: {scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s'},
      rule_files: rules,
      alerting: {alertmanagers: [{static_configs: [{targets: [`127.0.0.1:${ports.alertmanager}`]}]}]},
      scrape_configs: [
        {job_name: 'watchkeeper', static_configs: [{targets: VANTAGES.map((v) => `127.0.0.1:${ports[v.id]}`)}]},
      ],
    }),
  )
  start('alertmanager', alertmanager, [
    `--config.file=${alertmanagerForTest()}`,
    `--storage.path=${path.join(tmp.dir, 'am-data')}`,
    `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
    '--cluster.listen-address=',
    '--log.level=debug',
  ])
  start('prometheus', prometheus, [
    `--config.file=${promConfig}`,
    `--storage.tsdb.path=${path.join(tmp.dir, 'prom-data')}`,
    `--web.listen-address=127.0.0.1:${ports.prometheus}`,
    '--rules.alert.resend-delay=1s',
    '--log.level=warn',
  ])
}, 60_000)

afterAll(async () => {
  await Promise.all(
    children.map(
      ({proc}) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve()
          const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000)
          proc.once('exit', () => {
            clearTimeout(kill)
            resolve()
          })
          proc.kill('SIGTERM')
        }),
    ),
  )
  await Promise.all([service?.close(), capture?.close()])
  tmp?.cleanup()
  process.stderr.write(`fleet e2e timings (s since start): ${JSON.stringify(timings)}\n`)
}, 30_000)

describe('a fleet of three watchkeepers on Prometheus and Alertmanager (real processes)', () => {
  it('one vantage failing tickets its owner and opens no incident; all failing opens exactly one, with every vantage as evidence; repeats add none; recovery is recorded', async () => {
    // Every vantage votes: two on the internet, one on HSCN.
    await until('three voters in Prometheus', async () => {
      const r = await promQuery('wk:check_net:voters')
      return (
        r.length === 2 &&
        r
          .map((x) => `${x.metric.net}=${x.value[1]}`)
          .sort()
          .join(' ') === 'hscn=1 internet=2'
      )
    })
    mark('voting')

    // Vantage a alone sees the service fail: a ticket for a's owner, never a page, no incident.
    failingFor.add('a')
    await until('the ticket for vantage a', () =>
      captured().includes('vantage-owner-ticket CheckFailingAtVantage a firing'),
    )
    mark('ticketed')
    expect(
      await promQuery('ALERTS{alertname=~"ServiceDownByQuorum|PublicEdgeOnlyFailure|InternalOnlyFailure"}'),
    ).toEqual([])
    expect(captured().filter((c) => !c.startsWith('vantage-owner-ticket'))).toEqual([])
    expect(withDb((db) => listIncidentRows(db, {}))).toEqual([])
    const watchC = children.find((c) => c.name === 'watch c')!
    expect(watchC.out).not.toContain('alertmanager:')

    // Everyone sees it fail: one incident on watch c, from the quorum alert, with a, b and c as evidence.
    // HSCN (c) goes first: with a and c failing and b not, only ServiceDownByQuorum can fire, never the
    // public-edge verdict a transient "internet down, HSCN up" would give.
    const votes = async (sel: string) =>
      (await promQuery(`wk:vote{${sel}}`))
        .map((x) => `${x.metric.vantage}=${x.value[1]}`)
        .sort()
        .join(' ')
    failingFor.add('c')
    await until('c votes failing', async () => (await votes('vantage="c"')) === 'c=1')
    failingFor.add('b')
    const incident = await until('an incident on watch c', () => withDb((db) => listIncidentRows(db, {})[0]))
    mark('incident')
    expect(incident).toMatchObject({
      title: expect.stringMatching(/^nhs-app is down: \d failing vote\(s\)/),
      service: 'NHS App',
      state: 'triage',
    })
    const vantagesInEvidence = () =>
      withDb(
        (db) =>
          new Set(
            eventsOf(db, incident.id)
              .filter((e) => e.type === 'evidence_attached' && e.data.kind === 'fleet_alert')
              .flatMap((e) => e.data.vantages as string[]),
          ),
      )
    await until('evidence from a, b and c', () => ['a', 'b', 'c'].every((v) => vantagesInEvidence().has(v)))
    // Alertmanager repeats the group (repeat_interval 2s): recorded as repeats on the same incident.
    const deliveries = () =>
      withDb(
        (db) => (db.prepare('SELECT sum(deliveries) AS n FROM fleet_alert_groups').get() as {n: number | null}).n ?? 0,
      )
    await until('two repeats of the group', () => deliveries() >= 3)
    mark('repeated')
    // The per-vantage alerts of b and c fire in Prometheus too, but Alertmanager inhibits them: no ticket.
    await until(
      'CheckFailingAtVantage firing for b and c',
      async () =>
        (await promQuery('ALERTS{alertname="CheckFailingAtVantage",alertstate="firing"}'))
          .map((x) => x.metric.vantage)
          .sort()
          .join(',') === 'a,b,c',
    )
    await new Promise((resolve) => setTimeout(resolve, 3000))
    mark('inhibited')
    expect(captured().filter((c) => c.startsWith('vantage-owner-ticket') && !c.includes(' a '))).toEqual([])
    expect(captured().includes('soc-page ServiceDownByQuorum - firing')).toBe(true)
    withDb((db) => {
      expect(listIncidentRows(db, {})).toHaveLength(1)
      const types = eventsOf(db, incident.id).map((e) => e.type)
      expect(types.slice(0, 2)).toEqual(['incident_opened', 'evidence_attached'])
      expect(types).toContain('fleet_alert_repeated')
      expect(db.prepare('SELECT group_key, incident_id FROM fleet_alert_groups').all()).toEqual([
        {group_key: expect.stringContaining('alertname="ServiceDownByQuorum"'), incident_id: incident.id},
      ])
    })

    // The service recovers everywhere (the internet first, so no transient verdict fires): Alertmanager's
    // resolved notification goes on the timeline; the incident stays open.
    failingFor.delete('a')
    failingFor.delete('b')
    await until('a and b vote ok', async () => (await votes('net="internet"')) === 'a=0 b=0')
    failingFor.delete('c')
    await until('the recovery on the timeline', () =>
      withDb((db) => eventsOf(db, incident.id).some((e) => e.type === 'fleet_recovered')),
    )
    mark('recovered')
    withDb((db) => {
      expect(listIncidentRows(db, {})).toEqual([
        expect.objectContaining({id: incident.id, state: 'triage', resolvedAt: null}),
      ])
      expect(
        eventsOf(db, incident.id).some(
          (e) => e.type === 'fleet_alert_resolved' && e.data.alertname === 'ServiceDownByQuorum',
        ),
      ).toBe(true)
    })
    expect(Date.now() - t0).toBeLessThan(120_000)
  }, 110_000)
})
