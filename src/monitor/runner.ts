import type {Dispatcher} from 'undici'

import type {CheckDefinition} from '../catalogue/load.js'
import {probeFor} from '../probes/index.js'
import type {Observation} from '../types.js'
import {type CheckResult, type Clock, systemClock} from '../types.js'
import {redact} from '../util/redact.js'
import {sleep} from '../util/sleep.js'

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
}

export const DEFAULT_CONCURRENCY = 16

/** Every spelling of a check's secrets in a result's text becomes ***; see util/redact.ts. */
export {redact} from '../util/redact.js'

async function attempt(check: CheckDefinition, opts: RunnerOptions): Promise<Observation> {
  const probe = probeFor(check.kind)
  if (!probe) return {status: 'unknown', summary: `no probe for kind ${check.kind}`, timings: {}, findings: [], metrics: {}}
  const timeout = AbortSignal.timeout(check.timeoutMs)
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  // A probe must honour its signal; this deadline only guards against one that does not.
  const deadline = new Promise<Observation>((resolve) => {
    timer = setTimeout(() => resolve({status: 'crit', summary: `timed out after ${check.timeoutMs} ms`,
      timings: {totalMs: performance.now() - started}, findings: [], metrics: {}}), check.timeoutMs + (opts.graceMs ?? 1000))
    timer.unref()
  })
  try {
    const obs = await Promise.race([
      probe.run(check.spec.target as string, check.spec, {clock: opts.clock ?? systemClock, signal, timeoutMs: check.timeoutMs, net: check.net, dispatcher: opts.dispatcher}),
      deadline,
    ])
    return obs
  } catch (error) {
    if (timeout.aborted) {
      return {status: 'crit', summary: `timed out after ${check.timeoutMs} ms`, timings: {totalMs: performance.now() - started}, findings: [], metrics: {}}
    }
    return {status: 'unknown', summary: `probe failed: ${(error as Error).message ?? String(error)}`.split('\n')[0],
      timings: {totalMs: performance.now() - started}, findings: [], metrics: {}}
  } finally {
    clearTimeout(timer)
  }
}

/** Runs one check with its retries; never throws. */
export async function runCheck(check: CheckDefinition, opts: RunnerOptions = {}): Promise<CheckResult> {
  const clock = opts.clock ?? systemClock
  const base = opts.backoffMs ?? 250
  let obs: Observation | undefined
  let startedAt = clock.now()
  let tries = 0
  for (let i = 0; i <= check.retries; i++) {
    if (i > 0) await sleep(Math.min(5000, base * 2 ** (i - 1)) * (0.75 + Math.random() * 0.5), opts.signal)
    if (opts.signal?.aborted && obs) break
    startedAt = clock.now()
    tries++
    obs = await attempt(check, opts)
    if (obs.status === 'ok' || obs.status === 'warn') break
  }
  const o = obs as Observation
  const totalMs = o.timings.totalMs ?? 0
  return redact({
    checkId: check.id,
    kind: check.kind,
    target: check.target,
    ...(check.service ? {service: check.service} : {}),
    status: o.status,
    summary: o.summary,
    startedAt,
    durationMs: Math.round(totalMs * 10) / 10,
    attempts: tries,
    timings: Object.fromEntries(Object.entries({...o.timings, totalMs}).map(([k, v]) => [k, Math.round((v as number) * 10) / 10])),
    findings: o.findings,
    metrics: o.metrics,
    ...(o.details && Object.keys(o.details).length > 0 ? {details: o.details} : {}),
    ...(o.thresholds ? {thresholds: o.thresholds} : {}),
  }, check.secrets)
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
