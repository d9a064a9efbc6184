import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {getMeta} from '../../src/store/monitor.js'
import {tmpDir} from '../helpers/cli.js'
import {makeHarness, toggleServer, webhookReceiver, writeCatalogue} from './harness.js'

type Srv = Awaited<ReturnType<typeof toggleServer>>

let tmp: {dir: string; cleanup: () => void}
let servers: Srv[]
let canary: Srv
let hook: Awaited<ReturnType<typeof webhookReceiver>>

beforeEach(async () => {
  tmp = tmpDir('wk-self-')
  servers = await Promise.all(Array.from({length: 6}, () => toggleServer()))
  canary = await toggleServer()
  hook = await webhookReceiver()
})

afterEach(async () => {
  await Promise.all([...servers, canary, hook].map((s) => s.close()))
  tmp.cleanup()
})

function file(): string {
  return writeCatalogue(
    tmp.dir,
    `
defaults:
  interval: 10s
  timeout: 2s
checks:
${servers.map((s, i) => `  - {id: svc-${i}, kind: http, target: "${s.url}/"}`).join('\n')}
  - {id: upstream-dns, kind: http, target: "${canary.url}/", interval: 1h}
notifiers:
  ops: {type: webhook, url: "\${env:HOOK_URL}"}
watch:
  canary: {check: upstream-dns, ratio: 0.5, min_checks: 3, every: 20s}
`,
  )
}

describe('self-check', () => {
  it('raises one "probe connectivity lost" alert instead of one per check, and clears it when the canary passes', async () => {
    const h = makeHarness(tmp.dir, file(), {HOOK_URL: `${hook.url}/x`})
    await h.clock.advance(15_000)
    for (const s of [...servers, canary]) s.mode = 'fail'
    await h.clock.advance(60_000) // six failures each: without the self-check, six alerts
    expect(h.sent()).toEqual(['connectivity-lost -'])
    expect(h.watcher.health().connectivity).toBe('lost')
    expect(getMeta<{state: string}>(h.db, 'connectivity')?.state).toBe('lost')
    expect(h.events().filter((e) => e.kind === 'not-counted').length).toBeGreaterThan(20)
    for (const s of [...servers, canary]) s.mode = 'ok'
    await h.clock.advance(30_000)
    expect(h.sent()).toEqual(['connectivity-lost -', 'connectivity-restored -'])
    expect(h.watcher.health().connectivity).toBe('ok')
    await h.clock.advance(60_000)
    expect(h.sent()).toEqual(['connectivity-lost -', 'connectivity-restored -'])
    expect(await h.watcher.drainNotifications(5000)).toBe(true)
    expect(hook.received.map((r) => r.body.title)).toEqual([
      'Probe connectivity lost (test-probe)',
      'Probe connectivity restored (test-probe)',
    ])
    await h.watcher.stop(1000)
  })

  it('alerts per check when most checks fail but the canary passes (a real outage)', async () => {
    const h = makeHarness(tmp.dir, file(), {HOOK_URL: `${hook.url}/x`})
    await h.clock.advance(15_000)
    for (const s of servers.slice(0, 4)) s.mode = 'fail'
    await h.clock.advance(30_000)
    expect(h.sent().sort()).toEqual(['failing svc-0', 'failing svc-1', 'failing svc-2', 'failing svc-3'])
    expect(h.logs.some((l) => /canary passed/.test(l.msg))).toBe(true)
    await h.watcher.stop(1000)
  })

  it('remembers lost connectivity across a restart and clears it once', async () => {
    const first = makeHarness(tmp.dir, file(), {HOOK_URL: `${hook.url}/x`})
    await first.clock.advance(15_000)
    for (const s of [...servers, canary]) s.mode = 'fail'
    await first.clock.advance(40_000)
    expect(first.sent()).toEqual(['connectivity-lost -'])
    for (const s of [...servers, canary]) s.mode = 'ok'
    const second = first.restart()
    await second.clock.advance(30_000)
    expect(second.sent()).toEqual(['connectivity-lost -', 'connectivity-restored -'])
    await second.watcher.stop(1000)
  })
})
