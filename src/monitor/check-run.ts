import type {Dispatcher} from 'undici'

import type {CheckDefinition} from '../catalogue/load.js'
import type {DB} from '../store/db.js'
import type {LoopDelayStats} from './loop-delay.js'
import {prepareStore, storeRun, type Vantage} from '../store/results.js'
import {type CheckResult, type Clock, type Status, systemClock} from '../types.js'
import {loopDelayNow, refreshLoopDelay, resetLoopDelay, runChecks, useProbeThread} from './runner.js'

/** The run's own event-loop delay: the main thread's, the probe thread's, and how many results say their timing is suspect. */
export interface RunLoopDelay extends LoopDelayStats {
  probeThread?: LoopDelayStats
  suspectChecks: number
}

export interface RunReport {
  runId: number
  startedAt: string
  finishedAt: string
  summary: Record<Status, number>
  loopDelay: RunLoopDelay
  results: CheckResult[]
}

export interface ExecuteOptions {
  concurrency?: number
  clock?: Clock
  dispatcher?: Dispatcher
  source?: string
  onResult?: (result: CheckResult, done: number, total: number) => void
  signal?: AbortSignal
  /** Where this run probes from (--vantage), stamped on each stored result. */
  vantage?: Vantage
}

export function summarise(results: readonly CheckResult[]): Record<Status, number> {
  const summary: Record<Status, number> = {ok: 0, warn: 0, crit: 0, unknown: 0}
  for (const r of results) summary[r.status]++
  return summary
}

/**
 * Runs the given checks once, then stores the whole run in one transaction (waiting for a lock another
 * process holds, up to the connection's lock timeout); the core of `check run`. A run that cannot be
 * stored leaves nothing behind (StoreBusyError).
 */
export async function executeRun(
  db: DB,
  checks: readonly CheckDefinition[],
  opts: ExecuteOptions = {},
): Promise<RunReport> {
  const clock = opts.clock ?? systemClock
  const started = clock.now()
  resetLoopDelay()
  let done = 0
  const running = runChecks(checks, {
    concurrency: opts.concurrency,
    clock,
    dispatcher: opts.dispatcher,
    signal: opts.signal,
    onResult: (r) => opts.onResult?.(r, ++done, checks.length),
  })
  // When every check is timed on the probe thread, this thread readies the store while they run (not when
  // some are timed here: that work would hold them up).
  const ready = checks.every((c) => useProbeThread(c, {dispatcher: opts.dispatcher}))
    ? setTimeout(() => {
        try {
          prepareStore(db)
        } catch {
          // Only a head start: storeRun prepares what it needs and reports what fails.
        }
      }, 0)
    : undefined
  const results = await running.finally(() => clearTimeout(ready))
  const finished = clock.now()
  await refreshLoopDelay()
  const loop = loopDelayNow()
  const loopDelay: RunLoopDelay = {
    ...loop.main,
    ...(loop.probeThread ? {probeThread: loop.probeThread} : {}),
    suspectChecks: results.filter((r) => r.timingSuspect).length,
  }
  const runId = storeRun(db, {
    source: opts.source ?? 'check run',
    startedAt: started,
    finishedAt: finished,
    checks,
    results,
    vantage: opts.vantage,
  })
  return {
    runId,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    summary: summarise(results),
    loopDelay,
    results,
  }
}
