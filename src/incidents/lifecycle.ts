import {UserError} from '../errors.js'

export const STATES = ['triage', 'active', 'mitigated', 'resolved', 'closed', 'declined', 'merged'] as const
export type IncidentState = (typeof STATES)[number]

/** Allowed moves. No skipping: triage cannot jump to resolved (Rootly validates the same way). */
export const TRANSITIONS: Readonly<Record<IncidentState, readonly IncidentState[]>> = {
  triage: ['active', 'declined', 'merged'],
  active: ['mitigated', 'resolved', 'merged'],
  mitigated: ['active', 'resolved'],
  resolved: ['closed', 'active'],
  closed: [],
  declined: ['triage'],
  merged: [],
}

/** States in which an incident still needs attention. */
export const OPEN_STATES: readonly IncidentState[] = ['triage', 'active', 'mitigated']

export function isState(s: string): s is IncidentState {
  return (STATES as readonly string[]).includes(s)
}

/** Throws a UserError naming the allowed moves when `from → to` is not one. */
export function assertTransition(from: string, to: string): void {
  if (!isState(to))
    throw new UserError(`Unknown state "${to}".`, {hint: `States: ${STATES.join(', ')}.`, code: 'E_STATE', exit: 2})
  if (!isState(from)) throw new UserError(`The incident is in an unknown state "${from}".`, {code: 'E_STATE'})
  if (from === to) throw new UserError(`The incident is already ${to}.`, {code: 'E_TRANSITION'})
  const allowed = TRANSITIONS[from]
  if (!allowed.includes(to)) {
    throw new UserError(`Cannot move an incident from ${from} to ${to}.`, {
      hint: allowed.length > 0 ? `From ${from} it can move to: ${allowed.join(', ')}.` : `${from} is final.`,
      code: 'E_TRANSITION',
    })
  }
}

export const DEFAULT_SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const

/** Matches a severity against a scale case-insensitively and returns the scale's spelling. */
export function normaliseSeverity(value: string, scale: readonly string[] = DEFAULT_SEVERITIES): string {
  const found = scale.find(
    (s) =>
      s.toLowerCase() === value.trim().toLowerCase() ||
      s.toLowerCase().replaceAll(/[-_ ]/g, '') === value.trim().toLowerCase().replaceAll(/[-_ ]/g, ''),
  )
  if (!found)
    throw new UserError(`Unknown severity "${value}".`, {
      hint: `Use one of: ${scale.join(', ')}.`,
      code: 'E_SEVERITY',
      exit: 2,
    })
  return found
}
