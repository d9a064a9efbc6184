import type {CheckDefinition} from '../catalogue/load.js'
import type {Status} from '../types.js'
import type {TimerHost} from './scheduler.js'
import type {CanaryConfig} from './watch-config.js'

export type Connectivity = 'ok' | 'suspect' | 'lost'

export type Disposition = 'feed' | 'hold' | 'drop'

export interface SelfCheckOptions {
  canary?: CanaryConfig
  /** Runs the canary once; true when it passed. */
  runCanary: () => Promise<{passed: boolean; summary: string}>
  host: TimerHost
  /** Connectivity changed: lost (raise one alert) or ok again after lost (clear it). */
  onChange: (
    state: 'lost' | 'restored',
    detail: {summary: string; failing: number; total: number; since: number},
  ) => void
  log?: (level: 'info' | 'warn', message: string) => void
  /** Start in the lost state (it was lost when the previous process stopped). */
  lostSince?: number
}

const bad = (s: Status) => s === 'crit' || s === 'unknown'

/** A canary given as host:port is reached over TCP, with a short timeout. */
export function canaryCheck(target: string): CheckDefinition {
  return {
    id: 'watchkeeper.canary',
    name: 'probe connectivity canary',
    kind: 'tcp',
    target,
    tags: [],
    enabled: true,
    timeoutMs: 5000,
    retries: 1,
    net: {resolve: []},
    spec: {id: 'watchkeeper.canary', kind: 'tcp', target},
    secrets: [],
    source: {file: '(watch.canary)', line: 0, col: 0},
  }
}

/**
 * The monitor's own connectivity check. When most checks fail at once, failed results are held while the
 * canary runs: if the canary fails too, the probe has lost its network, so one "probe connectivity lost"
 * alert is raised and failed results stop counting towards check states until the canary passes again.
 * If the canary passes, the failures are real and the held results are evaluated as usual.
 */
export class SelfCheck {
  private state: Connectivity = 'ok'
  private readonly latestBad = new Map<string, boolean>()
  private held: (() => void)[] = []
  private since = 0
  private retryTimer: unknown
  /** After a passing canary, mass failures are believed until this (monotonic) time. */
  private trustUntil = -Infinity
  private warnedNoCanary = false
  private stopped = false
  private canaryRunning = false

  constructor(private readonly opts: SelfCheckOptions) {
    if (opts.lostSince !== undefined && opts.canary) {
      this.state = 'lost'
      this.since = opts.lostSince
      this.scheduleRetry(0)
    }
  }

  get connectivity(): Connectivity {
    return this.state
  }

  /** Check ids were removed from the catalogue. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) this.latestBad.delete(id)
  }

  private counts(): {failing: number; total: number} {
    let failing = 0
    for (const b of this.latestBad.values()) if (b) failing++
    return {failing, total: this.latestBad.size}
  }

  /** Decides what happens to a result: evaluate it now, hold it for the canary's verdict, or drop it from evaluation. */
  observe(checkId: string, status: Status, feed: () => void): Disposition {
    const isBad = bad(status)
    this.latestBad.set(checkId, isBad)
    if (this.state === 'lost') {
      if (!isBad) {
        feed()
        // A passing check while lost hints the network is back: ask the canary now.
        this.scheduleRetry(0)
        return 'feed'
      }

      return 'drop'
    }

    if (this.state === 'suspect') {
      if (!isBad) {
        feed()
        return 'feed'
      }

      this.held.push(feed)
      return 'hold'
    }

    const {failing, total} = this.counts()
    const c = this.opts.canary
    if (
      isBad &&
      failing >= (c?.minChecks ?? 3) &&
      failing / Math.max(1, total) >= (c?.ratio ?? 0.5) &&
      this.opts.host.monotonic() >= this.trustUntil
    ) {
      if (!c) {
        if (!this.warnedNoCanary)
          this.opts.log?.(
            'warn',
            `${failing} of ${total} checks are failing; no watch.canary is set, so watchkeeper cannot tell whether it lost its own network`,
          )
        this.warnedNoCanary = true
        feed()
        return 'feed'
      }

      this.state = 'suspect'
      this.since = this.opts.host.now()
      this.held.push(feed)
      this.opts.log?.('warn', `${failing} of ${total} checks failing at once; running the canary before alerting`)
      void this.runCanary()
      return 'hold'
    }

    feed()
    return 'feed'
  }

  private async runCanary(): Promise<void> {
    if (this.canaryRunning) return
    this.canaryRunning = true
    let verdict: {passed: boolean; summary: string}
    try {
      verdict = await this.opts.runCanary()
    } catch (error) {
      verdict = {passed: false, summary: error instanceof Error ? error.message : String(error)}
    } finally {
      this.canaryRunning = false
    }

    if (this.stopped) return
    const {failing, total} = this.counts()
    if (verdict.passed) {
      const wasLost = this.state === 'lost'
      this.state = 'ok'
      this.trustUntil = this.opts.host.monotonic() + (this.opts.canary?.everyMs ?? 30_000)
      const held = this.held.splice(0)
      if (wasLost) {
        // Start counting afresh: the failures seen while lost say nothing about the checks.
        this.latestBad.clear()
        this.opts.onChange('restored', {summary: verdict.summary, failing, total, since: this.since})
      } else {
        this.opts.log?.('info', `canary passed (${verdict.summary}): the failures are real`)
      }

      for (const f of held) f()
      return
    }

    if (this.state !== 'lost') {
      this.state = 'lost'
      this.held = []
      this.opts.onChange('lost', {summary: verdict.summary, failing, total, since: this.since})
    }

    this.scheduleRetry(this.opts.canary?.everyMs ?? 30_000)
  }

  private scheduleRetry(ms: number): void {
    if (this.stopped || (this.retryTimer !== undefined && ms > 0)) return
    if (this.retryTimer !== undefined) this.opts.host.clearTimeout(this.retryTimer)
    this.retryTimer = this.opts.host.setTimeout(() => {
      this.retryTimer = undefined
      if (this.state === 'lost') void this.runCanary()
    }, ms)
  }

  stop(): void {
    this.stopped = true
    if (this.retryTimer !== undefined) this.opts.host.clearTimeout(this.retryTimer)
  }
}
