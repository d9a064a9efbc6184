import type {DB} from '../store/db.js'
import type {CheckResult} from '../types.js'
import {StoreBusyError} from '../store/lock.js'
import {recordPosture} from '../store/posture.js'
import {insertResults, type Vantage} from '../store/results.js'

/** Buffers results and writes them in batched transactions as they arrive. */
export class ResultWriter {
  private buffer: CheckResult[] = []
  private timer: NodeJS.Timeout | undefined
  readonly written: number[] = []
  /** Where the results are taken from (--vantage, else watch.vantage), stamped on each; follows reloads. */
  vantage: Vantage | undefined

  constructor(
    private readonly db: DB,
    private readonly refs: Map<string, number>,
    private readonly runId: number | null,
    private readonly opts: {
      batchSize?: number
      flushMs?: number
      onWritten?: (results: CheckResult[], ids: number[]) => void
      /** The database was locked past its busy timeout: the batch is kept and retried after `retryMs` (default 1 s). */
      onBusy?: (error: Error, pending: number) => void
      retryMs?: number
      /** Keep written ids in `written` (default true; a long-running watch turns it off). */
      keepIds?: boolean
      /** Where the results are taken from (watch.vantage), stamped on each. */
      vantage?: Vantage
    } = {},
  ) {
    this.vantage = opts.vantage
  }

  add(result: CheckResult): void {
    this.buffer.push(result)
    if (this.buffer.length >= (this.opts.batchSize ?? 100)) this.flush()
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.opts.flushMs ?? 200)
      this.timer.unref()
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (this.buffer.length === 0) return
    const batch = this.buffer
    this.buffer = []
    let ids: number[]
    try {
      ids = insertResults(this.db, this.refs, this.runId, batch, {vantage: this.vantage})
    } catch (error) {
      if (!(error instanceof StoreBusyError) || !this.opts.onBusy) throw error
      // Locked by another writer (a `check run` from cron): keep every result and try again shortly.
      this.buffer = [...batch, ...this.buffer]
      this.opts.onBusy(error, this.buffer.length)
      this.timer = setTimeout(() => this.flush(), this.opts.retryMs ?? 1000)
      this.timer.unref()
      return
    }

    recordPosture(this.db, this.refs, this.runId, batch, ids)
    if (this.opts.keepIds !== false) this.written.push(...ids)
    this.opts.onWritten?.(batch, ids)
  }

  /** Results waiting to be written. */
  get pending(): number {
    return this.buffer.length
  }
}
