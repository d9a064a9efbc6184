import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {type PostureReport, postureReport} from '../../reports/posture.js'
import {ago, colourSeverity, colourStatus, renderTable} from '../../ui/table.js'
import {termText} from '../../ui/terminal-text.js'

export default class ReportPosture extends BaseCommand<typeof ReportPosture> {
  static override summary = "Security posture now: each target's grade and findings from its latest posture result"
  static override description =
    'Reads the posture rows written with every web-security, email-security and tls (posture:) result. Finding ids and their criteria are listed in docs/posture.md.'
  static override examples = [
    '<%= config.bin %> report posture',
    '<%= config.bin %> report posture --check "posture-nhs-*" --all-findings',
    '<%= config.bin %> report posture --json',
  ]
  static override flags = {
    check: Flags.string({description: 'only this check id (repeatable; * matches any text)', multiple: true}),
    'all-findings': Flags.boolean({
      description: 'list info findings too (default: warn and crit only)',
      default: false,
    }),
  }

  async run(): Promise<PostureReport> {
    const report = postureReport(this.openDb({reader: true}), {checks: this.flags.check})
    if (this.jsonEnabled()) return report
    if (report.targets.length === 0) {
      this.note('No posture results yet. Run web-security or email-security checks with `watchkeeper check run`.')
      return report
    }

    const rows = report.targets.map((t) => [
      colourStatus(t.status),
      t.checkId,
      t.grade ?? '-',
      t.score === null ? '-' : String(t.score),
      `${t.counts.crit}/${t.counts.warn}/${t.counts.info}`,
      ago(Date.parse(t.checkedAt)),
      t.target,
    ])
    const lines = [
      renderTable(['STATUS', 'CHECK', 'GRADE', 'SCORE', 'C/W/I', 'CHECKED', 'TARGET'], rows, {
        align: ['left', 'left', 'left', 'right', 'right', 'left', 'left'],
      }),
    ]
    for (const t of report.targets) {
      const shown = t.findings.filter((f) => this.flags['all-findings'] || f.severity !== 'info')
      if (shown.length === 0) continue
      lines.push('', chalk.bold(t.checkId))
      for (const f of shown) lines.push(`  ${colourSeverity(f.severity)} ${f.id}  ${termText(f.message)}`)
    }

    this.log(lines.join('\n'))
    return report
  }
}
