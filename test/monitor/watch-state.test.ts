import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {getMonitorState} from '../../src/store/monitor.js'
import {tmpDir} from '../helpers/cli.js'
import {makeHarness, toggleServer, webhookReceiver, writeCatalogue} from './harness.js'

type Srv = Awaited<ReturnType<typeof toggleServer>>
type Rcv = Awaited<ReturnType<typeof webhookReceiver>>

let tmp: {dir: string; cleanup: () => void}
let api: Srv
let web: Srv
let hook: Rcv
let env: NodeJS.ProcessEnv

beforeEach(async () => {
  tmp = tmpDir('wk-watch-')
  api = await toggleServer()
  web = await toggleServer()
  hook = await webhookReceiver()
  env = {HOOK_URL: `${hook.url}/hooks/secret-token-123`}
})

afterEach(async () => {
  await Promise.all([api.close(), web.close(), hook.close()])
  tmp.cleanup()
})

function catalogue(extra = '', checkExtra = ''): string {
  return writeCatalogue(
    tmp.dir,
    `
defaults:
  interval: 10s
  timeout: 2s
checks:
  - id: api
    kind: http
    target: ${api.url}/health
    tags: [api]
${checkExtra}
notifiers:
  ops:
    type: webhook
    url: \${env:HOOK_URL}
    min_interval: 1m
${extra}`,
  )
}

describe('watch state machine (fake clock, loopback servers)', () => {
  it('alerts once after 3 failures and resolves once after 2 passes', async () => {
    const h = makeHarness(tmp.dir, catalogue(), env)
    await h.clock.advance(25_000) // runs at 0, 10, 20 s: ok
    expect(getMonitorState(h.db, 'api')?.state).toBe('ok')
    api.mode = 'fail'
    await h.clock.advance(20_000) // 30, 40: two failures, below the threshold
    expect(h.sent()).toEqual([])
    expect(getMonitorState(h.db, 'api')).toMatchObject({state: 'ok', badStreak: 2})
    await h.clock.advance(10_000) // 50: third failure
    expect(h.sent()).toEqual(['failing api'])
    await h.clock.advance(30_000) // still failing: nothing more
    expect(h.sent()).toEqual(['failing api'])
    api.mode = 'ok'
    await h.clock.advance(10_000) // one pass: still failing
    expect(getMonitorState(h.db, 'api')?.state).toBe('failing')
    await h.clock.advance(10_000) // second pass: recovered
    expect(h.sent()).toEqual(['failing api', 'recovered api'])
    expect(h.events('api').map((e) => e.kind)).toEqual(['failing', 'recovered'])
    expect(await h.watcher.drainNotifications(5000)).toBe(true)
    expect(hook.received.map((r) => (r.body as {event: string}).event)).toEqual(['failing', 'recovered'])
    expect(hook.received[0].body).toMatchObject({
      source: 'watchkeeper',
      severity: 'crit',
      check: {id: 'api', state: 'failing', previous: 'ok'},
    })
    const results = h.db.prepare('SELECT coalesce(sum(n), 0) AS n FROM result_blocks').get() as {n: number}
    expect(results.n).toBe(11)
    await h.watcher.stop(1000)
  })

  it('honours per-check thresholds and treats warn as degraded', async () => {
    const file = catalogue(
      '',
      `
  - id: web
    kind: http
    target: ${web.url}/
    latency: {warn: 200ms}
    thresholds: {failure: 2, recovery: 3}
`,
    )
    const h = makeHarness(tmp.dir, file, env)
    await h.clock.advance(15_000)
    web.mode = 'slow'
    await h.clock.advance(10_000) // one warn
    expect(h.sent()).toEqual([])
    await h.clock.advance(10_000) // second warn: degraded at failure threshold 2
    expect(h.sent()).toEqual(['degraded web'])
    expect(getMonitorState(h.db, 'web')?.state).toBe('degraded')
    web.mode = 'fail'
    await h.clock.advance(20_000) // two failures: degraded → failing
    expect(h.sent()).toEqual(['degraded web', 'failing web'])
    web.mode = 'ok'
    await h.clock.advance(20_000) // two passes: recovery threshold is 3
    expect(getMonitorState(h.db, 'web')?.state).toBe('failing')
    await h.clock.advance(10_000)
    expect(h.sent()).toEqual(['degraded web', 'failing web', 'recovered web'])
    await h.watcher.stop(1000)
  })

  it('marks a flapping check, holds its notifications, and says when it settles', async () => {
    const file = catalogue('', '    thresholds: {failure: 1, recovery: 1}\n    flapping: {changes: 4, window: 5m}\n')
    const h = makeHarness(tmp.dir, file, env)
    await h.clock.advance(5000) // ok
    for (let i = 0; i < 6; i++) {
      api.mode = i % 2 === 0 ? 'fail' : 'ok'
      await h.clock.advance(10_000)
    }

    // Changes 1-3 are announced; the 4th within 5 min marks it flapping; it and the rest are held.
    expect(h.sent()).toEqual(['failing api', 'recovered api', 'failing api', 'flapping api'])
    const held = h.events('api').filter((e) => e.kind === 'state')
    expect(held.map((e) => e.state)).toEqual(['ok', 'failing', 'ok'])
    expect(held.every((e) => e.suppressed === 'flapping')).toBe(true)
    api.mode = 'fail'
    await h.clock.advance(10_000)
    expect(getMonitorState(h.db, 'api')).toMatchObject({state: 'failing', flapping: true})
    // Steady failing for a whole window: stable, and the failure (already announced before flapping) is not repeated.
    await h.clock.advance(6 * 60_000)
    expect(h.sent()).toEqual(['failing api', 'recovered api', 'failing api', 'flapping api', 'stable api'])
    api.mode = 'ok'
    await h.clock.advance(10_000)
    expect(h.sent().at(-1)).toBe('recovered api')
    await h.watcher.stop(1000)
  })

  it('stores results but raises nothing during a maintenance window, then alerts if still failing after it', async () => {
    const start = Date.UTC(2026, 10, 25, 9, 0, 0) // 09:00 UTC = 09:00 London (GMT in November)
    const file = catalogue(`
maintenance:
  - name: database upgrade
    tags: [api]
    start: 2026-11-25T09:01
    end: 2026-11-25T09:05
    timezone: Europe/London
`)
    const h = makeHarness(tmp.dir, file, env, {start})
    await h.clock.advance(65_000) // ok until 09:01:05
    api.mode = 'fail'
    await h.clock.advance(3 * 60_000) // failing inside the window
    expect(getMonitorState(h.db, 'api')?.state).toBe('failing')
    // Only the notice that the window opened.
    expect(h.sent()).toEqual(['maintenance-started -'])
    const state = h.events('api').find((e) => e.kind === 'state')
    expect(state).toMatchObject({state: 'failing', suppressed: 'maintenance: database upgrade'})
    expect(h.metrics.registry.getSingleMetric('watchkeeper_check_in_maintenance')).toBeDefined()
    await h.clock.advance(60_000) // 09:05:05: the window is over and it still fails
    expect(h.sent()).toEqual(['maintenance-started -', 'maintenance-ended -', 'failing api'])
    const n = h.db.prepare('SELECT coalesce(sum(n), 0) AS n FROM result_blocks').get() as {n: number}
    expect(n.n).toBe(31)
    await h.watcher.stop(1000)
  })

  it('resolves after a restart an alert raised before it, without raising it twice', async () => {
    const file = catalogue()
    const first = makeHarness(tmp.dir, file, env)
    api.mode = 'fail'
    await first.clock.advance(25_000)
    expect(first.sent()).toEqual(['failing api'])
    // The process dies here (no stop): a new one starts from the same database.
    const second = first.restart()
    await second.clock.advance(25_000) // still failing: three more failures, no second alert
    expect(second.sent()).toEqual(['failing api'])
    api.mode = 'ok'
    await second.clock.advance(20_000)
    expect(second.sent()).toEqual(['failing api', 'recovered api'])
    await second.watcher.stop(1000)
  })

  it('keeps every result when another process holds the write lock, and writes them when it lets go', async () => {
    const file = catalogue()
    const h = makeHarness(tmp.dir, file, env, {busyTimeoutMs: 50})
    const {openDatabase} = await import('../../src/store/db.js')
    const other = openDatabase(`${tmp.dir}/wk.db`)
    other.prepare('BEGIN IMMEDIATE').run()
    await h.clock.advance(25_000)
    expect(h.logs.some((l) => /database busy/.test(l.msg))).toBe(true)
    other.prepare('COMMIT').run()
    other.close()
    await h.clock.advance(10_000)
    const n = h.db.prepare('SELECT coalesce(sum(n), 0) AS n FROM result_blocks').get() as {n: number}
    expect(n.n).toBe(4)
    expect(getMonitorState(h.db, 'api')?.okStreak).toBe(4)
    await h.watcher.stop(1000)
  })
})
