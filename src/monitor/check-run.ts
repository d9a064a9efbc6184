import type {Dispatcher} from 'undici'

import type {CheckDefinition} from '../catalogue/load.js'
import type {DB} from '../store/db.js'
import {finishRun, startRun, upsertChecks} from '../store/results.js'
import {type CheckResult, type Clock, type Status, STATUSES, systemClock} from '../types.js'
import {ResultWriter} from './result-writer.js'
import {runChecks} from './runner.js'

export interface RunReport {
  runId: number
  startedAt: string
  finishedAt: string
  summary: Record<Status, number>
  results: CheckResult[]
}

export interface ExecuteOptions {
  concurrency?: number
  clock?: Clock
  dispatcher?: Dispatcher
  source?: string
  onResult?: (result: CheckResult, done: number, total: number) => void
  signal?: AbortSignal
}

export function summarise(results: readonly CheckResult[]): Record<Status, number> {
  const summary = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>
  for (const r of results) summary[r.status]++
  return summary
}

/** Runs the given checks once, storing every result as it arrives; the core of `check run`. */
export async function executeRun(db: DB, checks: readonly CheckDefinition[], opts: ExecuteOptions = {}): Promise<RunReport> {
  const clock = opts.clock ?? systemClock
  const started = clock.now()
  const runId = startRun(db, opts.source ?? 'check run', started)
  const refs = upsertChecks(db, checks, started)
  const writer = new ResultWriter(db, refs, runId)
  let done = 0
  let results: CheckResult[]
  try {
    results = await runChecks(checks, {
      concurrency: opts.concurrency,
      clock,
      dispatcher: opts.dispatcher,
      signal: opts.signal,
      onResult: (r) => {
        writer.add(r)
        opts.onResult?.(r, ++done, checks.length)
      },
    })
  } finally {
    writer.flush()
  }
  const finished = clock.now()
  finishRun(db, runId, finished)
  return {runId, startedAt: new Date(started).toISOString(), finishedAt: new Date(finished).toISOString(), summary: summarise(results), results}
}
