import type {Dispatcher} from 'undici'

import type {NetOptions} from '../probes/types.js'
import type {Clock, Observation} from '../types.js'
import {loadProbe} from '../probes/load.js'
import {threadLoop} from './loop-delay.js'

/** What one attempt needs: plain data, so that it can be sent to a probe thread. */
export interface AttemptRequest {
  kind: string
  target: string
  spec: Record<string, unknown>
  net: NetOptions
  timeoutMs: number
}

export interface AttemptOutcome {
  obs: Observation
  /** Milliseconds the loop of the thread that ran the attempt was blocked during it. */
  loopDelayMs: number
  /** The check's own timeout passed (the probe reported it, or the runner's deadline did). */
  timedOut: boolean
  /** Which thread timed it: 'main', or 'probe' for the probe thread. */
  thread: 'main' | 'probe'
}

export interface AttemptOptions {
  clock: Clock
  signal?: AbortSignal
  dispatcher?: Dispatcher
  /** Grace after the timeout before giving up on a probe that ignores its signal (default 1 s). */
  graceMs?: number
  thread?: 'main' | 'probe'
}

const empty = (status: Observation['status'], summary: string, totalMs: number): Observation => ({
  status,
  summary,
  timings: {totalMs},
  findings: [],
  metrics: {},
})

function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && error.message !== undefined)
    return String(error.message)
  return String(error)
}

/** Runs one attempt in this thread; never throws. */
export async function attemptHere(req: AttemptRequest, opts: AttemptOptions): Promise<AttemptOutcome> {
  // A kind's probe loads on its first attempt (commands that never probe, and kinds never run, cost nothing).
  const thread = opts.thread ?? 'main'
  const probe = await loadProbe(req.kind)
  if (!probe)
    return {obs: empty('unknown', `no probe for kind ${req.kind}`, 0), loopDelayMs: 0, timedOut: false, thread}
  threadLoop.start()
  // One timer per attempt: the timeout aborts the probe's signal, then waits a grace for a probe that ignores it.
  const ac = new AbortController()
  const {signal} = ac
  const onOuterAbort = () => ac.abort(opts.signal?.reason)
  if (opts.signal?.aborted) onOuterAbort()
  else opts.signal?.addEventListener('abort', onOuterAbort, {once: true})
  let timedOut = false
  const started = performance.now()
  const loopDelay = () => threadLoop.stalledBetween(started)
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<Observation>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true
      ac.abort(new DOMException(`The operation was aborted due to timeout`, 'TimeoutError'))
      timer = setTimeout(
        () => resolve(empty('crit', `timed out after ${req.timeoutMs} ms`, performance.now() - started)),
        opts.graceMs ?? 1000,
      )
      timer.unref()
    }, req.timeoutMs)
    timer.unref()
  })
  let obs: Observation
  try {
    obs = await Promise.race([
      probe.run(req.target, req.spec, {
        clock: opts.clock,
        signal,
        timeoutMs: req.timeoutMs,
        net: req.net,
        dispatcher: opts.dispatcher,
        loopDelay,
      }),
      deadline,
    ])
  } catch (error) {
    obs = timedOut
      ? empty('crit', `timed out after ${req.timeoutMs} ms`, performance.now() - started)
      : empty('unknown', `probe failed: ${messageOf(error)}`.split('\n')[0], performance.now() - started)
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onOuterAbort)
    threadLoop.stop()
  }

  return {obs, loopDelayMs: threadLoop.stalledBetween(started), timedOut: timedOut && obs.status === 'crit', thread}
}
