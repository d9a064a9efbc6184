import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../base-command.js'
import {cataloguePaths} from '../catalogue/load.js'
import {catalogueMaintenance, statusReport, type StatusReport} from '../reports/status.js'
import {findVantage} from '../store/results.js'
import {statusTable} from '../ui/status-output.js'

export default class Status extends BaseCommand<typeof Status> {
  static override summary =
    "Show every check's watch state (failing, degraded, flapping, maintenance), the last alert, the open incident and the last result"
  static override description = `The state is the one \`watch\` holds, after its failure and recovery thresholds: a single failed result does not make a check failing. LAST ALERT is the last message about the check and whether it was delivered. Maintenance windows are read from the catalogue (--checks); a check \`watch\` has never seen shows as unwatched with its last \`check run\` result.

--problems lists only what needs a person: an open incident, an alert that could not be delivered, and, outside maintenance windows, a check failing, degraded or flapping (or, when unwatched, whose last result is not ok).`
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --problems',
    '<%= config.bin %> status --id "nhs-*" --json',
  ]
  static override flags = {
    vantage: Flags.string({description: 'only results taken from this vantage (watch.vantage id)'}),
    id: Flags.string({description: 'only this check id (repeatable; * matches any text)', multiple: true}),
    problems: Flags.boolean({description: 'only the checks that need a person', default: false}),
    checks: Flags.string({
      char: 'c',
      description:
        'catalogue file or folder with the maintenance windows (repeatable) [env: WATCHKEEPER_CHECKS; default: the shipped checks/]',
      multiple: true,
    }),
    recent: Flags.integer({description: 'results shown in the latency sparkline', default: 20, min: 2, max: 200}),
  }

  async run(): Promise<StatusReport> {
    const db = this.openDb({reader: true})
    const now = Date.now()
    const maintenance = catalogueMaintenance(cataloguePaths(this.flags.checks))
    if (maintenance.error) this.note(chalk.yellow(`Maintenance windows not read: ${maintenance.error}`))
    const report = statusReport(db, {
      recent: this.flags.recent,
      now,
      maintenance,
      problemsOnly: this.flags.problems,
      ids: this.flags.id,
      vantageRef: findVantage(db, this.flags.vantage),
    })
    if (this.jsonEnabled()) return report
    if (report.checks.length === 0)
      this.note(
        this.flags.problems
          ? 'Nothing needs a person.'
          : 'No results yet. Run `watchkeeper check run` or `watchkeeper watch` first.',
      )
    else this.log(statusTable(report, now))
    return report
  }
}
