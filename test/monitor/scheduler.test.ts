import {describe, expect, it} from 'vitest'

import {cronProblems, CronSchedule, Scheduler} from '../../src/monitor/scheduler.js'
import {FakeClock} from './fake-clock.js'

/** A run that stays in flight until the test releases it (a check that hangs until its timeout). */
function gate() {
  const open: (() => void)[] = []
  return {
    run: () => new Promise<void>((resolve) => open.push(resolve)),
    release() {
      for (const r of open.splice(0)) r()
    },
    get waiting() {
      return open.length
    },
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('Scheduler', () => {
  it('spreads first runs over the stagger and then keeps each interval', async () => {
    const clock = new FakeClock()
    const runs: [string, number][] = []
    const s = new Scheduler({
      host: clock,
      concurrency: 10,
      staggerMs: 10_000,
      async run(id) {
        runs.push([id, clock.monotonic() - 1_000_000])
      },
    })
    s.setJobs(['a', 'b', 'c', 'd'].map((id) => ({id, trigger: {kind: 'interval', everyMs: 20_000}})))
    await clock.advance(30_000)
    expect(runs).toEqual([
      ['a', 0],
      ['b', 2500],
      ['c', 5000],
      ['d', 7500],
      ['a', 20_000],
      ['b', 22_500],
      ['c', 25_000],
      ['d', 27_500],
    ])
    s.stop()
  })

  it('never overlaps a job with itself and bounds how many run at once', async () => {
    const clock = new FakeClock()
    const g = gate()
    const skipped: string[] = []
    let max = 0
    let running = 0
    const s = new Scheduler({
      host: clock,
      concurrency: 2,
      staggerMs: 0,
      onSkip: (id) => skipped.push(id),
      async run() {
        running++
        max = Math.max(max, running)
        await g.run()
        running--
      },
    })
    s.setJobs(['a', 'b', 'c'].map((id) => ({id, trigger: {kind: 'interval', everyMs: 1000}})))
    await clock.advance(0)
    await tick()
    expect(s.running).toBe(2)
    expect(s.queued).toBe(1)
    await clock.advance(3000) // a and b hang: their next turns are skipped; c waits for a slot
    expect(skipped.filter((x) => x === 'a').length).toBe(3)
    expect(skipped.filter((x) => x === 'c').length).toBe(3)
    g.release()
    await tick()
    await tick()
    expect(s.running).toBe(1) // c got the slot
    g.release()
    await s.idle()
    expect(max).toBe(2)
    s.stop()
  })

  it('reports start lag when the pool is saturated', async () => {
    const clock = new FakeClock()
    const lags: number[] = []
    const g = gate()
    const s = new Scheduler({
      host: clock,
      concurrency: 1,
      staggerMs: 0,
      async run(_id, info) {
        lags.push(info.lagMs)
        await g.run()
      },
    })
    s.setJobs([
      {id: 'a', trigger: {kind: 'interval', everyMs: 60_000}},
      {id: 'b', trigger: {kind: 'interval', everyMs: 60_000}},
    ])
    await clock.advance(0)
    await clock.advance(0)
    // b waits behind a for 5 s of fake time.
    clock.jumpWall(0)
    await tickFor(clock, 5000)
    g.release()
    await tick()
    await tick()
    expect(lags[0]).toBe(0)
    expect(lags[1]).toBe(5000)
    g.release()
    s.stop()
  })

  it('fires cron jobs at wall-clock matches in their time zone', async () => {
    // 2026-03-29 is the spring DST change in London: 01:00 GMT becomes 02:00 BST.
    const clock = new FakeClock(Date.UTC(2026, 2, 28, 23, 59, 0))
    const at: string[] = []
    const s = new Scheduler({
      host: clock,
      concurrency: 4,
      async run() {
        at.push(new Date(clock.now()).toISOString())
      },
    })
    s.setJobs([{id: 'nightly', trigger: {kind: 'cron', expression: '30 2 * * *', timezone: 'Europe/London'}}])
    await clock.advance(2 * 86_400_000)
    // From the change on, 02:30 in London is 01:30 UTC (it was 02:30 UTC the day before).
    expect(at.every((t) => t.endsWith('T01:30:00.000Z'))).toBe(true)
    expect(at.length).toBe(2)
    s.stop()
  })

  it('keeps cron jobs on the new wall time after the clock jumps back, and interval jobs at their pace', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 5))
    const cron: number[] = []
    const every: number[] = []
    const s = new Scheduler({
      host: clock,
      concurrency: 4,
      async run(id) {
        ;(id === 'cron' ? cron : every).push(clock.now())
      },
    })
    s.setJobs([
      {id: 'cron', trigger: {kind: 'cron', expression: '0 * * * * *', timezone: 'UTC'}},
      {id: 'every', trigger: {kind: 'interval', everyMs: 30_000}},
    ])
    await clock.advance(120_000)
    expect(cron.length).toBe(2)
    clock.jumpWall(-3_600_000)
    await clock.advance(120_000)
    // Without re-arming on the new time, the cron job would wait an hour.
    expect(cron.length).toBeGreaterThanOrEqual(3)
    expect(new Date(cron.at(-1)!).getUTCHours()).toBe(9)
    expect(every.length).toBe(9) // 0, 30 … 240 s on the monotonic clock, unmoved by the jump
    s.stop()
  })

  it('adds, removes and re-arms jobs when the job list changes', async () => {
    const clock = new FakeClock()
    const runs: string[] = []
    const s = new Scheduler({
      host: clock,
      concurrency: 4,
      staggerMs: 0,
      async run(id) {
        runs.push(id)
      },
    })
    s.setJobs([
      {id: 'a', trigger: {kind: 'interval', everyMs: 10_000}},
      {id: 'b', trigger: {kind: 'interval', everyMs: 10_000}},
    ])
    await clock.advance(5000)
    s.setJobs([
      {id: 'a', trigger: {kind: 'interval', everyMs: 10_000}},
      {id: 'c', trigger: {kind: 'interval', everyMs: 10_000}},
    ])
    await clock.advance(10_000)
    expect(runs).toEqual(['a', 'b', 'c', 'a', 'c']) // c starts when added (5 s), b is gone
    s.stop()
  })
})

async function tickFor(clock: FakeClock, ms: number): Promise<void> {
  await clock.advance(ms)
}

describe('cron expressions', () => {
  it('computes next runs from any instant and validates fields and zones', () => {
    const c = new CronSchedule('*/15 * * * *', 'Europe/London')
    expect(new Date(c.next(Date.UTC(2026, 0, 1, 12, 7, 0))).toISOString()).toBe('2026-01-01T12:15:00.000Z')
    expect(cronProblems('*/15 * * * *', 'Europe/London')).toEqual([])
    expect(cronProblems('61 * * * *', 'Europe/London')[0]).toMatch(/minute/)
    expect(cronProblems('* * * * *', 'Mars/Olympus')[0]).toMatch(/unknown time zone "Mars\/Olympus"/)
  })
})
