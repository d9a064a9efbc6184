import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {deliveryLog, deliveryStatuses, type DeliveryView} from '../../notify/log.js'
import {DELIVERY_STATUSES, type DeliveryStatus} from '../../store/outbox.js'
import {renderTable} from '../../ui/table.js'
import {parseWhen, WHEN_HELP} from '../../util/when.js'

const COLOUR: Record<DeliveryStatus, (s: string) => string> = {
  sent: chalk.green,
  pending: chalk.yellow,
  failed: chalk.red,
  expired: chalk.red,
  suppressed: chalk.dim,
  held: chalk.cyan,
}

function detail(d: DeliveryView): string {
  if (d.status === 'pending')
    return `${d.error ? d.error + '; ' : ''}next try ${d.nextAttemptAt ?? 'now'}, gives up ${d.expiresAt ?? '-'}`
  if (d.status === 'sent') return d.httpStatus === null ? '' : `HTTP ${d.httpStatus}`
  return d.error ?? ''
}

export default class NotifyLog extends BaseCommand<typeof NotifyLog> {
  static override summary =
    'Show notification deliveries: sent, waiting in the outbox, failed, expired, suppressed or held'
  static override description =
    "Lists the newest deliveries from the database, oldest first. A pending one is in the outbox: watch retries it with backoff (across restarts) until its notifier's expire_after, then marks it expired. held: a maintenance window covered it; suppressed: a repeat within min_interval. Times are UTC."
  static override examples = [
    '<%= config.bin %> notify log',
    '<%= config.bin %> notify log --status failed --status expired --since 7d',
    '<%= config.bin %> notify log --notifier ops-slack --limit 200 --json',
  ]
  static override flags = {
    since: Flags.string({description: 'only deliveries after this time: ' + WHEN_HELP}),
    notifier: Flags.string({char: 'n', description: 'only this notifier'}),
    check: Flags.string({description: 'only messages about this check id'}),
    status: Flags.string({
      char: 's',
      description: 'only deliveries with this status (repeatable)',
      options: [...DELIVERY_STATUSES],
      multiple: true,
    }),
    limit: Flags.integer({
      char: 'l',
      description: 'deliveries to show at most (the newest)',
      default: 50,
      min: 1,
      max: 100_000,
    }),
  }

  async run(): Promise<{deliveries: DeliveryView[]}> {
    let since: number | undefined
    if (this.flags.since) {
      since = parseWhen(this.flags.since, Date.now(), '--since')
    }

    const db = this.openDb()
    const rows = deliveryLog(db, {
      since,
      notifier: this.flags.notifier,
      checkId: this.flags.check,
      statuses: deliveryStatuses(this.flags.status),
      limit: this.flags.limit,
    })
    if (rows.length === 0) this.note('No deliveries match.')
    else {
      this.log(
        renderTable(
          ['TIME (UTC)', 'NOTIFIER', 'EVENT', 'CHECK', 'STATUS', 'TRIES', 'MESSAGE', 'DETAIL'],
          rows.map((d) => [
            d.at.replace('T', ' ').slice(0, 19),
            d.notifier,
            d.event,
            d.checkId ?? '-',
            COLOUR[d.status](d.status),
            String(d.attempts),
            d.message,
            detail(d),
          ]),
          {align: ['left', 'left', 'left', 'left', 'left', 'right', 'left', 'left']},
        ),
      )
    }

    return {deliveries: rows}
  }
}
