import type {DB} from '../store/db.js'
import type {Clock} from '../types.js'
import {deferDelivery, finishDelivery, insertDelivery, lastDelivery, pendingDeliveries} from '../store/outbox.js'
import {formatDuration} from '../util/duration.js'
import {errorInfo} from './errors.js'
import {type DeliveryOutcome, sendNotification} from './send.js'
import {categoryOf, type Notification, type NotifierConfig} from './types.js'

export type DispatchLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void

/** How a message to one notifier ended (or paused): the `outcome` label of the notifications metric. */
export type DispatchOutcome = 'sent' | 'failed' | 'retrying' | 'expired' | 'suppressed' | 'held'

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface DispatcherOptions {
  clock: Clock
  /** Timers for the outbox's later rounds (default the real ones; watch passes its host). */
  timers?: Timers
  log?: DispatchLog
  /** Wait before the first retry of a notifier without `backoff:` (default 1 s); doubles per attempt up to `maxBackoffMs` (default 15 min). */
  backoffMs?: number
  maxBackoffMs?: number
  /** Messages waiting per notifier before new ones are dropped (default 1000). */
  maxQueue?: number
  /** Called as each message settles or is put off (metrics). */
  onOutcome?: (notifier: string, outcome: DispatchOutcome) => void
  /** A message was given up at expire_after (watch tells the other notifiers). */
  onExpired?: (notifier: NotifierConfig, n: Notification, reason: string) => void
}

interface Item {
  deliveryId: number | null
  notification: Notification
  /** Attempts so far, over every round and process. */
  attempts: number
  lastError?: string
  notBefore: number
  expiresAt: number
}

interface Channel {
  config: NotifierConfig
  /** Oldest first; the head is the one being sent or waited on. */
  queue: Item[]
  busy: boolean
  timer?: unknown
}

// A Node timer converts to its id (Symbol.toPrimitive), and clearTimeout takes the id.
const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(ms, 2_147_000_000)),
  clearTimeout: (h) => clearTimeout(Number(h)),
}

/** The subject a message is about: its check, or a watch-wide topic. Dedup compares messages per subject. */
export function subjectOf(n: Notification): string {
  if (n.event === 'undelivered') return 'watch:undelivered'
  if (n.check) return n.check.id
  if (n.incident) return `incident:${n.incident.id}`
  if (n.maintenance) return `maintenance:${n.maintenance.name}`
  return n.event.startsWith('connectivity') ? 'watch:connectivity' : `watch:${n.event}`
}

/** Same subject, same event, same state: a repeat. A test message repeats nothing. */
export function dedupKeyOf(n: Notification): string {
  if (n.event === 'test') return `test:${n.at}`
  return [n.event, n.check?.state ?? '', n.incident ? `#${n.incident.id}` : ''].join(':')
}

/**
 * The outbox: queues messages per notifier and delivers them in the background, in order, so a slow or
 * failing receiver never holds up a check. Every message is a row in the store (without secrets) before it
 * is sent. After `retries` quick retries fail with a temporary error (network, timeout, 408, 429, 5xx), the
 * message is put off, the backoff doubling on from there, and later messages to that notifier wait behind it (a resolve never overtakes its
 * trigger); the row stays pending, so a restart resumes it. Past its notifier's `expire_after` it is given up
 * and reported as expired. A repeat of the last message about a subject within min_interval is logged as
 * suppressed; a message covered by a maintenance window as held.
 */
export class NotificationDispatcher {
  private channels = new Map<string, Channel>()
  private readonly abort = new AbortController()
  private readonly settledWaiters: (() => void)[] = []
  private readonly timers: Timers

  constructor(
    private readonly db: DB,
    notifiers: Map<string, NotifierConfig>,
    private readonly opts: DispatcherOptions,
  ) {
    this.timers = opts.timers ?? realTimers
    this.setNotifiers(notifiers)
  }

  setNotifiers(notifiers: Map<string, NotifierConfig>): void {
    const next = new Map<string, Channel>()
    for (const [name, config] of notifiers) {
      const old = this.channels.get(name)
      next.set(name, old ? Object.assign(old, {config}) : {config, queue: [], busy: false})
    }

    for (const [name, old] of this.channels)
      if (!next.has(name) && old.timer !== undefined) this.timers.clearTimeout(old.timer)
    this.channels = next
  }

  get notifierNames(): string[] {
    return [...this.channels.keys()]
  }

  /** Messages in the outbox of this process: being sent, due, or waiting for a later round. */
  get backlog(): number {
    let n = 0
    for (const c of this.channels.values()) n += c.queue.length
    return n
  }

  /**
   * Queues a notification for the named notifiers (those whose `events:` and provider take it); with `hold`,
   * records it as held for that reason and sends nothing. Returns how many were queued.
   */
  notify(n: Notification, to: readonly string[], opts: {hold?: string} = {}): number {
    let queued = 0
    const category = categoryOf(n.event)
    for (const name of to) {
      const ch = this.channels.get(name)
      if (!ch) continue
      if (category !== 'test' && ch.config.events && !ch.config.events.has(category)) continue
      if (ch.config.provider.accepts && !ch.config.provider.accepts(ch.config.settings, n)) continue
      const now = this.opts.clock.now()
      const subject = subjectOf(n)
      const key = dedupKeyOf(n)
      const expiresAt = now + ch.config.expireMs
      let deliveryId: number | null = null
      try {
        const base = {
          createdAt: now,
          notifier: name,
          provider: ch.config.type,
          event: n.event,
          checkId: n.check?.id ?? null,
          subject,
          dedupKey: key,
          message: n.title,
        }
        if (opts.hold) {
          insertDelivery(this.db, {...base, status: 'held', error: opts.hold})
          this.opts.onOutcome?.(name, 'held')
          continue
        }

        const last = lastDelivery(this.db, name, subject)
        const repeat = last && last.dedupKey === key && now - last.createdAt < ch.config.minIntervalMs
        const full = ch.queue.length >= (this.opts.maxQueue ?? 1000)
        deliveryId = insertDelivery(this.db, {
          ...base,
          status: repeat ? 'suppressed' : full ? 'failed' : 'pending',
          body: JSON.stringify(n),
          expiresAt,
          error: repeat
            ? `repeat within ${Math.round(ch.config.minIntervalMs / 1000)} s`
            : full
              ? 'queue full'
              : undefined,
        })
        if (repeat) {
          this.opts.onOutcome?.(name, 'suppressed')
          continue
        }

        if (full) {
          this.opts.log?.('error', `notifier ${name}: queue full, dropped "${n.title}"`, {notifier: name})
          this.opts.onOutcome?.(name, 'failed')
          continue
        }
      } catch (error) {
        // The delivery log is best effort (e.g. the database is locked); the message still goes out.
        if (opts.hold) continue
        this.opts.log?.('warn', `notifier ${name}: could not log delivery: ${errorInfo(error).message}`, {
          notifier: name,
        })
      }

      ch.queue.push({deliveryId, notification: n, attempts: 0, notBefore: now, expiresAt})
      queued++
      this.pump(ch)
    }

    return queued
  }

  /** Requeues what a previous process left in the outbox; each is tried at once (a restart is a good moment). */
  resumePending(): number {
    let n = 0
    const now = this.opts.clock.now()
    for (const row of pendingDeliveries(this.db)) {
      const ch = this.channels.get(row.notifier)
      if (!ch || !row.body) {
        finishDelivery(this.db, row.id, {
          status: 'failed',
          attempts: row.attempts,
          error: ch ? 'no body to resend' : 'notifier no longer configured',
          at: now,
        })
        continue
      }

      if (ch.queue.some((i) => i.deliveryId === row.id)) continue
      ch.queue.push({
        deliveryId: row.id,
        notification: storedNotification(row.body),
        attempts: row.attempts,
        notBefore: now,
        expiresAt: row.expiresAt ?? now + ch.config.expireMs,
      })
      n++
    }

    for (const ch of this.channels.values()) this.pump(ch)
    return n
  }

  private record(fn: () => void, ch: Channel): void {
    try {
      fn()
    } catch (error) {
      this.opts.log?.('warn', `notifier ${ch.config.name}: could not log delivery: ${errorInfo(error).message}`, {
        notifier: ch.config.name,
      })
    }
  }

  private expire(ch: Channel, item: Item, now: number): void {
    const age = formatDuration(now - (item.expiresAt - ch.config.expireMs))
    const reason = `not delivered within expire_after (${formatDuration(ch.config.expireMs)}) after ${item.attempts} attempt(s)${item.lastError ? `; last error: ${item.lastError}` : ''}`
    if (item.deliveryId !== null)
      this.record(
        () =>
          finishDelivery(this.db, item.deliveryId!, {
            status: 'expired',
            attempts: item.attempts,
            error: reason,
            at: now,
          }),
        ch,
      )
    this.opts.log?.(
      'error',
      `notifier ${ch.config.name}: gave up on "${item.notification.title}" (raised ${age} ago): ${reason}`,
      {notifier: ch.config.name, attempts: item.attempts},
    )
    this.opts.onOutcome?.(ch.config.name, 'expired')
    this.opts.onExpired?.(ch.config, item.notification, reason)
  }

  private pump(ch: Channel): void {
    if (ch.busy || this.abort.signal.aborted) return
    const now = this.opts.clock.now()
    while (ch.queue.length > 0 && ch.queue[0].expiresAt <= now) this.expire(ch, ch.queue.shift()!, now)
    const item = ch.queue[0]
    if (!item) return this.checkSettled()
    if (item.notBefore > now) {
      if (ch.timer === undefined) {
        ch.timer = this.timers.setTimeout(() => {
          ch.timer = undefined
          this.pump(ch)
        }, item.notBefore - now)
      }

      return this.checkSettled()
    }

    ch.busy = true
    void this.deliver(ch, item)
  }

  /** Sends the head of the queue, records what came of it, and pumps the channel again. */
  private async deliver(ch: Channel, item: Item): Promise<void> {
    const outcome = await sendNotification(ch.config, item.notification, {
      backoffMs: this.opts.backoffMs,
      signal: this.abort.signal,
      now: () => this.opts.clock.now(),
    })
    const at = this.opts.clock.now()
    item.attempts += outcome.attempts
    item.lastError = outcome.error
    if (!outcome.ok && this.abort.signal.aborted) this.abandoned(ch, item, outcome, at)
    else if (outcome.ok || !outcome.retryable) this.finished(ch, item, outcome, at)
    else if (at >= item.expiresAt) {
      ch.queue.shift()
      this.expire(ch, item, at)
    } else this.retryLater(ch, item, outcome, at)
    ch.busy = false
    this.pump(ch)
  }

  /** Abandoned at shutdown: the row stays pending and the next start sends it. */
  private abandoned(ch: Channel, item: Item, outcome: DeliveryOutcome, at: number): void {
    this.defer(ch, item, outcome, at, at)
  }

  /** Keeps the outbox row pending, to be tried again from `nextAttemptAt`. */
  private defer(ch: Channel, item: Item, outcome: DeliveryOutcome, at: number, nextAttemptAt: number): void {
    const id = item.deliveryId
    if (id !== null)
      this.record(
        () =>
          deferDelivery(this.db, id, {
            attempts: item.attempts,
            httpStatus: outcome.httpStatus,
            error: outcome.error,
            at,
            nextAttemptAt,
          }),
        ch,
      )
  }

  /** Sent, or refused for good: off the queue, and the outbox row closed. */
  private finished(ch: Channel, item: Item, outcome: DeliveryOutcome, at: number): void {
    const id = item.deliveryId
    const {name} = ch.config
    ch.queue.shift()
    if (id !== null)
      this.record(
        () =>
          finishDelivery(this.db, id, {
            status: outcome.ok ? 'sent' : 'failed',
            attempts: item.attempts,
            httpStatus: outcome.httpStatus,
            error: outcome.error,
            at,
          }),
        ch,
      )
    if (!outcome.ok)
      this.opts.log?.(
        'warn',
        `notifier ${name}: "${item.notification.title}" refused after ${item.attempts} attempt(s): ${outcome.error}`,
        {notifier: name, httpStatus: outcome.httpStatus},
      )
    this.opts.onOutcome?.(name, outcome.ok ? 'sent' : 'failed')
  }

  /** Not delivered yet: puts the message off for a later round, up to its expiry. */
  private retryLater(ch: Channel, item: Item, outcome: DeliveryOutcome, at: number): void {
    const {name} = ch.config
    // The same doubling as the quick retries, carried on from the outbox.
    const base = ch.config.backoffMs ?? this.opts.backoffMs ?? 1000
    let wait =
      Math.min(this.opts.maxBackoffMs ?? 900_000, base * 2 ** Math.min(30, item.attempts - 1)) *
      (0.8 + Math.random() * 0.4)
    if (outcome.retryAfterMs !== undefined) wait = Math.max(wait, Math.min(outcome.retryAfterMs, 3_600_000))
    item.notBefore = Math.min(at + Math.round(wait), item.expiresAt)
    this.defer(ch, item, outcome, at, item.notBefore)
    this.opts.log?.(
      'warn',
      `notifier ${name}: "${item.notification.title}" not delivered after ${item.attempts} attempt(s): ${outcome.error}; ` +
        `next try ${new Date(item.notBefore).toISOString()}, gives up ${new Date(item.expiresAt).toISOString()}`,
      {notifier: name, attempts: item.attempts, httpStatus: outcome.httpStatus},
    )
    this.opts.onOutcome?.(name, 'retrying')
  }

  /** Nothing being sent and nothing due: every message left waits for a later round. */
  private get settled(): boolean {
    const now = this.opts.clock.now()
    for (const c of this.channels.values())
      if (c.busy || (c.queue.length > 0 && c.queue[0].notBefore <= now && !this.abort.signal.aborted)) return false
    return true
  }

  private checkSettled(): void {
    if (this.settled) for (const d of this.settledWaiters.splice(0)) d()
  }

  /** Resolves when nothing is being sent or due (messages put off to a later round stay in the outbox), or after `timeoutMs` (false). */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.settled) return true
    let timer: NodeJS.Timeout | undefined
    const done = await Promise.race([
      new Promise<boolean>((resolve) => this.settledWaiters.push(() => resolve(true))),
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
    for (const ch of this.channels.values()) {
      if (ch.timer !== undefined) this.timers.clearTimeout(ch.timer)
      ch.timer = undefined
    }

    this.checkSettled()
  }
}

/** A notification body from our own outbox, written by JSON.stringify of a Notification when it was queued. */
function storedNotification(body: string): Notification {
  return JSON.parse(body) as Notification
}
