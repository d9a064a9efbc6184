import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {closedPort, type RunningServer, startHttp} from '../helpers/servers.js'

const PROMTOOL = '/usr/bin/promtool'

let tmp: {dir: string; cleanup: () => void}
let api: RunningServer<http.Server>
let child: ChildProcess | undefined

beforeEach(async () => {
  tmp = tmpDir('wk-fleet-')
  api = await startHttp((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('late'), 3000).unref()
    else res.end('ok')
  })
})

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }

  child = undefined
  api.server.closeAllConnections()
  await api.close()
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

function writeCatalogue(watch: string): string {
  const file = path.join(tmp.dir, 'checks.yaml')
  fs.writeFileSync(
    file,
    `${watch}
checks:
  - id: api
    name: Patient API
    kind: http
    target: ${api.url}/health
    service: PDS
    tier: gold
    interval: 1s
  - id: down
    kind: tcp
    target: 127.0.0.1:${downPort}
    interval: 1s
    thresholds: {failure: 1}
  - id: nightly
    kind: tcp
    target: 127.0.0.1:${downPort}
    schedule: "0 3 * * *"
    timezone: UTC
`,
  )
  return file
}

let downPort = 0

/** Starts `watch` with a metrics listener and waits until it answers; returns its base URL. */
async function startWatch(file: string, extra: string[] = []): Promise<string> {
  const port = await closedPort()
  child = spawn(
    process.execPath,
    [BIN, 'watch', '--checks', file, '--db', path.join(tmp.dir, 'wk.db'), '--metrics', `127.0.0.1:${port}`, ...extra],
    {
      cwd: ROOT,
      env: {...process.env, NO_COLOR: '1'},
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  const base = `http://127.0.0.1:${port}`
  await until('the listener', async () => {
    try {
      return (await fetch(`${base}/healthz`)).ok
    } catch {
      return false
    }
  })
  return base
}

function promtool(text: string): {status: number | null; output: string} {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], {input: text, encoding: 'utf8'})
  return {status: r.status, output: r.stdout + r.stderr}
}

const samples = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))

describe('fleet metrics from a real watch', () => {
  beforeEach(async () => {
    downPort = await closedPort()
  })

  it('stamps watch.vantage on every series, exports the votes, and passes promtool check metrics', async () => {
    const file = writeCatalogue('watch:\n  stagger: 0s\n  vantage: {id: lon-1, net: internet, region: eu-west-2}')
    const base = await startWatch(file)
    const text = await until('both votes', async () => {
      const t = await (await fetch(`${base}/metrics`)).text()
      return /^watchkeeper_check_up\{check="api"[^}]*\} 1$/m.test(t) &&
        /^watchkeeper_check_up\{check="down"[^}]*\} 0$/m.test(t)
        ? t
        : undefined
    })
    const lines = samples(text)
    expect(lines.length).toBeGreaterThan(50)
    for (const l of lines) expect(l).toMatch(/vantage="lon-1",net="internet",region="eu-west-2"[,}]/)
    const lint = promtool(text)
    expect(lint.output).toBe('')
    expect(lint.status).toBe(0)
    // No float noise anywhere; watchkeeper's own seconds at the 0.1 ms they were measured to.
    for (const l of lines) expect(l).not.toMatch(/ -?\d+\.\d{10,}$/)
    for (const l of lines.filter((x) => /^(probe_|watchkeeper_check_(?!start_lag))/.test(x)))
      expect(l).toMatch(/ -?\d+(\.\d{1,4})?$/)
    const v = 'vantage="lon-1",net="internet",region="eu-west-2"'
    expect(text).toContain(`watchkeeper_check_up{check="api",kind="http",service="PDS",tier="gold",${v}} 1`)
    expect(text).toContain(`watchkeeper_check_up{check="down",kind="tcp",${v}} 0`)
    expect(text).toContain(`watchkeeper_check_state{check="down",kind="tcp",state="failing",${v}} 1`)
    expect(text).toContain(
      `watchkeeper_check_interval_seconds{check="api",kind="http",service="PDS",tier="gold",${v}} 1`,
    )
    expect(text).toContain(`watchkeeper_check_interval_seconds{check="nightly",kind="tcp",${v}} 86400`)
    expect(text).not.toMatch(/^watchkeeper_check_up\{check="nightly"/m) // pending: no vote
    expect(text).toContain(`watchkeeper_probe_connectivity{${v}} 1`)
    const ts = Number(/^watchkeeper_check_timestamp_seconds\{check="api",[^}]*\} ([\d.]+)$/m.exec(text)![1])
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(10)
    expect(text).toMatch(
      new RegExp(
        `^probe_http_duration_seconds\\{check="api",kind="http",service="PDS",tier="gold",target="[^"]+",phase="connect",${v}\\} [\\d.]+$`,
        'm',
      ),
    )
    expect(text).not.toMatch(/nodejs_active_handles_total/)
    expect(text).toMatch(/^nodejs_active_handles\{type="[A-Za-z]+",/m)
  })

  it("serves /sd from the catalogue and /probe in blackbox_exporter's names, with the --vantage flags over watch.vantage", async () => {
    const file = writeCatalogue('watch:\n  vantage: {id: lon-1, net: internet}')
    const base = await startWatch(file, ['--vantage', 'rxa-01', '--vantage-net', 'hscn', '--vantage-region', 'leeds'])
    const {port} = new URL(base)
    const sd = await fetch(`${base}/sd`)
    expect(sd.headers.get('content-type')).toBe('application/json')
    const vantage = {vantage: 'rxa-01', net: 'hscn', region: 'leeds'}
    expect(await sd.json()).toEqual([
      {
        targets: [`127.0.0.1:${port}`],
        labels: {
          __metrics_path__: '/probe',
          __param_check: 'api',
          check: 'api',
          kind: 'http',
          service: 'PDS',
          tier: 'gold',
          ...vantage,
        },
      },
      {
        targets: [`127.0.0.1:${port}`],
        labels: {__metrics_path__: '/probe', __param_check: 'down', check: 'down', kind: 'tcp', ...vantage},
      },
      {
        targets: [`127.0.0.1:${port}`],
        labels: {__metrics_path__: '/probe', __param_check: 'nightly', check: 'nightly', kind: 'tcp', ...vantage},
      },
    ])
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(
      'watchkeeper_probe_connectivity{vantage="rxa-01",net="hscn",region="leeds"} 1',
    )
    // The same catalogue for a plain blackbox_exporter (relabel __address__ into __param_target).
    expect(await (await fetch(`${base}/sd?for=blackbox&module=http_2xx_with_api_key`)).json()).toEqual([
      {
        targets: [`${api.url}/health`],
        labels: {
          __param_module: 'http_2xx_with_api_key',
          check: 'api',
          kind: 'http',
          service: 'PDS',
          tier: 'gold',
          ...vantage,
        },
      },
      {
        targets: [`127.0.0.1:${downPort}`],
        labels: {__param_module: 'tcp_connect', check: 'down', kind: 'tcp', ...vantage},
      },
      {
        targets: [`127.0.0.1:${downPort}`],
        labels: {__param_module: 'tcp_connect', check: 'nightly', kind: 'tcp', ...vantage},
      },
    ])
    for (const [p, message] of [
      ['/sd?for=gatus', 'unknown consumer "gatus"'],
      ['/sd?module=x', 'module goes with for=blackbox'],
      ['/sd?x=1', 'unknown parameter "x"'],
      ['/sd?for=blackbox&module=a%20b', 'module: expected'],
    ]) {
      const r = await fetch(base + p)
      expect([p, r.status]).toEqual([p, 400])
      expect(await r.text()).toContain(message)
    }

    const good = await fetch(`${base}/probe?check=api`)
    expect(good.status).toBe(200)
    expect(good.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const body = await good.text()
    expect(promtool(body)).toEqual({status: 0, output: ''})
    expect(body).toMatch(/^probe_success 1$/m)
    expect(body).toMatch(/^probe_http_status_code 200$/m)
    expect(body).toMatch(/^probe_duration_seconds \d+(\.\d{1,4})?$/m)
    expect(body).toMatch(/^probe_http_duration_seconds\{phase="connect"\} \d+(\.\d{1,4})?$/m)
    expect(body).toMatch(/^probe_timeout_seconds 10$/m)
    expect(body).toMatch(/^watchkeeper_check_status 0$/m)
    const down = await (await fetch(`${base}/probe?check=down`)).text()
    expect(down).toMatch(/^probe_success 0$/m)
    expect(down).toMatch(/^watchkeeper_check_status 2$/m)

    const adhoc = await fetch(`${base}/probe?target=${encodeURIComponent(`${api.url}/health`)}&module=http_2xx`)
    expect(adhoc.status).toBe(200)
    expect(await adhoc.text()).toMatch(/^probe_http_status_code 200$/m)

    const bad: [string, number, string, Record<string, string>?][] = [
      ['/probe?check=nope', 404, 'no enabled check with id "nope"'],
      ['/probe', 400, 'give check=ID, or target=URL&module=http_2xx'],
      ['/probe?check=api&check=down', 400, 'check: given 2 times'],
      ['/probe?check=api&target=http://127.0.0.1/', 400, 'one of them'],
      ['/probe?check=api&module=http_2xx', 400, 'module goes with target='],
      ['/probe?check=api&debug=true', 400, 'unknown parameter "debug"'],
      [`/probe?target=${api.url}/`, 400, 'target needs module'],
      [`/probe?target=${api.url}/&module=icmp`, 400, 'unknown module "icmp"'],
      ['/probe?target=ftp://127.0.0.1/&module=http_2xx', 400, 'expected an http:// or https:// URL, got ftp:'],
      ['/probe?target=nonsense&module=http_2xx', 400, 'expected an http:// or https:// URL'],
      [`/probe?target=http://u:p@127.0.0.1:${api.port}/&module=http_2xx`, 400, 'credentials in the URL'],
      [
        '/probe?check=api',
        400,
        'X-Prometheus-Scrape-Timeout-Seconds: expected a positive number',
        {'x-prometheus-scrape-timeout-seconds': 'soon'},
      ],
      ['/probe?check=api', 400, 'X-Prometheus-Scrape-Timeout-Seconds', {'x-prometheus-scrape-timeout-seconds': '0'}],
    ]
    for (const [p, status, message, headers] of bad) {
      const r = await fetch(base + p, {headers})
      expect([p, r.status]).toEqual([p, status])
      expect(await r.text()).toContain(message)
    }

    expect((await fetch(`${base}/probe?check=api`, {method: 'POST'})).status).toBe(405)
  })

  it('drives /probe from a real Prometheus through /sd, with no relabelling', async () => {
    const base = await startWatch(writeCatalogue('watch:\n  vantage: {id: lon-1, net: internet}'))
    const promPort = await closedPort()
    const promDir = path.join(tmp.dir, 'prom')
    fs.mkdirSync(promDir)
    fs.writeFileSync(
      path.join(promDir, 'prometheus.yml'),
      `global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: wk-probe
    http_sd_configs: [{url: '${base}/sd', refresh_interval: 2s}]
`,
    )
    const prom = spawn(
      '/usr/bin/prometheus',
      [
        `--config.file=${path.join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      {stdio: 'ignore'},
    )
    try {
      const series = await until(
        'probe_success in Prometheus',
        async () => {
          try {
            const r = await fetch(
              `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent('probe_success{check="api"}')}`,
            )
            const j = (await r.json()) as {data?: {result: {metric: Record<string, string>; value: [number, string]}[]}}
            return j.data?.result.length ? j.data.result : undefined
          } catch {
            return undefined
          }
        },
        30_000,
      )
      expect(series).toHaveLength(1)
      expect(series[0].metric).toEqual({
        __name__: 'probe_success',
        check: 'api',
        kind: 'http',
        service: 'PDS',
        tier: 'gold',
        vantage: 'lon-1',
        net: 'internet',
        instance: new URL(base).host,
        job: 'wk-probe',
      })
      expect(series[0].value[1]).toBe('1')
      const targets = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/targets`)).json()) as {
        data: {activeTargets: {scrapeUrl: string}[]}
      }
      expect(targets.data.activeTargets.map((t) => t.scrapeUrl).sort()).toEqual(
        ['api', 'down', 'nightly'].map((id) => `${base}/probe?check=${id}`),
      )
    } finally {
      const exited = new Promise((resolve) => prom.once('exit', resolve))
      prom.kill('SIGTERM')
      await exited
    }
  }, 60_000)

  it("ends a probe before Prometheus's scrape timeout (less blackbox_exporter's 0.5 s offset)", async () => {
    const base = await startWatch(writeCatalogue(''))
    const started = Date.now()
    const r = await fetch(`${base}/probe?target=${encodeURIComponent(`${api.url}/slow`)}&module=http_2xx`, {
      headers: {'X-Prometheus-Scrape-Timeout-Seconds': '1.5'},
    })
    const took = Date.now() - started
    const body = await r.text()
    expect(r.status).toBe(200)
    expect(body).toMatch(/^probe_success 0$/m)
    expect(body).toMatch(/^probe_timeout_seconds 1$/m)
    expect(body).toMatch(/^probe_http_status_code 0$/m)
    expect(body).toMatch(/^watchkeeper_check_status 2$/m) // crit: timed out
    expect(took).toBeGreaterThanOrEqual(950)
    expect(took).toBeLessThan(1500)
  })

  it('refuses bad vantages: flags exit 2 naming the flag, watch.vantage exits 2 at file:line:col', async () => {
    const file = writeCatalogue('')
    const cases: [string[], string][] = [
      [['--vantage', 'bad id!'], '--vantage bad id!: expected an id'],
      [['--vantage', 'a,zone=x'], 'unknown part "zone=x"'],
      [['--vantage', 'a,net=Bad Net'], 'net "Bad Net": expected internet, hscn'],
      [
        ['--vantage', 'a,net=hscn', '--vantage-net', 'internet'],
        '--vantage-net internet: net is already given in --vantage',
      ],
      [['--vantage-region', 'leeds'], '--vantage-region leeds: needs --vantage ID'],
    ]
    for (const [args, message] of cases) {
      const r = await runCli(['watch', '--once', '--checks', file, '--db', path.join(tmp.dir, 'wk.db'), ...args])
      expect([args, r.code]).toEqual([args, 2])
      expect(r.stderr).toContain(message)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }

    const badNet = writeCatalogue('watch:\n  vantage:\n    id: lon-1\n    net: The Internet')
    const r = await runCli(['watch', '--once', '--checks', badNet, '--db', path.join(tmp.dir, 'wk.db')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(new RegExp(`${badNet.replaceAll('.', String.raw`\.`)}:4:10 watch\\.vantage\\.net: `))
    const noId = writeCatalogue('watch:\n  vantage: {net: hscn}')
    const r2 = await runCli(['watch', '--once', '--checks', noId, '--db', path.join(tmp.dir, 'wk.db')])
    expect(r2.code).toBe(2)
    expect(r2.stderr).toMatch(/:2:\d+ watch\.vantage: .*id/)
    const run = await runCli([
      'check',
      'run',
      '--checks',
      file,
      '--db',
      path.join(tmp.dir, 'wk.db'),
      '--vantage',
      'bad id!',
    ])
    expect(run.code).toBe(3)
    expect(run.stderr).toContain('--vantage bad id!')
  }, 90_000)

  it('check run --format prom carries the vantage labels and passes promtool', async () => {
    const file = writeCatalogue('')
    const r = await runCli([
      'check',
      'run',
      '--checks',
      file,
      '--id',
      'api',
      '--db',
      path.join(tmp.dir, 'wk.db'),
      '--format',
      'prom',
      '--vantage',
      'aws-lon,net=internet,region=eu-west-2',
    ])
    expect(r.code).toBe(0)
    const lines = samples(r.stdout)
    expect(lines.length).toBeGreaterThan(4)
    for (const l of lines) expect(l).toMatch(/,vantage="aws-lon",net="internet",region="eu-west-2"[,}]/)
    expect(promtool(r.stdout)).toEqual({status: 0, output: ''})
  })
})
