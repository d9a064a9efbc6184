import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../base-command.js'
import {statusReport} from '../reports/status.js'
import {ago, colourStatus, formatMs, renderTable, sparkline} from '../ui/table.js'

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show the last result of every check, since when it is in that state, and recent latency'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --id "nhs-*" --json']
  static override flags = {
    id: Flags.string({description: 'only this check id (repeatable)', multiple: true}),
    recent: Flags.integer({description: 'results shown in the latency sparkline', default: 20, min: 2, max: 200}),
  }

  async run() {
    const db = this.openDb()
    let rows = statusReport(db, {recent: this.flags.recent})
    if (this.flags.id?.length) {
      const globs = this.flags.id.map((g) => new RegExp('^' + g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$'))
      rows = rows.filter((r) => globs.some((g) => g.test(r.checkId)))
    }
    if (rows.length === 0) this.note('No results yet. Run `watchkeeper check run` first.')
    else {
      const now = Date.now()
      this.log(renderTable(['STATUS', 'CHECK', 'SINCE', 'LAST RUN', 'LATENCY', 'RECENT', 'SUMMARY'], rows.map((r) => [
        colourStatus(r.status), r.checkId, ago(r.since, now), ago(r.lastRun, now), formatMs(r.lastLatencyMs),
        chalk.cyan(sparkline(r.recentLatencyMs)), r.summary,
      ]), {align: ['left', 'left', 'right', 'right', 'right', 'left', 'left']}))
    }
    return {checks: rows.map((r) => ({...r, since: new Date(r.since).toISOString(), lastRun: new Date(r.lastRun).toISOString()}))}
  }
}
