import type {TimelineEvent} from './chain.js'
import {stepEvents} from '../playbooks/steps/index.js'
import {str} from '../playbooks/values.js'
import {formatUtc, toIsoDuration} from './time.js'

/** The vantages a fleet alert event names, as " from a, b". */
function fleetVantages(d: Record<string, unknown>): string {
  const v = Array.isArray(d.vantages) ? d.vantages.map(str) : []
  return v.length > 0 ? ` from ${v.join(', ')}` : ''
}

/** One line of plain text for a timeline event (no colour, no markup). */
export function describeEvent(e: TimelineEvent): string {
  const own = stepEvents().get(e.type)
  if (own) return own.describe(e.data, e)
  return (
    describeIncident(e) ??
    describeSignal(e) ??
    describeClock(e) ??
    describeWalk(e) ??
    describeExercise(e) ??
    `${e.type} ${str(e.data)}`
  )
}

/** The incident itself: opening, playbook, state, severity, roles, notes, seal. */
function describeIncident(e: TimelineEvent): string | undefined {
  const d = e.data
  switch (e.type) {
    case 'incident_opened': {
      return `Incident opened: "${str(d.title)}" (${str(d.severity)}${d.service ? `, ${str(d.service)}` : ''})`
    }

    case 'playbook_attached': {
      return `Playbook attached: ${str(d.name)} (${str(d.id)})`
    }

    case 'state_changed': {
      return `State ${str(d.from)} → ${str(d.to)}${d.reason ? ` (${str(d.reason)})` : ''}`
    }

    case 'severity_changed': {
      return `Severity ${str(d.from)} → ${str(d.to)}`
    }

    case 'role_assigned': {
      return `${str(d.role)}: ${str(d.person)}${d.previous ? ` (was ${str(d.previous)})` : ''}`
    }

    case 'note': {
      return str(d.text)
    }

    case 'seal': {
      return `Sealed: event ${str(d.seq)} (head ${str(d.head).slice(0, 12)}…) signed by ${str(d.key).slice(0, 19)}…`
    }

    default: {
      return undefined
    }
  }
}

/** Evidence from checks and Alertmanager, and what became of it. */
function describeSignal(e: TimelineEvent): string | undefined {
  const d = e.data
  switch (e.type) {
    case 'evidence_attached': {
      return d.kind === 'fleet_alert'
        ? `Alert ${str(d.alertname)} ${str(d.status)}${fleetVantages(d)}: ${str(d.summary)}`
        : `Evidence: check ${str(d.checkId)} was ${str(d.status)}: ${str(d.summary)}`
    }

    case 'fleet_alert_resolved': {
      return `Alert ${str(d.alertname)} resolved${fleetVantages(d)}: ${str(d.summary)}`
    }

    case 'fleet_recovered': {
      return 'Alertmanager: every alert of the group resolved (the incident stays open until a person resolves it)'
    }

    case 'fleet_failing_again': {
      return `Alertmanager: the group is firing again${fleetVantages(d)}`
    }

    case 'fleet_alert_repeated': {
      return `Alertmanager repeated the group (${str(d.status)}, delivery ${str(d.deliveries)})${fleetVantages(d)}`
    }

    case 'check_recovered': {
      return `Check ${str(d.checkId)} recovered (${str(d.state)}): ${str(d.summary)}`
    }

    case 'check_failing_again': {
      return `Check ${str(d.checkId)} is failing again (${str(d.status)}): ${str(d.summary)}`
    }

    default: {
      return undefined
    }
  }
}

/** Notification clocks. */
function describeClock(e: TimelineEvent): string | undefined {
  const d = e.data
  switch (e.type) {
    case 'clock_started': {
      return `Clock ${str(d.name)} started; due ${formatUtc(Number(d.dueAt))}${d.to ? ` (${str(d.to)})` : ''}`
    }

    case 'clock_warned': {
      return `Clock ${str(d.name)}: ${toIsoDuration(Number(d.remainingMs))} left`
    }

    case 'clock_breached': {
      return `Clock ${str(d.name)} deadline passed`
    }

    case 'clock_stopped': {
      return `Clock ${str(d.name)} stopped: ${stopWord(e)}${d.reason ? ` (${str(d.reason)})` : ''}`
    }

    case 'clock_restarted': {
      return `Clock ${str(d.name)} restarted; next due ${formatUtc(Number(d.dueAt))}${d.previousDueAt === undefined ? '' : ` (the update was ${e.occurredAt <= Number(d.previousDueAt) ? 'on_time' : 'late'} against ${formatUtc(Number(d.previousDueAt))})`}`
    }

    case 'clock_adjusted': {
      return `Clock ${str(d.name)} ${str(d.field)} corrected from ${formatUtc(Number(d.from))} to ${formatUtc(Number(d.to))}${d.dueAt === undefined ? '' : `; due ${formatUtc(Number(d.dueAt))}`}: ${str(d.reason)}`
    }

    default: {
      return undefined
    }
  }
}

/** Playbook walks. */
function describeWalk(e: TimelineEvent): string | undefined {
  const d = e.data
  switch (e.type) {
    case 'walk_started': {
      return `Playbook walk started at ${str(d.step)}`
    }

    case 'walk_completed': {
      return 'Playbook walk reached its end'
    }

    case 'step_started': {
      return `Step ${str(d.step)} started${d.name ? `: ${str(d.name)}` : ''}`
    }

    case 'step_completed': {
      return `Step ${str(d.step)} completed${d.next ? ` → ${str(d.next)}` : ''}`
    }

    case 'variable_recorded': {
      return `${str(d.name)} = ${d.value === null ? '(not known yet)' : str(d.value)}${d.from === 'check' ? ` (the ${str(d.fact)} of check ${str(d.checkId)})` : ''}`
    }

    default: {
      return undefined
    }
  }
}

/** Exercises. */
function describeExercise(e: TimelineEvent): string | undefined {
  const d = e.data
  switch (e.type) {
    case 'exercise_started': {
      return `Exercise ${str(d.exerciseId)} started: ${str(d.title)} (scenario ${str(d.scenario)}, compression ${str(d.compression)}×)`
    }

    case 'inject_released': {
      return `Inject ${str(d.inject)} (${str(d.kind)}, T+${str(d.offset)}): ${str(d.text)}`
    }

    case 'inject_answered': {
      return `Answer to inject ${str(d.inject)}: ${str(d.text)}`
    }

    case 'action_recorded': {
      return `Lessons-learned action: ${str(d.text)} (owner ${str(d.owner)}, due ${str(d.due)})`
    }

    case 'estate_check_changed': {
      return `Exercise check ${str(d.checkId)} ${str(d.from)} → ${str(d.to)}${d.fault ? ` (fault ${str(d.fault)} on ${str(d.service)})` : ''}: ${str(d.summary)}`
    }

    case 'exercise_ended': {
      return `Exercise ${str(d.exerciseId)} ended${d.reason ? ` (${str(d.reason)})` : ''}`
    }

    default: {
      return undefined
    }
  }
}

/** A clock_stopped event's outcome as recorded: on_time / late for a notification, else the outcome itself. */
function stopWord(e: TimelineEvent): string {
  const outcome = typeof e.data.outcome === 'string' ? e.data.outcome : 'notified'
  if (outcome !== 'notified') return outcome
  return e.occurredAt <= Number(e.data.dueAt) ? 'notified, on_time' : 'notified, late'
}

/** Event types that record a decision (for the review's Decisions section). */
export const DECISION_TYPES: ReadonlySet<string> = new Set([
  ...[...stepEvents()].filter(([, x]) => x.decision).map(([type]) => type),
  'severity_changed',
  'state_changed',
])
