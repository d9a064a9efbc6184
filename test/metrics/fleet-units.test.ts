import {afterEach, describe, expect, it} from 'vitest'

import type {CheckDefinition} from '../../src/catalogue/load.js'
import type {WatchedCheck} from '../../src/monitor/watch-config.js'
import type {CheckResult} from '../../src/types.js'
import {denoise, seconds} from '../../src/metrics/exposition.js'
import {fleetRoutes, probeTimeoutMs} from '../../src/metrics/fleet-routes.js'
import {type MetricsServer, startMetricsServer} from '../../src/metrics/server.js'
import {WatchMetrics} from '../../src/metrics/watch-metrics.js'

function check(id: string, extra: Partial<CheckDefinition> = {}): CheckDefinition {
  return {
    id,
    name: id,
    kind: 'http',
    target: 'http://127.0.0.1:1/',
    tags: [],
    enabled: true,
    timeoutMs: 5000,
    retries: 2,
    net: {resolve: []},
    spec: {id, kind: 'http', target: 'http://127.0.0.1:1/'},
    secrets: [],
    source: {file: 'x.yaml', line: 1, col: 1},
    ...extra,
  }
}

function watched(
  c: CheckDefinition,
  trigger: WatchedCheck['trigger'] = {kind: 'interval', everyMs: 30_000},
): WatchedCheck {
  return {
    check: c,
    trigger,
    thresholds: {failure: 3, recovery: 2},
    flapping: {changes: 5, windowMs: 1_800_000},
    notify: [],
  }
}

function result(id: string, over: Partial<CheckResult> = {}): CheckResult {
  return {
    checkId: id,
    kind: 'http',
    target: 'http://127.0.0.1:1/',
    status: 'ok',
    summary: 'HTTP 200',
    startedAt: 1_796_000_000_123,
    durationMs: 76.1,
    attempts: 1,
    timings: {dnsMs: 0.3, connectMs: 1.2, tlsMs: 10.7, processingMs: 50.1, transferMs: 13.8, totalMs: 76.1},
    findings: [],
    metrics: {httpStatus: 200},
    ...over,
  }
}

describe('WatchMetrics votes and labels', () => {
  it('votes 1 while ok or degraded, 0 while failing, not at all while pending', async () => {
    const m = new WatchMetrics({vantage: {id: 'v1', net: 'hscn'}})
    m.describe([watched(check('a', {service: 'PDS', tier: 'gold'}))])
    const up = async () => /^watchkeeper_check_up\{([^}]*)\} (\d)$/m.exec(await m.text())
    m.setState('a', 'pending', false, false)
    expect(await up()).toBeNull()
    m.setState('a', 'degraded', false, false)
    expect((await up())?.slice(1)).toEqual([
      'check="a",kind="http",service="PDS",tier="gold",vantage="v1",net="hscn"',
      '1',
    ])
    m.setState('a', 'failing', false, false)
    expect((await up())?.[2]).toBe('0')
    m.setState('a', 'ok', false, false)
    expect((await up())?.[2]).toBe('1')
  })

  it("writes phases that add up, in seconds without float noise, and moves series when a check's labels change", async () => {
    const m = new WatchMetrics()
    m.describe([watched(check('a', {tier: 'gold'}))])
    m.setState('a', 'ok', false, false)
    m.observe(result('a'))
    let text = await m.text()
    const phases = [...text.matchAll(/^probe_http_duration_seconds\{[^}]*phase="(\w+)"\} ([\d.]+)$/gm)].map((x) => [
      x[1],
      x[2],
    ])
    expect(phases).toEqual([
      ['resolve', '0.0003'],
      ['connect', '0.0012'],
      ['tls', '0.0107'],
      ['processing', '0.0501'],
      ['transfer', '0.0138'],
    ])
    expect(text).toMatch(/^probe_duration_seconds\{[^}]*\} 0\.0761$/m)
    expect(text).toMatch(/^watchkeeper_check_timestamp_seconds\{[^}]*\} 1796000000\.123$/m)
    expect(text).toContain('watchkeeper_check_interval_seconds{check="a",kind="http",tier="gold"} 30')
    m.describe([watched(check('a', {tier: 'platinum'}))])
    m.setState('a', 'ok', false, false)
    text = await m.text()
    expect(text).not.toContain('tier="gold"')
    expect(text).toContain('watchkeeper_check_up{check="a",kind="http",tier="platinum"} 1')
    m.forget(['a'])
    expect(await m.text()).not.toMatch(/check="a"/)
  })

  it('gives a schedule the gap from its last run to the next', async () => {
    const m = new WatchMetrics()
    m.describe(
      [watched(check('n'), {kind: 'cron', expression: '0 9 * * 1-5', timezone: 'UTC'})],
      Date.UTC(2026, 11, 1, 12),
    )
    expect(await m.text()).toContain('watchkeeper_check_interval_seconds{check="n",kind="http"} 86400')
    m.observe(result('n', {startedAt: Date.UTC(2026, 11, 4, 9, 0, 0, 40)})) // a Friday: next run Monday
    expect(await m.text()).toContain(`watchkeeper_check_interval_seconds{check="n",kind="http"} ${3 * 86_400 - 0.04}`)
  })

  it('rounds and de-noises', () => {
    expect(seconds(76.1)).toBe(0.0761)
    expect(String(seconds(0.300_000_000_000_000_04))).toBe('0.0003')
    expect(
      denoise(
        'a 0.07610000000000001\nb{x="1"} 0.02559050299999967\nc 1796000000.123\nd 1.2345678901234567e-7\ne 0.0102916096\n',
      ),
    ).toBe('a 0.0761\nb{x="1"} 0.025590503\nc 1796000000.123\nd 1.23456789012e-7\ne 0.01029161\n')
  })
})

describe('/probe limits', () => {
  let server: MetricsServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it("takes the shorter of the check's timeout and the scrape timeout less 0.5 s", () => {
    expect(probeTimeoutMs(undefined, 10_000)).toBe(10_000)
    expect(probeTimeoutMs('10', 5000)).toBe(5000)
    expect(probeTimeoutMs('2.5', 5000)).toBe(2000)
    expect(probeTimeoutMs('0.6', 5000)).toBe(300)
    expect(() => probeTimeoutMs('-1', 5000)).toThrow(/positive number/)
    expect(() => probeTimeoutMs('', 5000)).toThrow(/positive number/)
  })

  it('runs at most N at once, queues N more, turns the rest away with 503, and counts the wait against the timeout', async () => {
    const gates: (() => void)[] = []
    const seen: {timeoutMs: number; retries: number}[] = []
    let running = 0
    let most = 0
    server = await startMetricsServer('127.0.0.1:0', {
      metrics: async () => ({contentType: 'text/plain', body: ''}),
      health: () => ({healthy: true}),
      routes: fleetRoutes({
        checks: () => [check('a')],
        vantage: () => undefined,
        address: () => undefined,
        concurrency: 2,
        async run(c, signal) {
          seen.push({timeoutMs: c.timeoutMs, retries: c.retries})
          running++
          most = Math.max(most, running)
          await new Promise<void>((resolve) => {
            gates.push(resolve)
            signal.addEventListener('abort', () => resolve(), {once: true})
          })
          running--
          return result('a')
        },
      }),
    })
    const url = `http://127.0.0.1:${server.address.port}/probe?check=a`
    const first = [0, 1, 2, 3].map(() => fetch(url))
    while (gates.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
    const fifth = await fetch(url)
    expect(fifth.status).toBe(503)
    expect(fifth.headers.get('retry-after')).toBe('1')
    expect(await fifth.text()).toContain('too many probes in flight (2 running, 2 waiting)')
    while (seen.length < 4) {
      gates.shift()?.()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }

    for (const g of gates.splice(0)) g()
    const answers = await Promise.all(first)
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(most).toBe(2)
    expect(seen[0].retries).toBe(0)
    expect(seen[0].timeoutMs).toBeGreaterThan(4900)
    expect(seen[0].timeoutMs).toBeLessThanOrEqual(5000)

    // Both slots held: a queued probe with a 1 s scrape budget (0.5 s probe timeout) stops waiting in time.
    const held = [fetch(url), fetch(url)]
    while (running < 2) await new Promise((resolve) => setTimeout(resolve, 10))
    const started = Date.now()
    const queued = await fetch(url, {headers: {'X-Prometheus-Scrape-Timeout-Seconds': '1'}})
    const waited = Date.now() - started
    expect(queued.status).toBe(503)
    expect(await queued.text()).toContain('no probe slot came free within the 0.5 s timeout')
    expect(waited).toBeGreaterThanOrEqual(450)
    expect(waited).toBeLessThan(1000)
    for (const g of gates.splice(0)) g()
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200])
  })
})
