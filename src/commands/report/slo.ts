import {Flags} from '@oclif/core'
import {WHEN_HELP} from '../../util/when.js'

import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {renderSlo, type ReportFormat} from '../../reports/render.js'
import {sloReport, type SloReport} from '../../reports/slo.js'
import {parseInstant} from '../../reports/uptime.js'
import {findVantage} from '../../store/results.js'
import {parseDuration} from '../../util/duration.js'

export default class ReportSlo extends BaseCommand<typeof ReportSlo> {
  static override summary = 'Error budget and burn rates against an availability objective, per check and per service'
  static override description = `Eligible results are up (ok, warn) and down (crit); unknown results are left out. The error budget is (1 − objective) × eligible results; the burn rate is the share of bad results divided by (1 − objective), over the window and over the last 1 and 6 hours (multi-window burn-rate alerts, as in the Google SRE workbook). Health checks only: a posture check graded D spends no budget unless --include-posture. See docs/reports.md.`
  static override examples = [
    '<%= config.bin %> report slo',
    '<%= config.bin %> report slo --objective 99.95 --window 28d --service "NHS App"',
    '<%= config.bin %> report slo --format csv > slo.csv',
  ]
  static override flags = {
    vantage: Flags.string({description: 'only results taken from this vantage (watch.vantage id)'}),
    objective: Flags.string({char: 'o', description: 'availability objective in percent', default: '99.9'}),
    window: Flags.string({char: 'w', description: 'the SLO window, a duration such as 30d or 28d', default: '30d'}),
    until: Flags.string({description: 'end of the window (exclusive): ' + WHEN_HELP + ' [default: now]'}),
    check: Flags.string({description: 'only this check id (repeatable; * matches any text)', multiple: true}),
    service: Flags.string({description: 'only checks of this service (repeatable)', multiple: true}),
    'include-posture': Flags.boolean({
      description:
        'count posture checks (web-security, email-security, tls with posture:) too; by default only health checks count',
      default: false,
    }),
    format: Flags.string({
      char: 'f',
      description: 'output format',
      options: ['table', 'json', 'csv', 'md'],
      default: 'table',
    }),
  }

  async run(): Promise<SloReport> {
    const {flags} = this
    const objective = Number(flags.objective.replace(/%$/, ''))
    const windowMs = parseDuration(flags.window)
    if (windowMs === undefined || windowMs < 3_600_000) {
      throw new UserError(`--window must be a duration of at least 1h, such as 30d (got "${flags.window}").`, {
        code: 'E_USAGE',
        exit: 2,
      })
    }

    const now = Date.now()
    const until = flags.until ? parseInstant(flags.until, now, '--until') : now
    const db = this.openDb({reader: true})
    const report = sloReport(
      db,
      {objective, windowMs, until},
      {
        checks: flags.check,
        services: flags.service,
        includePosture: flags['include-posture'],
        vantageRef: findVantage(db, flags.vantage),
      },
    )
    if (this.jsonEnabled()) return report
    if (flags.format === 'json') this.log(JSON.stringify(report, null, 2))
    else process.stdout.write(renderSlo(report, flags.format as ReportFormat).replace(/\n?$/, '\n'))
    return report
  }
}
