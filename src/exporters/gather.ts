import type {DB} from '../store/db.js'
import type {ExportInput} from './input.js'
import {clockDefsFor, incidentPlaybook, incidentSummary} from '../incidents/service.js'
import {playbookClocks} from '../playbooks/model.js'
import {recentResults} from '../store/results.js'

/**
 * The incident window the chart is fitted to: from a lead before the earliest moment (the start of the linked
 * checks' failing run, evidence, a back-dated note) to the resolution, close or export time, plus a short tail
 * after a resolution so recovery shows. Lead and tail scale with the incident (a quarter and a tenth), within bounds.
 */
export function incidentWindow(
  s: {openedAt: number; resolvedAt?: number | null; closedAt?: number | null},
  earliest: number | undefined,
  now: number,
): {from: number; to: number} {
  const start = Math.min(s.openedAt, earliest ?? s.openedAt)
  const end = s.resolvedAt ?? s.closedAt ?? now
  const span = Math.max(0, end - start)
  const lead = Math.min(60 * 60_000, Math.max(5 * 60_000, span / 4))
  const tail = end === now ? 0 : Math.min(30 * 60_000, Math.max(2 * 60_000, span / 10))
  return {from: Math.round(start - lead), to: Math.round(Math.min(now, end + tail))}
}

/** How far back the failing run that led to an incident is looked for. */
const ONSET_LOOKBACK_MS = 24 * 60 * 60_000

/** When a check's failing run that was under way at `at` began: its first not-ok result after the last ok one. */
function failingSince(db: DB, checkId: string, at: number): number | undefined {
  let since: number | undefined
  for (const r of recentResults(db, checkId, {since: at - ONSET_LOOKBACK_MS, until: at, limit: 10_000})) {
    if (r.status === 'ok') break
    since = r.ts
  }

  return since
}

/** Reads what the exporters need: the incident, its timeline, its playbook, and its checks' results over the window. */
export function gatherExport(db: DB, id: number, now: number): ExportInput {
  const {row, events, summary} = incidentSummary(db, id)
  const onsets = summary.checks
    .map((c) => failingSince(db, c, summary.openedAt))
    .filter((t): t is number => t !== undefined)
  const window = incidentWindow(summary, Math.min(summary.openedAt, ...events.map((e) => e.occurredAt), ...onsets), now)
  const results = summary.checks.flatMap((c) =>
    recentResults(db, c, {since: window.from, until: window.to, limit: 10_000}).reverse(),
  )
  const playbook = incidentPlaybook(row)
  const defs = playbook ? clockDefsFor(playbook) : undefined
  const clockDefs =
    playbook && defs
      ? playbookClocks(playbook)
          .map((n) => defs.get(n))
          .filter((d) => d !== undefined)
      : undefined
  return {summary, events, playbook, clockDefs, results, window, now}
}
