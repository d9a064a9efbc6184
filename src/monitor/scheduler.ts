import {createTask, type Logger as CronLogger, setLogger, validateDetailed} from 'node-cron'

import type {Clock} from '../types.js'
import {isTimeZone} from './maintenance.js'

/** Wall clock plus monotonic time and timers, injected so tests can drive the scheduler with a fake clock. */
export interface TimerHost extends Clock {
  /** Milliseconds that only go forward (performance.now() in production); immune to wall-clock jumps. */
  monotonic(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemTimers: TimerHost = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, Math.min(ms, 2_147_000_000))),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

const silentCronLogger: CronLogger = {info() {}, warn() {}, error() {}, debug() {}}

/** node-cron logs overlap and missed-run warnings of its own to the console; watchkeeper logs for itself. */
export function silenceCronLogger(): void {
  setLogger(silentCronLogger)
}

interface TimeMatcher {
  getNextMatch(date: Date): Date
}

/** A cron expression (node-cron syntax) in a time zone; computes next fire times from any instant. */
export class CronSchedule {
  private readonly matcher: TimeMatcher

  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    const task = createTask(expression, () => undefined, {timezone, logger: silentCronLogger})
    // node-cron 4 keeps its matcher on the task; it answers "next match after t" for any t, not only now.
    this.matcher = (task as unknown as {timeMatcher: TimeMatcher}).timeMatcher
    void task.destroy()
    if (typeof this.matcher?.getNextMatch !== 'function')
      throw new Error('node-cron has no time matcher (the version is not 4.x)')
  }

  /** The first fire time strictly after `after` (epoch ms). */
  next(after: number): number {
    return this.matcher.getNextMatch(new Date(after)).getTime()
  }
}

/** Problems with a cron expression or zone, as messages; empty when valid. */
export function cronProblems(expression: string, timezone: string): string[] {
  const out: string[] = []
  const v = validateDetailed(expression)
  if (!v.valid) out.push(...v.errors.map((e) => `${e.field}: ${e.message}`))
  if (!isTimeZone(timezone)) out.push(`unknown time zone "${timezone}" (expected an IANA name such as Europe/London)`)
  return out
}

export type Trigger = {kind: 'interval'; everyMs: number} | {kind: 'cron'; expression: string; timezone: string}

export interface Job {
  id: string
  trigger: Trigger
}

export interface RunInfo {
  /** When the run was due (wall ms). */
  dueAt: number
  /** How late it started: queue wait for a pool slot plus timer lateness (ms). */
  lagMs: number
}

export interface SchedulerOptions {
  host?: TimerHost
  /** Runs in flight at once. */
  concurrency: number
  /** First runs of interval jobs are spread over at most this long. */
  staggerMs?: number
  /** Runs one job; must not throw (errors are reported through onError). */
  run: (id: string, info: RunInfo) => Promise<void>
  onError?: (id: string, error: unknown) => void
  /** A due run was dropped because the previous one of the same job was still running or queued. */
  onSkip?: (id: string) => void
}

interface JobState {
  job: Job
  cron?: CronSchedule
  timer?: unknown
  /** Wall time the next run is due. */
  dueAt: number
  /** Monotonic time the next interval run is due. */
  dueMono: number
  busy: boolean
  removed: boolean
}

/** Longest single timer wait; cron waits are re-armed in slices so a wall-clock jump is noticed. */
const MAX_WAIT_MS = 60_000

/**
 * Runs each job on its trigger, never overlapping a job with itself, with a bounded number in flight.
 * Interval jobs keep a fixed rate on the monotonic clock (a run that overruns delays the next, never
 * doubles it); cron jobs fire at their next wall-clock match.
 */
export class Scheduler {
  private readonly host: TimerHost
  private readonly jobs = new Map<string, JobState>()
  private readonly queue: {state: JobState; dueAt: number; queuedMono: number; lateMs: number}[] = []
  private inFlight = 0
  private stopped = false
  private readonly waiters: (() => void)[] = []

  constructor(private readonly opts: SchedulerOptions) {
    this.host = opts.host ?? systemTimers
  }

  get running(): number {
    return this.inFlight
  }

  get queued(): number {
    return this.queue.length
  }

  /** Replaces the job list: new jobs start (staggered), removed ones stop, changed triggers re-arm. */
  setJobs(jobs: readonly Job[]): void {
    const wanted = new Map(jobs.map((j) => [j.id, j]))
    for (const [id, st] of this.jobs) {
      if (!wanted.has(id)) {
        this.host.clearTimeout(st.timer)
        st.removed = true
        this.jobs.delete(id)
      }
    }

    const fresh: JobState[] = []
    for (const job of jobs) {
      const st = this.jobs.get(job.id)
      if (st && sameTrigger(st.job.trigger, job.trigger)) {
        st.job = job
        continue
      }

      if (st) {
        this.host.clearTimeout(st.timer)
        st.removed = true
      }

      const next: JobState = {job, dueAt: 0, dueMono: 0, busy: st?.busy ?? false, removed: false}
      if (job.trigger.kind === 'cron') next.cron = new CronSchedule(job.trigger.expression, job.trigger.timezone)
      this.jobs.set(job.id, next)
      fresh.push(next)
    }

    if (this.stopped) return
    const intervals = fresh.filter((s) => s.job.trigger.kind === 'interval')
    for (const [i, st] of intervals.entries()) {
      const every = (st.job.trigger as {everyMs: number}).everyMs
      const spread = Math.min(every, this.opts.staggerMs ?? 60_000)
      const offset = intervals.length > 1 ? Math.floor((i / intervals.length) * spread) : 0
      st.dueMono = this.host.monotonic() + offset
      st.dueAt = this.host.now() + offset
      this.armInterval(st)
    }

    for (const st of fresh.filter((s) => s.cron)) this.armCron(st)
  }

  /** When each job runs next (wall ms), for logs and status. */
  nextRuns(): Map<string, number> {
    return new Map([...this.jobs].map(([id, st]) => [id, st.dueAt]))
  }

  private armInterval(st: JobState): void {
    const wait = Math.max(0, st.dueMono - this.host.monotonic())
    st.timer = this.host.setTimeout(
      () => this.fire(st, st.dueAt, Math.max(0, this.host.monotonic() - st.dueMono)),
      wait,
    )
  }

  private armCron(st: JobState, from = this.host.now()): void {
    st.dueAt = st.cron!.next(from)
    this.waitCron(st)
  }

  private waitCron(st: JobState): void {
    const wait = st.dueAt - this.host.now()
    st.timer = this.host.setTimeout(
      () => {
        if (st.removed || this.stopped) return
        const now = this.host.now()
        if (now < st.dueAt) {
          // Woke early: a slice of a long wait, or the wall clock went back (then an earlier match is next).
          st.dueAt = Math.min(st.dueAt, st.cron!.next(now))
          this.waitCron(st)
          return
        }

        this.fire(st, st.dueAt, now - st.dueAt)
      },
      Math.max(0, Math.min(wait, MAX_WAIT_MS)),
    )
  }

  private fire(st: JobState, dueAt: number, lateMs: number): void {
    if (st.removed || this.stopped) return
    if (st.busy) {
      this.opts.onSkip?.(st.job.id)
    } else {
      st.busy = true
      this.queue.push({state: st, dueAt, queuedMono: this.host.monotonic(), lateMs})
      this.pump()
    }

    this.rearm(st)
  }

  private rearm(st: JobState): void {
    if (st.removed || this.stopped) return
    if (st.cron) {
      this.armCron(st, Math.max(this.host.now(), st.dueAt))
      return
    }

    const every = (st.job.trigger as {everyMs: number}).everyMs
    const mono = this.host.monotonic()
    st.dueMono += every
    // Far behind (a long stall or a suspended machine): skip the missed runs rather than burst them.
    if (st.dueMono < mono) st.dueMono = mono + every - ((mono - st.dueMono) % every)
    st.dueAt = this.host.now() + (st.dueMono - mono)
    this.armInterval(st)
  }

  private pump(): void {
    while (this.inFlight < this.opts.concurrency && this.queue.length > 0) {
      const item = this.queue.shift()!
      const st = item.state
      if (st.removed && this.stopped) {
        st.busy = false
        continue
      }

      this.inFlight++
      const lagMs = item.lateMs + (this.host.monotonic() - item.queuedMono)
      void (async () => {
        try {
          await this.opts.run(st.job.id, {dueAt: item.dueAt, lagMs})
        } catch (error) {
          this.opts.onError?.(st.job.id, error)
        } finally {
          st.busy = false
          this.inFlight--
          if (!this.stopped) this.pump()
          if (this.inFlight === 0 && (this.queue.length === 0 || this.stopped))
            for (const w of this.waiters.splice(0)) w()
        }
      })()
    }
  }

  /** Resolves when nothing is running or queued (after stop(): when in-flight runs end). */
  idle(): Promise<void> {
    if (this.inFlight === 0 && (this.queue.length === 0 || this.stopped)) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Stops firing and drops queued runs; runs in flight continue (await idle() for them). */
  stop(): void {
    this.stopped = true
    for (const st of this.jobs.values()) this.host.clearTimeout(st.timer)
    for (const item of this.queue.splice(0)) item.state.busy = false
    if (this.inFlight === 0) for (const w of this.waiters.splice(0)) w()
  }
}

function sameTrigger(a: Trigger, b: Trigger): boolean {
  if (a.kind === 'interval' && b.kind === 'interval') return a.everyMs === b.everyMs
  if (a.kind === 'cron' && b.kind === 'cron') return a.expression === b.expression && a.timezone === b.timezone
  return false
}
