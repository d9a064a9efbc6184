import {Args, Flags} from '@oclif/core'
import os from 'node:os'

import {BaseCommand} from '../../base-command.js'
import {cataloguePaths, loadCatalogue} from '../../catalogue/load.js'
import {loadNotifiers} from '../../monitor/watch-config.js'
import {pickNotifier, sendTestMessage, type TestResult} from '../../notify/test-message.js'

export default class NotifyTest extends BaseCommand<typeof NotifyTest> {
  static override summary = 'Send a test message through a notifier'
  static override description =
    "Sends a test message through the named notifier of the catalogue (its secrets from the environment variables it names), with the notifier's retries, and records the delivery. A paging provider (PagerDuty, Opsgenie) gets an alert that is closed again at once. Exits 0 when the receiver accepted it, 1 otherwise."
  static override examples = [
    '<%= config.bin %> notify test ops-slack',
    '<%= config.bin %> notify test teams-oncall --checks checks/ --json',
  ]
  static override args = {name: Args.string({description: 'notifier name from `notifiers:`', required: true})}
  static override flags = {
    checks: Flags.string({
      char: 'c',
      description: 'catalogue file or folder (repeatable) [env: WATCHKEEPER_CHECKS; default: the shipped checks/]',
      multiple: true,
    }),
  }

  async run(): Promise<TestResult> {
    const catalogue = loadCatalogue(cataloguePaths(this.flags.checks))
    const {notifiers, problems} = loadNotifiers(catalogue)
    const notifier = pickNotifier(notifiers, problems, this.args.name)
    const r = await sendTestMessage(this.openDb(), notifier, {instance: os.hostname()})
    const tries = `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`
    if (r.ok)
      this.log(
        `sent: ${r.notifier} (${r.type}) answered ${r.httpStatus === undefined ? r.detail || 'OK' : `HTTP ${r.httpStatus}`} after ${tries}`,
      )
    else {
      process.exitCode = 1
      this.note(`not delivered: ${r.notifier} (${r.type}, secrets from ${r.from}) after ${tries}: ${r.error}`)
    }

    return r
  }
}
