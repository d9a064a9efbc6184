import {Args, Flags} from '@oclif/core'
import os from 'node:os'

import {BaseCommand} from '../../base-command.js'
import {cataloguePaths, loadCatalogue} from '../../catalogue/load.js'
import {DefinitionError, UserError} from '../../errors.js'
import {loadNotifiers} from '../../monitor/watch-config.js'
import {sendNotification} from '../../notify/send.js'
import type {Notification} from '../../notify/types.js'
import {finishDelivery, insertDelivery} from '../../store/monitor.js'
import {didYouMean} from '../../util/suggest.js'

interface TestResult {
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

export default class NotifyTest extends BaseCommand<typeof NotifyTest> {
  static override summary = 'Send a test message through a notifier'
  static override description = 'Sends a test message through the named notifier of the catalogue (its secrets from the environment variables it names), with the notifier\'s retries, and records the delivery. PagerDuty and Opsgenie get an alert that is closed again at once; email a test message. Exits 0 when the receiver accepted it, 1 otherwise.'
  static override examples = ['<%= config.bin %> notify test ops-slack', '<%= config.bin %> notify test teams-oncall --checks checks/ --json']
  static override args = {name: Args.string({description: 'notifier name from `notifiers:`', required: true})}
  static override flags = {
    checks: Flags.string({char: 'c', description: 'catalogue file or folder (repeatable) [env: WATCHKEEPER_CHECKS; default: the shipped checks/]', multiple: true}),
  }

  async run(): Promise<TestResult> {
    const catalogue = loadCatalogue(cataloguePaths(this.flags.checks))
    const {notifiers, problems} = loadNotifiers(catalogue)
    const name = this.args.name
    const n = notifiers.get(name)
    if (!n) {
      const own = problems.filter((p) => p.path.startsWith(`notifiers.${name}.`) || p.path === `notifiers.${name}`)
      if (own.length > 0) throw new DefinitionError(own, 'catalogue')
      const known = [...notifiers.keys()]
      const guess = didYouMean(name, known)
      throw new UserError(`No notifier named "${name}".`, {code: 'E_NO_NOTIFIER', exit: 2,
        hint: guess ? `Did you mean "${guess}"?` : known.length > 0 ? `Notifiers: ${known.join(', ')}` : 'Define one under notifiers: in the catalogue.'})
    }
    const now = Date.now()
    const message: Notification = {event: 'test', severity: 'info', at: now, instance: os.hostname(), title: `watchkeeper test message (${name})`,
      text: `If you can read this, notifier "${name}" (${n.type}) reaches this channel. Nothing needs doing.`}
    const db = this.openDb()
    const id = insertDelivery(db, {createdAt: now, notifier: name, provider: n.type, event: 'test', checkId: null, subject: 'watch:test',
      dedupKey: `test:${now}`, status: 'pending', message: message.title})
    const out = await sendNotification(n, message)
    finishDelivery(db, id, {status: out.ok ? 'sent' : 'failed', attempts: out.attempts, httpStatus: out.httpStatus, error: out.error, at: Date.now()})
    const result: TestResult = {notifier: name, type: n.type, from: n.from, ok: out.ok, attempts: out.attempts,
      ...(out.httpStatus === undefined ? {} : {httpStatus: out.httpStatus}), ...(out.error ? {error: out.error} : {}), ...(out.detail ? {detail: out.detail} : {})}
    const tries = `${out.attempts} attempt${out.attempts === 1 ? '' : 's'}`
    if (out.ok) this.log(`sent: ${name} (${n.type}) answered ${out.httpStatus === undefined ? out.detail || 'OK' : `HTTP ${out.httpStatus}`} after ${tries}`)
    else {
      process.exitCode = 1
      this.note(`not delivered: ${name} (${n.type}, secrets from ${n.from}) after ${tries}: ${out.error}`)
    }
    return result
  }
}
