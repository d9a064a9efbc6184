import chalk from 'chalk'

import type {StatusReport, StatusRow} from '../reports/status.js'
import {ago, colourStatus, formatMs, renderTable, sparkline} from './table.js'
import {termText} from './terminal-text.js'

function stateText(r: StatusRow): string {
  const word =
    r.state === 'failing'
      ? chalk.red('failing')
      : r.state === 'degraded'
        ? chalk.yellow('degraded')
        : r.state === 'ok'
          ? chalk.green('ok')
          : r.state === 'pending'
            ? chalk.dim('pending')
            : chalk.dim('unwatched')
  return [
    word,
    ...(r.flapping ? [chalk.yellow('flapping')] : []),
    ...(r.maintenance ? [chalk.cyan('maintenance')] : []),
  ].join(', ')
}

function alertText(r: StatusRow, now: number): string {
  const a = r.lastAlert
  if (!a) return r.alerted ? `${r.alerted} (no delivery record)` : '-'
  const outcomes = [...new Set(a.deliveries.map((d) => d.status))]
  const outcome = outcomes.length === 1 ? outcomes[0] : outcomes.join('/')
  const coloured =
    outcome === 'sent'
      ? chalk.green(outcome)
      : /failed|expired/.test(outcome)
        ? chalk.red(outcome)
        : chalk.yellow(outcome)
  return `${a.events.join('+')} ${coloured} ${ago(Date.parse(a.at), now)}`
}

/** The `status` table: watch state first, then the last result; what needs a person listed under it. */
export function statusTable(report: StatusReport, now: number): string {
  const rows = report.checks.map((r) => [
    stateText(r),
    r.checkId,
    ago(Date.parse(r.stateSince ?? r.since), now),
    `${colourStatus(r.status)} ${ago(Date.parse(r.lastRun), now)}`,
    alertText(r, now),
    r.incident ? `#${r.incident.id} ${r.incident.severity} ${r.incident.state}` : '-',
    formatMs(r.lastLatencyMs),
    chalk.cyan(sparkline(r.recentLatencyMs)),
    termText(r.summary),
  ])
  const lines = [
    renderTable(
      ['STATE', 'CHECK', 'SINCE', 'LAST RESULT', 'LAST ALERT', 'INCIDENT', 'LATENCY', 'RECENT', 'SUMMARY'],
      rows,
      {align: ['left', 'left', 'right', 'left', 'left', 'left', 'right', 'left', 'left']},
    ),
  ]
  const inMaintenance = report.checks.filter((r) => r.maintenance)
  if (inMaintenance.length > 0) {
    lines.push('', chalk.bold('In maintenance'))
    for (const r of inMaintenance) lines.push(`  ${r.checkId}: ${r.maintenance!.window} until ${r.maintenance!.until}`)
  }

  const attention = report.checks.filter((r) => r.attention.length > 0)
  lines.push(
    '',
    attention.length === 0
      ? chalk.green('Nothing needs a person.')
      : chalk.bold(`Needs a person (${attention.length})`),
  )
  for (const r of attention) lines.push(`  ${r.checkId}: ${r.attention.join('; ')}`)
  return lines.join('\n')
}
