import {clockDefsFor, incidentPlaybook, incidentSummary} from '../incidents/service.js'
import {playbookClocks} from '../playbooks/model.js'
import type {DB} from '../store/db.js'
import {recentResults} from '../store/results.js'
import type {ExportInput} from './input.js'

/** How far before the incident opened the chart starts. */
export const WINDOW_LEAD_MS = 60 * 60_000

/** Reads what the exporters need: the incident, its timeline, its playbook, and its checks' results over the window. */
export function gatherExport(db: DB, id: number, now: number): ExportInput {
  const {row, events, summary} = incidentSummary(db, id)
  const from = Math.min(summary.openedAt, ...events.map((e) => e.occurredAt)) - WINDOW_LEAD_MS
  const to = summary.closedAt ?? summary.resolvedAt ?? now
  const results = summary.checks.flatMap((c) => recentResults(db, c, {since: from, until: to, limit: 10_000}).reverse())
  const playbook = incidentPlaybook(row)
  const defs = playbook ? clockDefsFor(playbook) : undefined
  const clockDefs = playbook && defs ? playbookClocks(playbook).map((n) => defs.get(n)).filter((d) => d !== undefined) : undefined
  return {summary, events, playbook, clockDefs, results, window: {from, to}, now}
}
