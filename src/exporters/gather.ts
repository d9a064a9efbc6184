import {incidentPlaybook, incidentSummary} from '../incidents/service.js'
import type {DB} from '../store/db.js'
import {recentResults} from '../store/results.js'
import type {ExportInput} from './input.js'

/**
 * The incident window the chart is fitted to: from a lead before the earliest event (evidence, a back-dated note) to the
 * resolution, close or export time, plus a short tail after a resolution so recovery shows. The lead and tail
 * scale with the incident's length (a quarter and a tenth of it), within bounds.
 */
export function incidentWindow(s: {openedAt: number; resolvedAt?: number | null; closedAt?: number | null}, earliest: number | undefined, now: number): {from: number; to: number} {
  const start = Math.min(s.openedAt, earliest ?? s.openedAt)
  const end = s.resolvedAt ?? s.closedAt ?? now
  const span = Math.max(0, end - start)
  const lead = Math.min(60 * 60_000, Math.max(5 * 60_000, span / 4))
  const tail = end === now ? 0 : Math.min(30 * 60_000, Math.max(2 * 60_000, span / 10))
  return {from: Math.round(start - lead), to: Math.round(Math.min(now, end + tail))}
}

/** Reads what the exporters need: the incident, its timeline, its playbook, and its checks' results over the window. */
export function gatherExport(db: DB, id: number, now: number): ExportInput {
  const {row, events, summary} = incidentSummary(db, id)
  const window = incidentWindow(summary, events.length > 0 ? Math.min(...events.map((e) => e.occurredAt)) : undefined, now)
  const results = summary.checks.flatMap((c) => recentResults(db, c, {since: window.from, until: window.to, limit: 10_000}).reverse())
  return {summary, events, playbook: incidentPlaybook(row), results, window, now}
}
