import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {tmpDir} from '../helpers/cli.js'
import {makeHarness, toggleServer, writeCatalogue} from './harness.js'

type Srv = Awaited<ReturnType<typeof toggleServer>>

let tmp: {dir: string; cleanup: () => void}
let api: Srv

beforeEach(async () => {
  tmp = tmpDir('wk-footprint-')
  api = await toggleServer()
})

afterEach(async () => {
  await api.close()
  tmp.cleanup()
})

function catalogue(n: number): string {
  const checks = Array.from(
    {length: n},
    (_, i) => `  - {id: c${i}, kind: http, service: svc${i % 3}, target: "${api.url}/c/${i}"}`,
  )
  return writeCatalogue(
    tmp.dir,
    `defaults:\n  interval: 10s\n  timeout: 2s\nwatch:\n  stagger: 10s\nchecks:\n${checks.join('\n')}\n`,
  )
}

/** Composite signals Node keeps on a signal for AbortSignal.any (a WeakRef each). */
function dependants(signal: AbortSignal): number {
  const sym = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals')
  return sym ? ((signal as unknown as Record<symbol, Set<unknown> | undefined>)[sym]?.size ?? 0) : 0
}

/** Series per metric name in an exposition. */
function seriesCounts(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const m = /^(probe_[a-z_]+|watchkeeper_check_[a-z_]+)\{/.exec(line)
    if (m) out[m[1]] = (out[m[1]] ?? 0) + 1
  }

  return out
}

describe('a long watch holds a bounded footprint (fake clock, loopback server)', () => {
  it('keeps the same number of entries, series and timers from round 5 to round 30', async () => {
    const h = makeHarness(tmp.dir, catalogue(6), {})
    const {abort} = h.watcher as unknown as {abort: AbortController}
    await h.clock.advance(50_000)
    const early = {
      footprint: h.watcher.footprint(),
      series: seriesCounts(await h.metrics.text()),
      tracked: h.metrics.trackedChecks,
      timers: h.clock.pending,
    }
    expect(early.footprint).toMatchObject({checks: 6, states: 6, runs: 0, tracked: 0, pendingEvents: 0, dirty: 0})
    expect(early.series.probe_success).toBe(6)
    await h.clock.advance(250_000) // 25 more rounds
    const late = {
      footprint: h.watcher.footprint(),
      series: seriesCounts(await h.metrics.text()),
      tracked: h.metrics.trackedChecks,
      timers: h.clock.pending,
    }
    expect(late).toEqual(early)
    expect(h.events().length).toBe(0)
    // Every run had its own signal: nothing piles up on the watcher's lifelong one.
    expect(dependants(abort.signal)).toBe(0)
    expect(api.hits).toBeGreaterThanOrEqual(6 * 29)
    await h.watcher.stop(1000)
    expect(h.watcher.footprint().timers).toBe(0)
  }, 120_000)

  it('frees the series of checks removed on reload and keeps the rest', async () => {
    const file = catalogue(6)
    const h = makeHarness(tmp.dir, file, {})
    await h.clock.advance(20_000)
    expect(h.metrics.trackedChecks).toEqual({results: 6, states: 6})
    catalogue(2)
    expect(h.watcher.reload().ok).toBe(true)
    const text = await h.metrics.text()
    expect(h.metrics.trackedChecks).toEqual({results: 2, states: 2})
    expect(seriesCounts(text)).toMatchObject({
      probe_success: 2,
      probe_duration_seconds: 2,
      watchkeeper_check_state: 8,
      watchkeeper_check_flapping: 2,
    })
    expect(text).not.toMatch(/check="c[2-5]"/)
    await h.clock.advance(20_000)
    expect(seriesCounts(await h.metrics.text()).probe_success).toBe(2)
    expect(h.watcher.footprint()).toMatchObject({checks: 2, runs: 0, tracked: 0})
    await h.watcher.stop(1000)
  })
})
