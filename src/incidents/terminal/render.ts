/** Edge code of the incidents wing: colour rendering of incidents, clocks and timelines for a terminal. */
import chalk from 'chalk'

import type {TimelineEvent} from '../chain.js'
import type {IncidentSummary} from '../service.js'
import {quoteArg} from '../../playbooks/engine.js'
import {ago, renderTable} from '../../ui/table.js'
import {termText as t} from '../../ui/terminal-text.js'
import {formatDuration} from '../../util/duration.js'
import {clockNotesText, clockOutcome, type ClockState, clockWarning, lateUpdates} from '../clocks.js'
import {commandRunOf, exitText, neutralise, outputExcerpt, TERMINAL_OUTPUT_CAP} from '../command-output.js'
import {describeEvent} from '../describe.js'
import {formatLondon, formatUtc} from '../time.js'

export function colourState(state: string): string {
  switch (state) {
    case 'triage': {
      return chalk.magenta(state)
    }

    case 'active': {
      return chalk.red(state)
    }

    case 'mitigated': {
      return chalk.yellow(state)
    }

    case 'resolved': {
      return chalk.green(state)
    }

    default: {
      return chalk.dim(state)
    }
  }
}

export function colourSeverity(sev: string): string {
  return sev.endsWith('1')
    ? chalk.bgRed.white(` ${sev} `)
    : sev.endsWith('2')
      ? chalk.red(sev)
      : sev.endsWith('3')
        ? chalk.yellow(sev)
        : chalk.cyan(sev)
}

/** The outcome word and what it means in time: "running, 5h 12m left", "late by 3h", "not_required: reason". */
export function clockText(c: ClockState, now: number): string {
  const outcome = clockOutcome(c, now)
  const stopped = c.stoppedAt ?? 0
  switch (outcome) {
    case 'on_time': {
      return chalk.green(`on_time (notified ${formatDuration(c.dueAt - stopped)} before the deadline)`)
    }

    case 'late': {
      const updates = lateUpdates(c)
      const by = stopped > c.dueAt ? `by ${formatDuration(stopped - c.dueAt)}` : ''
      return chalk.red(
        `late ${[by, updates > 0 ? `${updates} update${updates === 1 ? '' : 's'} after its due time` : ''].filter(Boolean).join(', ')}`,
      )
    }

    case 'not_required': {
      return chalk.cyan(`not_required: ${c.stopReason ?? ''}`)
    }

    case 'superseded': {
      return chalk.dim(`superseded${c.stopReason ? `: ${c.stopReason}` : ''}`)
    }

    case 'overdue': {
      return chalk.red.bold(`overdue by ${formatDuration(now - c.dueAt)}`)
    }

    default: {
      return (clockWarning(c, now) ? chalk.yellow : chalk.green)(`running, ${formatDuration(c.dueAt - now)} left`)
    }
  }
}

/** How it stopped, what was corrected and its restarts, under a clock's line (not_required shows its reasoning inline). */
function clockNotes(c: ClockState): string[] {
  const notes = clockNotesText(c).filter((n) => !(c.outcome === 'not_required' && n.startsWith('Reasoning:')))
  return notes.map((n) => chalk.dim(`    ${t(n)}`))
}

export function clockLines(clocks: readonly ClockState[], now: number): string[] {
  return clocks.flatMap((c) => [
    `  ${t(c.name).padEnd(20)} ${clockText(c, now)}  ${chalk.dim(`started ${formatUtc(c.startedAt)} · due ${formatUtc(c.dueAt)}${c.to ? ` · ${t(c.to)}` : ''}`)}`,
    ...clockNotes(c),
  ])
}

export function incidentTable(list: readonly IncidentSummary[], now: number): string {
  const rows = list.map((i) => {
    const running = i.clocks.filter((c) => c.stoppedAt === undefined).sort((a, b) => a.dueAt - b.dueAt)
    const clock = running[0] ? `${t(running[0].name)} ${clockText(running[0], now)}` : ''
    return [
      String(i.id),
      colourSeverity(t(i.severity)),
      colourState(t(i.state)),
      t(i.title),
      t(i.service),
      ago(i.openedAt, now),
      clock,
    ]
  })
  return renderTable(['ID', 'SEV', 'STATE', 'TITLE', 'SERVICE', 'OPENED', 'NEXT CLOCK'], rows)
}

export function timelineTable(events: readonly TimelineEvent[]): string {
  const rows = events.map((e) => [
    String(e.seq),
    formatUtc(e.occurredAt),
    formatLondon(e.occurredAt).slice(11),
    e.recordedAt - e.occurredAt > 60_000 ? chalk.dim('(back-dated)') : '',
    t(e.actor),
    chalk.dim(t(e.type)),
    t(describeEvent(e)),
  ])
  return renderTable(['#', 'OCCURRED (UTC)', 'LONDON', '', 'ACTOR', 'TYPE', 'EVENT'], rows)
}

/** A command's result for a terminal: argv, exit code in colour, then its output (neutralised, capped, the cut said). */
export function commandResultLines(data: Record<string, unknown>, cap = TERMINAL_OUTPUT_CAP): string[] {
  const r = commandRunOf(data)
  const ok = r.exitCode === 0 && !r.timedOut
  const status = ok ? chalk.green(exitText(r)) : chalk.red.bold(exitText(r))
  const lines = [
    `${chalk.bold('Ran')} ${neutralise(r.argv.map(quoteArg).join(' '))}: ${status}${r.durationMs === undefined ? '' : chalk.dim(` in ${formatDuration(r.durationMs)}`)}`,
  ]
  const ex = outputExcerpt(r, cap)
  if (ex.lines.length === 0) lines.push(chalk.dim('  (no output)'))
  for (const l of ex.lines) lines.push(`${chalk.dim('  │')} ${l}`)
  if (ex.cut) lines.push(chalk.yellow(`  … ${ex.cut}`) + chalk.dim(' The md, html and json exports show more.'))
  return lines
}

export function incidentDetail(
  s: IncidentSummary,
  events: readonly TimelineEvent[],
  now: number,
  position: string[],
): string {
  const lines: string[] = []
  lines.push(
    `${chalk.bold(`Incident ${s.id}`)}  ${colourSeverity(t(s.severity))}  ${colourState(t(s.state))}  ${chalk.bold(t(s.title))}`,
  )
  lines.push(`Opened   ${formatUtc(s.openedAt)} (${formatLondon(s.openedAt)})`)
  if (s.service) lines.push(`Service  ${t(s.service)}`)
  if (s.checks.length > 0) lines.push(`Checks   ${t(s.checks.join(', '))}`)
  if (s.playbookId) lines.push(`Playbook ${t(s.playbookId)}`)
  const roles = Object.entries(s.roles)
  lines.push(
    `Roles    ${roles.length > 0 ? roles.map(([r, p]) => `${t(r)}: ${t(p)}`).join('; ') : chalk.dim('none assigned')}`,
  )
  if (s.clocks.length > 0) lines.push('Clocks', ...clockLines(s.clocks, now))
  if (position.length > 0) lines.push(`Current step ${t(position.join(', '))}`)
  lines.push('', timelineTable(events))
  const runs = events.filter((e) => e.type === 'command_run')
  if (runs.length > 0) {
    lines.push('', chalk.bold('Command output'))
    for (const e of runs)
      lines.push(
        `${chalk.dim(`#${e.seq} ${formatUtc(e.occurredAt)} step ${neutralise(String(e.data.step ?? ''))}`)}`,
        ...commandResultLines(e.data),
      )
  }

  return lines.join('\n')
}
