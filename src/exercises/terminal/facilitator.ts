/** Edge code of the exercises wing: the facilitator's view, one line per inject and per timeline event. */
import chalk from 'chalk'

import type {Scenario} from '../model.js'
import type {FacilitatorEvent} from '../run.js'
import {describeEvent} from '../../incidents/describe.js'
import {termText as t} from '../../ui/terminal-text.js'
import {formatDuration} from '../../util/duration.js'

/** `T+01:12:00`: scenario time, hours, minutes and seconds. */
export function scenarioClock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const p = (n: number) => String(n).padStart(2, '0')
  return `T+${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`
}

const KIND_COLOUR: Record<string, (s: string) => string> = {
  message: chalk.cyan,
  question: chalk.magenta,
  alert: chalk.red,
  fault: chalk.red,
  recover: chalk.green,
}
/** Events the view prints in its own way (or not at all). */
const OWN = new Set(['inject_released', 'exercise_started', 'seal'])

export function facilitatorLines(e: FacilitatorEvent, s: Scenario, compression: number): string[] {
  const role = (actor: string) => s.participants.find((p) => p.name === actor)?.role
  const when = (realMs: number) =>
    `${scenarioClock(realMs * compression)} ${chalk.dim(`(real ${(realMs / 1000).toFixed(1)}s)`)}`
  switch (e.kind) {
    case 'started': {
      return [
        chalk.bold(`${t(`EXERCISE ${e.exerciseId}: ${s.title}`)}`) +
          chalk.dim(
            ` (${s.exercise_type}, compression ${e.compression}×: 72 h of clock runs in ${formatDuration(Math.round((72 * 3_600_000) / e.compression))})`,
          ),
        ...e.endpoints.map((x) => chalk.dim(`  estate ${x.id} (${x.kind}): ${x.url}`)),
        chalk.dim(`  checks: ${e.catalogue}`),
        chalk.dim(`  participants: ${s.participants.map((p) => `${t(p.name)} (${p.role})`).join(', ')}`),
      ]
    }

    case 'inject': {
      const i = e.inject
      const colour = KIND_COLOUR[i.kind] ?? ((x: string) => x)
      const target =
        i.kind === 'fault' ? ` [${i.fault} on ${i.target}]` : i.kind === 'recover' ? ` [${i.target} recovers]` : ''
      return [
        `${when(e.realMs)}  ${colour(i.kind.toUpperCase())} ${t(i.id)}${target}${i.to ? chalk.dim(` → ${i.to.join(', ')}`) : ''}: ${t(i.text)}`,
      ]
    }

    case 'incident': {
      return [
        `${chalk.bgRed.white(' INCIDENT ')} ${e.incidentId} opened: ${t(e.title)}. Participants: watchkeeper incident respond ${e.incidentId} --actor NAME`,
      ]
    }

    case 'timeline': {
      if (OWN.has(e.event.type)) return []
      const r = role(e.event.actor)
      return [
        `${when(e.realMs)}  ${chalk.yellow(t(e.event.actor))}${r ? chalk.dim(` (${r})`) : ''}  ${t(describeEvent(e.event))}`,
      ]
    }

    case 'log': {
      return e.entry.level === 'error' ? [chalk.dim(`  watch ${e.entry.level}: ${t(e.entry.msg)}`)] : []
    }

    case 'waiting': {
      return [
        chalk.dim(
          `  next: ${e.next.id} (${e.next.kind}, ${e.next.at}); press Enter or run \`watchkeeper exercise inject ID\` to release it`,
        ),
      ]
    }

    case 'ended': {
      return [
        chalk.bold(`Exercise ${e.exerciseId} ended: ${t(e.reason)}.`) +
          ` Incident ${e.incidentId}. Evidence pack: watchkeeper exercise report ${e.exerciseId} --format md`,
      ]
    }
  }
}
