import type {DB} from '../store/db.js'
import {finishDelivery, insertDelivery, lastDelivery, pendingDeliveries} from '../store/monitor.js'
import type {Clock} from '../types.js'
import {type DeliveryOutcome, sendNotification} from './send.js'
import {categoryOf, type Notification, type NotifierConfig} from './types.js'

export type DispatchLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void

export interface DispatcherOptions {
  clock: Clock
  log?: DispatchLog
  /** First retry delay (default 1 s). */
  backoffMs?: number
  /** Messages waiting per notifier before new ones are dropped (default 1000). */
  maxQueue?: number
  /** Called after each delivery settles (metrics). */
  onOutcome?: (notifier: string, outcome: DeliveryOutcome | {ok: false; suppressed: true}) => void
}

interface Item {
  deliveryId: number | null
  notification: Notification
}

interface Channel {
  config: NotifierConfig
  queue: Item[]
  busy: boolean
}

/** The subject a message is about: its check, or a watch-wide topic. Dedup compares messages per subject. */
export function subjectOf(n: Notification): string {
  if (n.check) return n.check.id
  if (n.incident) return `incident:${n.incident.id}`
  return n.event.startsWith('connectivity') ? 'watch:connectivity' : `watch:${n.event}`
}

/** Same subject, same event, same state: a repeat. */
export function dedupKeyOf(n: Notification): string {
  return [n.event, n.check?.state ?? '', n.incident ? `#${n.incident.id}` : ''].join(':')
}

/**
 * Queues notifications per notifier and delivers them in the background, so a slow or failing webhook
 * never holds up a check. Every message is logged in the store (without the URL) before it is sent; a
 * repeat of the last message about the same subject within the notifier's min_interval is logged as
 * suppressed instead.
 */
export class NotificationDispatcher {
  private channels = new Map<string, Channel>()
  private readonly abort = new AbortController()
  private readonly drained: (() => void)[] = []

  constructor(private readonly db: DB, notifiers: Map<string, NotifierConfig>, private readonly opts: DispatcherOptions) {
    this.setNotifiers(notifiers)
  }

  setNotifiers(notifiers: Map<string, NotifierConfig>): void {
    const next = new Map<string, Channel>()
    for (const [name, config] of notifiers) {
      const old = this.channels.get(name)
      next.set(name, old ? Object.assign(old, {config}) : {config, queue: [], busy: false})
    }
    this.channels = next
  }

  get notifierNames(): string[] {
    return [...this.channels.keys()]
  }

  /** Pending work across notifiers. */
  get backlog(): number {
    let n = 0
    for (const c of this.channels.values()) n += c.queue.length + (c.busy ? 1 : 0)
    return n
  }

  /** Queues a notification for the named notifiers (those whose `events:` take it). Returns how many were queued. */
  notify(n: Notification, to: readonly string[]): number {
    let queued = 0
    const category = categoryOf(n.event)
    for (const name of to) {
      const ch = this.channels.get(name)
      if (!ch) continue
      if (category !== 'test' && ch.config.events && !ch.config.events.has(category)) continue
      const now = this.opts.clock.now()
      const subject = subjectOf(n)
      const key = dedupKeyOf(n)
      let deliveryId: number | null = null
      try {
        const last = lastDelivery(this.db, name, subject)
        const repeat = last && last.dedupKey === key && now - last.createdAt < ch.config.minIntervalMs
        const full = ch.queue.length >= (this.opts.maxQueue ?? 1000)
        deliveryId = insertDelivery(this.db, {createdAt: now, notifier: name, provider: ch.config.type, event: n.event, checkId: n.check?.id ?? null,
          subject, dedupKey: key, status: repeat ? 'suppressed' : full ? 'failed' : 'pending', message: n.title, body: JSON.stringify(n),
          error: repeat ? `repeat within ${Math.round(ch.config.minIntervalMs / 1000)} s` : full ? 'queue full' : undefined})
        if (repeat) {
          this.opts.onOutcome?.(name, {ok: false, suppressed: true})
          continue
        }
        if (full) {
          this.opts.log?.('error', `notifier ${name}: queue full, dropped "${n.title}"`, {notifier: name})
          continue
        }
      } catch (error) {
        // The delivery log is best effort (e.g. the database is locked); the message still goes out.
        this.opts.log?.('warn', `notifier ${name}: could not log delivery: ${(error as Error).message}`, {notifier: name})
      }
      ch.queue.push({deliveryId, notification: n})
      queued++
      this.pump(ch)
    }
    return queued
  }

  /** Requeues deliveries a previous process left pending (it stopped or was killed before sending). */
  resumePending(): number {
    let n = 0
    for (const row of pendingDeliveries(this.db)) {
      const ch = this.channels.get(row.notifier)
      if (!ch || !row.body) {
        finishDelivery(this.db, row.id, {status: 'failed', attempts: 0, error: ch ? 'no body to resend' : 'notifier no longer configured', at: this.opts.clock.now()})
        continue
      }
      ch.queue.push({deliveryId: row.id, notification: JSON.parse(row.body) as Notification})
      n++
      this.pump(ch)
    }
    return n
  }

  private pump(ch: Channel): void {
    if (ch.busy || ch.queue.length === 0) return
    ch.busy = true
    const item = ch.queue.shift()!
    void (async () => {
      const outcome = await sendNotification(ch.config, item.notification, {backoffMs: this.opts.backoffMs, signal: this.abort.signal})
      const abandoned = !outcome.ok && this.abort.signal.aborted
      try {
        // Abandoned at shutdown: the row stays pending and the next start sends it.
        if (item.deliveryId !== null && !abandoned) {
          finishDelivery(this.db, item.deliveryId, {status: outcome.ok ? 'sent' : 'failed', attempts: outcome.attempts,
            httpStatus: outcome.httpStatus, error: outcome.error, at: this.opts.clock.now()})
        }
      } catch (error) {
        this.opts.log?.('warn', `notifier ${ch.config.name}: could not log delivery: ${(error as Error).message}`, {notifier: ch.config.name})
      }
      if (!outcome.ok && !abandoned) {
        this.opts.log?.('warn', `notifier ${ch.config.name}: "${item.notification.title}" not delivered after ${outcome.attempts} attempt(s): ${outcome.error}`,
          {notifier: ch.config.name, attempts: outcome.attempts, httpStatus: outcome.httpStatus})
      }
      this.opts.onOutcome?.(ch.config.name, outcome)
      ch.busy = false
      if (ch.queue.length > 0 && !this.abort.signal.aborted) this.pump(ch)
      else if (this.backlog === 0) for (const d of this.drained.splice(0)) d()
    })()
  }

  /** Resolves when every queue is empty, or after `timeoutMs` (then returns false). */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.backlog === 0) return true
    let timer: NodeJS.Timeout | undefined
    const done = await Promise.race([
      new Promise<boolean>((resolve) => this.drained.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs)
      }),
    ])
    clearTimeout(timer)
    return done
  }

  /** Abandons retries in progress; messages not yet sent stay pending in the store for the next start. */
  stop(): void {
    this.abort.abort()
  }
}
