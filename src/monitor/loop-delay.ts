import {type IntervalHistogram, monitorEventLoopDelay} from 'node:perf_hooks'

/**
 * Event-loop delay of one thread: a histogram for the run's figures (perf_hooks) and a ring of recent
 * stalls, so that an attempt can ask how long the loop that timed it was blocked while it ran.
 *
 * A tick every TICK_MS that arrives late by more than SLACK_MS (timer and scheduler noise stay under it)
 * records a stall [due, arrived]. A stall
 * still in progress (the caller itself ran late) counts up to now, so the answer never waits for the
 * next tick.
 */

const TICK_MS = 10
const SLACK_MS = 10
const RING = 1024

export interface LoopDelayStats {
  /** 99th percentile of the loop's delay, ms. */
  p99Ms: number
  maxMs: number
  meanMs: number
}

export class LoopMonitor {
  private readonly hist: IntervalHistogram
  private readonly starts = new Float64Array(RING)
  private readonly ends = new Float64Array(RING)
  private count = 0
  private lastTick = performance.now()
  private timer: NodeJS.Timeout | undefined
  private users = 0

  constructor() {
    this.hist = monitorEventLoopDelay({resolution: TICK_MS})
  }

  /** Starts sampling (counted: each start needs a stop). */
  start(): void {
    if (this.users++ > 0) return
    this.hist.enable()
    this.lastTick = performance.now()
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.timer.unref()
  }

  stop(): void {
    if (this.users === 0 || --this.users > 0) return
    clearInterval(this.timer)
    this.timer = undefined
    this.hist.disable()
  }

  private tick(): void {
    const now = performance.now()
    const due = this.lastTick + TICK_MS
    if (now - due > SLACK_MS) {
      const i = this.count++ % RING
      this.starts[i] = due
      this.ends[i] = now
    }

    this.lastTick = now
  }

  /** Milliseconds of [from, to] during which this thread's loop was stalled (to defaults to now). */
  stalledBetween(from: number, to: number = performance.now()): number {
    let total = 0
    const n = Math.min(this.count, RING)
    for (let k = 0; k < n; k++) {
      const i = (this.count - 1 - k) % RING
      const end = this.ends[i]
      if (end <= from) break
      total += Math.max(0, Math.min(end, to) - Math.max(this.starts[i], from))
    }

    // A stall the sampler has not seen yet: no tick since lastTick + TICK_MS.
    if (this.timer) {
      const due = this.lastTick + TICK_MS
      if (to - due > SLACK_MS) total += Math.max(0, to - Math.max(due, from))
    }

    return total
  }

  /** The histogram's figures since the last reset (zeros before any sample), with a stall still in progress in the max. */
  stats(): LoopDelayStats {
    const h = this.hist
    const late = this.timer ? performance.now() - (this.lastTick + TICK_MS) : 0
    const pending = late > SLACK_MS ? late : 0
    if (h.count === 0) return {p99Ms: 0, maxMs: Math.round(pending * 10) / 10, meanMs: 0}
    const ms = (ns: number) => Math.round(ns / 1e5) / 10
    return {p99Ms: ms(h.percentile(99)), maxMs: Math.max(ms(h.max), Math.round(pending * 10) / 10), meanMs: ms(h.mean)}
  }

  reset(): void {
    this.hist.reset()
  }
}

/** This thread's monitor (the main thread's in the CLI; each probe thread has its own). */
export const threadLoop = new LoopMonitor()

/**
 * Whether a timing may be polluted: the loop that took it was blocked for at least 20 ms and for at
 * least a tenth of the time measured.
 */
export const SUSPECT_FLOOR_MS = 20
export function timingSuspect(loopDelayMs: number, measuredMs: number): boolean {
  return loopDelayMs >= SUSPECT_FLOOR_MS && loopDelayMs >= 0.1 * measuredMs
}
