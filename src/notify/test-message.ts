import type {DB} from '../store/db.js'
import type {Notification, NotifierConfig} from './types.js'
import {DefinitionError, type Problem, UserError} from '../errors.js'
import {finishDelivery, insertDelivery} from '../store/outbox.js'
import {didYouMean} from '../util/suggest.js'
import {dedupKeyOf, subjectOf} from './dispatcher.js'
import {sendNotification} from './send.js'

/** How a test message through one notifier went (`notify test --json`). */
export interface TestResult {
  notifier: string
  type: string
  /** Where its secrets come from, e.g. ${env:SLACK_URL}. */
  from: string
  ok: boolean
  attempts: number
  httpStatus?: number
  error?: string
  /** What the receiver answered (an SMTP reply). */
  detail?: string
}

/**
 * The notifier called `name`, or the error to show: its own definition problems (E_DEFINITION), or no such
 * notifier with a "did you mean" (E_NO_NOTIFIER).
 */
export function pickNotifier(
  notifiers: ReadonlyMap<string, NotifierConfig>,
  problems: readonly Problem[],
  name: string,
): NotifierConfig {
  const n = notifiers.get(name)
  if (n) return n
  const own = problems.filter((p) => p.path.startsWith(`notifiers.${name}.`) || p.path === `notifiers.${name}`)
  if (own.length > 0) throw new DefinitionError(own, 'catalogue')
  const known = [...notifiers.keys()]
  const guess = didYouMean(name, known)
  throw new UserError(`No notifier named "${name}".`, {
    code: 'E_NO_NOTIFIER',
    exit: 2,
    hint: guess
      ? `Did you mean "${guess}"?`
      : known.length > 0
        ? `Notifiers: ${known.join(', ')}`
        : 'Define one under notifiers: in the catalogue.',
  })
}

export function testMessage(
  notifier: Pick<NotifierConfig, 'name' | 'type'>,
  at: number,
  instance: string,
): Notification {
  return {
    event: 'test',
    severity: 'info',
    at,
    instance,
    title: `watchkeeper test message (${notifier.name})`,
    text: `If you can read this, notifier "${notifier.name}" (${notifier.type}) reaches this channel. Nothing needs doing.`,
  }
}

/**
 * Sends a test message through one notifier now, with its retries, and records the delivery as the outbox
 * records a message (pending, then sent or failed; no secret in the row). Never throws for a failed delivery.
 */
export async function sendTestMessage(
  db: DB,
  notifier: NotifierConfig,
  opts: {instance: string; now?: () => number},
): Promise<TestResult> {
  const now = opts.now ?? Date.now
  const message = testMessage(notifier, now(), opts.instance)
  const id = insertDelivery(db, {
    createdAt: message.at,
    notifier: notifier.name,
    provider: notifier.type,
    event: message.event,
    checkId: null,
    subject: subjectOf(message),
    dedupKey: dedupKeyOf(message),
    status: 'pending',
    message: message.title,
  })
  const out = await sendNotification(notifier, message, {now})
  finishDelivery(db, id, {
    status: out.ok ? 'sent' : 'failed',
    attempts: out.attempts,
    httpStatus: out.httpStatus,
    error: out.error,
    at: now(),
  })
  return {
    notifier: notifier.name,
    type: notifier.type,
    from: notifier.from,
    ok: out.ok,
    attempts: out.attempts,
    ...(out.httpStatus === undefined ? {} : {httpStatus: out.httpStatus}),
    ...(out.error ? {error: out.error} : {}),
    ...(out.detail ? {detail: out.detail} : {}),
  }
}
