import {Flags} from '@oclif/core'
import {WHEN_HELP} from '../../util/when.js'

import {BaseCommand} from '../../base-command.js'
import {renderUptime, type ReportFormat} from '../../reports/render.js'
import {PERIODS, resolveWindow, uptimeReport, type UptimeReport} from '../../reports/uptime.js'
import {findVantage} from '../../store/results.js'

export default class ReportUptime extends BaseCommand<typeof ReportUptime> {
  static override summary = 'Availability, latency percentiles, outages and MTTR per check and per service'
  static override description = `Answered from the hourly and daily rollups (raw results only for the partial hours at the edges), so it stays fast over a year of data.
Up = ok or warn results, down = crit; unknown results are left out of availability. Health checks only: posture checks grade configuration, not availability (see \`report posture\`; --include-posture adds them). See docs/reports.md for every definition.`
  static override examples = [
    '<%= config.bin %> report uptime',
    '<%= config.bin %> report uptime --period month --format md',
    '<%= config.bin %> report uptime --since 2026-10-01 --until 2026-11-01 --service "NHS login" --json',
  ]
  static override flags = {
    vantage: Flags.string({description: 'only results taken from this vantage (watch.vantage id)'}),
    period: Flags.string({
      char: 'p',
      description: 'the last 24h, 7d, 30d or 90d, or the previous calendar month (Europe/London) [default: 30d]',
      options: [...PERIODS],
    }),
    since: Flags.string({description: 'start: ' + WHEN_HELP}),
    until: Flags.string({description: 'end (exclusive): ' + WHEN_HELP + ' [default: now]'}),
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

  async run(): Promise<UptimeReport> {
    const {flags} = this
    const window = resolveWindow({since: flags.since, until: flags.until, period: flags.period}, Date.now())
    const db = this.openDb({reader: true})
    const report = uptimeReport(db, window, {
      checks: flags.check,
      services: flags.service,
      includePosture: flags['include-posture'],
      vantageRef: findVantage(db, flags.vantage),
    })
    if (this.jsonEnabled()) return report
    if (flags.format === 'json') this.log(JSON.stringify(report, null, 2))
    else process.stdout.write(renderUptime(report, flags.format as ReportFormat).replace(/\n?$/, '\n'))
    return report
  }
}
