import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {parseSince, type PostureDiffReport, postureDiffReport} from '../../reports/posture.js'
import {colourSeverity} from '../../ui/table.js'
import {termText} from '../../ui/terminal-text.js'

export default class PostureDiff extends BaseCommand<typeof PostureDiff> {
  static override summary =
    'What changed in security posture since a date or a run: findings that appeared (regressions) and that went away (fixes)'
  static override description = `Compares each posture target's latest evaluated result with its last evaluated result at --since (a time, or a run id). Findings are compared by id. Results that could not be evaluated (unknown) are skipped on both sides.`
  static override examples = [
    '<%= config.bin %> posture diff --since 7d',
    '<%= config.bin %> posture diff --since 2026-11-01 --json',
    '<%= config.bin %> posture diff --since 42 --fail-on-regression',
  ]
  static override flags = {
    since: Flags.string({
      description: 'a run id, an age such as 7d, or a date/time such as 2026-11-01',
      required: true,
    }),
    check: Flags.string({description: 'only this check id (repeatable; * matches any text)', multiple: true}),
    all: Flags.boolean({description: 'list unchanged targets too', default: false}),
    'fail-on-regression': Flags.boolean({
      description: 'exit 1 when a finding of severity warn or crit appeared',
      default: false,
    }),
  }

  async run(): Promise<PostureDiffReport> {
    const db = this.openDb({reader: true})
    const now = Date.now()
    const report = postureDiffReport(db, parseSince(this.flags.since, now, db), {
      checks: this.flags.check,
      all: this.flags.all,
      now,
    })
    if (this.flags['fail-on-regression'] && report.changes.some((c) => c.appeared.some((f) => f.severity !== 'info')))
      process.exitCode = 1
    if (this.jsonEnabled()) return report
    const s = report.summary
    const lines: string[] = []
    for (const c of report.changes) {
      const grade =
        c.before?.grade === c.after.grade ? '' : `  grade ${c.before?.grade ?? '-'} → ${c.after.grade ?? '-'}`
      lines.push(
        chalk.bold(c.checkId) +
          chalk.dim(`  ${c.target}`) +
          grade +
          (c.before ? '' : chalk.dim('  (no earlier result)')),
      )
      for (const f of c.appeared)
        lines.push(
          `  ${chalk.red('+')} ${colourSeverity(f.severity)} ${f.id}  ${termText(f.messages[0])}${f.messages.length > 1 ? chalk.dim(` (+${f.messages.length - 1} more)`) : ''}`,
        )
      for (const f of c.fixed)
        lines.push(`  ${chalk.green('-')} ${colourSeverity(f.severity)} ${f.id}  ${chalk.dim('fixed')}`)
    }

    lines.push(
      lines.length > 0 ? '' : 'No posture changes.',
      `${s.targets} targets, ${s.changed} changed: ${s.regressions} appeared, ${s.fixes} fixed`,
    )
    this.log(lines.join('\n').replace(/^\n/, ''))
    return report
  }
}
