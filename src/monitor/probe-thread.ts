import {type ResourceLimits, Worker} from 'node:worker_threads'

import type {AttemptOutcome, AttemptRequest} from './attempt.js'
import type {LoopDelayStats} from './loop-delay.js'
import {reassertHeapShape} from './watch-heap.js'

/**
 * The probe thread's heap: its work is a few dozen requests in flight, whose objects die young, so a small
 * young generation (3 × the semi-space in V8's sizing) is enough; V8's default lets it grow to 48 MiB.
 */
export const PROBE_THREAD_LIMITS: ResourceLimits = {maxYoungGenerationSizeMb: 6}

/**
 * A one-shot run's probe thread (check run): V8's default young generation. The process ends with the run,
 * and a thousand checks in a 6 MiB young generation spend about a sixth of the thread's CPU in scavenges.
 */
export const ONE_SHOT_LIMITS: ResourceLimits = {}

interface Pending {
  resolve: (out: AttemptOutcome) => void
  timer: NodeJS.Timeout
  onAbort?: () => void
  signal?: AbortSignal
}

/**
 * The main thread's handle on the probe thread (probe-worker.ts): started on first use, held open only
 * while attempts are in flight, restarted after a crash. Under tsx or vitest (TypeScript sources) the
 * worker registers tsx before loading its module.
 */
export class ProbeThread {
  private worker: Worker | undefined
  private seq = 0
  private readonly pending = new Map<number, Pending>()
  private readonly stats = new SharedArrayBuffer(4 * 8)
  private readonly view = new Float64Array(this.stats)
  private readonly acks = new Map<number, () => void>()
  private limits = PROBE_THREAD_LIMITS

  private start(): Worker {
    if (this.worker) return this.worker
    this.view[3] = Number.NaN
    const url = new URL(import.meta.url.endsWith('.ts') ? './probe-worker.ts' : './probe-worker.js', import.meta.url)
    const w = url.pathname.endsWith('.ts')
      ? new Worker(
          `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(url.href)}) })`,
          {eval: true, workerData: {stats: this.stats}, resourceLimits: this.limits},
        )
      : new Worker(url, {workerData: {stats: this.stats}, resourceLimits: this.limits})
    // A new thread puts V8's flags back to their start values (see watch-heap.ts).
    w.once('online', reassertHeapShape)
    w.on('message', (batch: {id: number; out: AttemptOutcome | null}[]) => {
      for (const m of batch) {
        if (m.out) this.settle(m.id, m.out)
        else this.acks.get(m.id)?.()
      }
    })
    const fail = (why: string) => {
      if (this.worker === w) this.worker = undefined
      for (const id of this.pending.keys()) {
        this.settle(id, {
          obs: {status: 'unknown', summary: `probe thread stopped: ${why}`, timings: {}, findings: [], metrics: {}},
          loopDelayMs: 0,
          timedOut: false,
          thread: 'probe',
        })
      }
    }

    w.on('error', (error) => fail(error.message))
    w.on('exit', (code) => fail(`exit code ${code}`))
    w.unref()
    this.worker = w
    return w
  }

  private settle(id: number, out: AttemptOutcome): void {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    clearTimeout(p.timer)
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort)
    if (this.pending.size === 0) this.worker?.unref()
    p.resolve(out)
  }

  /** Runs one attempt on the probe thread; never throws. `now` is the caller's clock reading. */
  run(req: AttemptRequest, now: number, signal?: AbortSignal, graceMs = 1000): Promise<AttemptOutcome> {
    const w = this.start()
    const id = ++this.seq
    return new Promise<AttemptOutcome>((resolve) => {
      // The thread keeps its own deadline; this one only covers a thread that stopped answering.
      const timer = setTimeout(
        () =>
          this.settle(id, {
            obs: {
              status: 'unknown',
              summary: `no answer from the probe thread within ${req.timeoutMs + graceMs + 2000} ms`,
              timings: {},
              findings: [],
              metrics: {},
            },
            loopDelayMs: 0,
            timedOut: false,
            thread: 'probe',
          }),
        req.timeoutMs + graceMs + 2000,
      )
      timer.unref()
      const p: Pending = {resolve, timer}
      if (signal) {
        p.signal = signal
        p.onAbort = () => w.postMessage({type: 'abort', id})
        signal.addEventListener('abort', p.onAbort, {once: true})
      }

      this.pending.set(id, p)
      if (this.pending.size === 1) w.ref()
      w.postMessage({type: 'run', id, req, now})
    })
  }

  /** The probe thread's event-loop delay since its last reset (zeros before it started). */
  loopDelay(): LoopDelayStats {
    return {p99Ms: this.view[0], maxMs: this.view[1], meanMs: this.view[2]}
  }

  /**
   * Starts the thread ahead of the first check (its start-up then overlaps the caller's own), with these
   * heap limits (kept for a restart) when it is not running yet.
   */
  prestart(limits: ResourceLimits = PROBE_THREAD_LIMITS): void {
    if (!this.worker) this.limits = limits
    this.start()
  }

  /** Has the thread publish fresh loop-delay figures (up to 250 ms old otherwise). */
  async refreshLoopDelay(): Promise<void> {
    const w = this.worker
    if (!w) return
    const id = ++this.seq
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000)
      this.acks.set(id, () => {
        clearTimeout(timer)
        resolve()
      })
      w.postMessage({type: 'publish', id})
    })
    this.acks.delete(id)
  }

  /**
   * The thread's nice value once it runs (NaN before): below the process's when it was allowed to raise its
   * priority (WATCHKEEPER_PROBE_THREAD_NICE sets it; see probe-worker.ts).
   */
  get nice(): number {
    return this.worker ? this.view[3] : Number.NaN
  }

  get started(): boolean {
    return this.worker !== undefined
  }

  resetLoopDelay(): void {
    this.view.fill(0, 0, 3)
    this.worker?.postMessage({type: 'reset'})
  }

  /** Stops the thread (attempts in flight come back unknown). */
  async close(): Promise<void> {
    const w = this.worker
    this.worker = undefined
    if (w) await w.terminate()
  }
}

/** The process's probe thread. */
export const probeThread = new ProbeThread()

/** False when WATCHKEEPER_PROBE_THREAD=0 has every check run on the main thread. */
export const probeThreadAllowed = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.WATCHKEEPER_PROBE_THREAD !== '0'

/**
 * `check run`'s probe thread, started by bin/run.js before oclif loads: the thread's start-up (its modules,
 * undici, the warm-up request) is otherwise the longest wait before the first check.
 */
export function prestartOneShot(): void {
  if (probeThreadAllowed()) probeThread.prestart(ONE_SHOT_LIMITS)
}
