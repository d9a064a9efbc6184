import type {TimerHost} from '../../src/monitor/scheduler.js'

interface Timer {
  id: number
  at: number
  fn: () => void
}

/**
 * A TimerHost whose time moves only when the test says. `advance` fires due timers in order, setting
 * both clocks to each timer's time and awaiting `settle` after each, so real I/O started by a timer
 * (a check against a loopback server) finishes before time moves on.
 */
export class FakeClock implements TimerHost {
  private wall: number
  private mono = 1_000_000
  private timers: Timer[] = []
  private nextId = 1
  private settle: () => Promise<void> = async () => {}

  constructor(start = Date.UTC(2026, 10, 25, 9, 0, 0)) {
    this.wall = start
  }

  settleWith(fn: () => Promise<void>): void {
    this.settle = fn
  }

  now(): number {
    return this.wall
  }

  monotonic(): number {
    return this.mono
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t = {id: this.nextId++, at: this.mono + Math.max(0, ms), fn}
    this.timers.push(t)
    return t.id
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle)
  }

  get pending(): number {
    return this.timers.length
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.mono + ms
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id)
      const t = this.timers[0]
      if (!t || t.at > end) break
      this.timers.shift()
      this.wall += t.at - this.mono
      this.mono = t.at
      t.fn()
      await this.settle()
    }

    this.wall += end - this.mono
    this.mono = end
    await this.settle()
  }

  /** Moves only the wall clock (an NTP step or a wrong clock), as a clock jump does. */
  jumpWall(ms: number): void {
    this.wall += ms
  }
}
