import type {DB} from '../store/db.js'
import {insertResults} from '../store/results.js'
import type {CheckResult} from '../types.js'

/** Buffers results and writes them in batched transactions as they arrive. */
export class ResultWriter {
  private buffer: CheckResult[] = []
  private timer: NodeJS.Timeout | undefined
  readonly written: number[] = []

  constructor(
    private readonly db: DB,
    private readonly refs: Map<string, number>,
    private readonly runId: number | null,
    private readonly opts: {batchSize?: number; flushMs?: number; onWritten?: (results: CheckResult[], ids: number[]) => void} = {},
  ) {}

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
    const ids = insertResults(this.db, this.refs, this.runId, batch)
    this.written.push(...ids)
    this.opts.onWritten?.(batch, ids)
  }
}
