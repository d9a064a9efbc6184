import type {Dispatcher} from 'undici'

import type {CheckDefinition} from '../catalogue/load.js'
import type {Observation} from '../types.js'
import {type CheckResult, type Clock, systemClock} from '../types.js'
import {redact} from '../util/redact.js'
import {sleep} from '../util/sleep.js'
import {attemptHere, type AttemptOutcome} from './attempt.js'
import {type LoopDelayStats, SUSPECT_FLOOR_MS, threadLoop, timingSuspect} from './loop-delay.js'
import {ONE_SHOT_LIMITS, PROBE_THREAD_LIMITS, probeThread, probeThreadAllowed} from './probe-thread.js'

export interface RunnerOptions {
  /** Checks in flight at once (default 16). */
  concurrency?: number
  clock?: Clock
  dispatcher?: Dispatcher
  /** Called as each check finishes (for progress and batched writes). */
  onResult?: (result: CheckResult, check: CheckDefinition) => void
  /** First retry waits this long, then doubles (default 250 ms, capped at 5 s). */
  backoffMs?: number
  /** Stops starting new checks and aborts those in flight. */
  signal?: AbortSignal
  /** Grace after a check's timeout before the runner gives up on a probe that ignores its signal. */
  graceMs?: number
  /**
   * Time light checks on the probe thread (default true; WATCHKEEPER_PROBE_THREAD=0 turns it off).
   * Posture checks and checks given a shared dispatcher always run on the calling thread.
   */
  probeThread?: boolean
}

export const DEFAULT_CONCURRENCY = 16

/** Every spelling of a check's secrets in a result's text becomes ***; see util/redact.ts. */
export {redact} from '../util/redact.js'

/**
 * Kinds whose work is mostly CPU (scoring, a dozen TLS handshakes): they run on the calling thread, so
 * that the probe thread's loop stays free for the checks whose latency is being measured.
 */
function isHeavy(check: CheckDefinition): boolean {
  return (
    check.kind === 'web-security' ||
    (check.kind === 'tls' && check.spec.posture !== undefined && check.spec.posture !== false)
  )
}

const threadEnabled = (opts: RunnerOptions) => opts.probeThread ?? probeThreadAllowed()

/** True when the check's attempts run on the probe thread, false when on the calling (main) thread. */
export function useProbeThread(check: CheckDefinition, opts: RunnerOptions): boolean {
  return !opts.dispatcher && !isHeavy(check) && threadEnabled(opts)
}

/**
 * Starts the probe thread now, so that its start-up overlaps the caller's (loading the catalogue). `oneShot`
 * (check run) gives it V8's default young generation instead of watch's small one.
 */
export function prestartProbeThread(opts: RunnerOptions = {}, oneShot = false): void {
  if (threadEnabled(opts)) probeThread.prestart(oneShot ? ONE_SHOT_LIMITS : PROBE_THREAD_LIMITS)
}

function attempt(check: CheckDefinition, opts: RunnerOptions): Promise<AttemptOutcome> {
  const clock = opts.clock ?? systemClock
  const req = {
    kind: check.kind,
    target: check.spec.target as string,
    spec: check.spec,
    net: check.net,
    timeoutMs: check.timeoutMs,
  }
  if (useProbeThread(check, opts)) return probeThread.run(req, clock.now(), opts.signal, opts.graceMs)
  return attemptHere(req, {clock, signal: opts.signal, dispatcher: opts.dispatcher, graceMs: opts.graceMs})
}

/**
 * A timeout during which the timing thread's loop was blocked for a quarter of the timeout or more:
 * the network may not have been slow at all.
 */
function blockedTimeout(out: AttemptOutcome, timeoutMs: number): boolean {
  return out.timedOut && out.loopDelayMs >= Math.max(SUSPECT_FLOOR_MS, timeoutMs / 4)
}

const round1 = (v: number) => Math.round(v * 10) / 10

/**
 * Runs one check with its retries; never throws. A timeout the loop's own stall may explain is re-checked
 * once at once (not counted against `retries`); timed out again the same way, the result is unknown.
 */
export async function runCheck(check: CheckDefinition, opts: RunnerOptions = {}): Promise<CheckResult> {
  const clock = opts.clock ?? systemClock
  const base = opts.backoffMs ?? 250
  let out: AttemptOutcome | undefined
  let startedAt = clock.now()
  let tries = 0
  let rechecked = false
  for (let i = 0; i <= check.retries; i++) {
    if (i > 0) await sleep(Math.min(5000, base * 2 ** (i - 1)) * (0.75 + Math.random() * 0.5), opts.signal)
    if (opts.signal?.aborted && out) break
    startedAt = clock.now()
    tries++
    out = await attempt(check, opts)
    if (blockedTimeout(out, check.timeoutMs) && !rechecked && !opts.signal?.aborted) {
      rechecked = true
      i--
      continue
    }

    if (out.obs.status === 'ok' || out.obs.status === 'warn') break
  }

  const done = out
  if (!done) throw new Error(`check ${check.id} made no attempt`)
  let o: Observation = done.obs
  if (blockedTimeout(done, check.timeoutMs)) {
    o = {
      ...o,
      status: 'unknown',
      summary: `${o.summary}, but the event loop was blocked for ${Math.round(done.loopDelayMs)} ms of it (re-checked once): the network's time is not known`,
    }
  }

  const totalMs = o.timings.totalMs ?? 0
  const timings: Record<string, number> = {}
  for (const [k, v] of Object.entries(o.timings)) if (v !== undefined) timings[k] = round1(v)
  timings.totalMs = round1(totalMs)
  const suspect = timingSuspect(done.loopDelayMs, totalMs)
  return redact(
    {
      checkId: check.id,
      kind: check.kind,
      target: check.target,
      ...(check.service ? {service: check.service} : {}),
      status: o.status,
      summary: o.summary,
      startedAt,
      durationMs: round1(totalMs),
      attempts: tries,
      timings,
      ...(done.loopDelayMs >= 1 ? {loopDelayMs: Math.round(done.loopDelayMs)} : {}),
      ...(suspect ? {timingSuspect: true as const} : {}),
      findings: o.findings,
      metrics: o.metrics,
      ...(o.details && Object.keys(o.details).length > 0 ? {details: o.details} : {}),
      ...(o.thresholds ? {thresholds: o.thresholds} : {}),
    },
    check.secrets,
  )
}

/** Event-loop delay of the main thread and, once it has run checks, the probe thread. */
export interface LoopDelayReport {
  main: LoopDelayStats
  probeThread?: LoopDelayStats
}

/** Has the probe thread publish its figures now (they are otherwise up to 250 ms old). */
export function refreshLoopDelay(): Promise<void> {
  return probeThread.refreshLoopDelay()
}

/** The figures since the last resetLoopDelay() (for watch's metrics: read at any time, no I/O). */
export function loopDelayNow(): LoopDelayReport {
  return {main: threadLoop.stats(), ...(probeThread.started ? {probeThread: probeThread.loopDelay()} : {})}
}

/** Starts the main thread's loop monitor (idempotent) and zeroes both threads' figures. */
let mainMonitored = false
export function resetLoopDelay(): void {
  if (!mainMonitored) threadLoop.start()
  mainMonitored = true
  threadLoop.reset()
  probeThread.resetLoopDelay()
}

/** Runs checks through a bounded pool; results come back in the order of `checks`. */
export async function runChecks(checks: readonly CheckDefinition[], opts: RunnerOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = new Array(checks.length)
  let next = 0
  const limit = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, checks.length || 1))
  const worker = async () => {
    while (next < checks.length) {
      if (opts.signal?.aborted) return
      const i = next++
      const result = await runCheck(checks[i], opts)
      results[i] = result
      opts.onResult?.(result, checks[i])
    }
  }

  await Promise.all(Array.from({length: limit}, worker))
  return results.filter(Boolean)
}
