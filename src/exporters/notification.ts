import type {NotificationReport, ReportField} from '../incidents/notification.js'
import {formatUtc} from '../incidents/time.js'
import {mdCell} from './markdown.js'

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())

function valueText(f: ReportField): string {
  if (f.value === null || f.value === '') return f.required === false ? 'not recorded' : '**missing**'
  if (typeof f.value === 'boolean') return f.value ? 'yes' : 'no'
  if (typeof f.value === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(f.value)) return formatUtc(Date.parse(f.value))
  return mdCell(f.value)
}

/** The report as Markdown, ready to paste into the form: decision, what is missing, then the fields. */
export function notificationMarkdown(r: NotificationReport): string {
  const L: string[] = [`# ${r.title}`, '', `Incident ${r.incident.id}: ${mdCell(r.incident.title)}`, '']
  L.push(`**To:** ${mdCell(r.to)}`, '', `**Decision:** ${mdCell(r.decision.text)}`, '')
  if (r.missing.length === 0) L.push('**Still missing:** nothing.', '')
  else {
    L.push(`**Still missing (${r.missing.length}):**`, '')
    for (const m of r.missing) L.push(`- ${m.ref ? `${m.ref} ` : ''}${mdCell(m.label)} (\`${m.key}\`)`)
    L.push('')
  }

  for (const s of r.sections) {
    L.push(`## ${s.title}`, '', '| | |', '|---|---|')
    for (const f of s.fields) L.push(`| ${f.ref ? `${mdCell(f.ref)}: ` : ''}${mdCell(f.label)} | ${valueText(f)} |`)
    L.push('')
  }

  L.push('## How to submit', '', ...r.how.map((h) => `- ${mdCell(h)}`), '')
  if (r.notes.length > 0) L.push('## Notes', '', ...r.notes.map((n) => `- ${mdCell(n)}`), '')
  L.push(`Generated ${formatUtc(r.generatedAt)} from the incident timeline by watchkeeper.`, '')
  return L.join('\n')
}

/** The report for --json: the same content with ISO 8601 UTC times. */
export function notificationJson(r: NotificationReport): Record<string, unknown> {
  return {
    for: r.for,
    title: r.title,
    incident: {...r.incident, openedAt: iso(r.incident.openedAt)},
    to: r.to,
    how: r.how,
    decision: r.decision,
    sections: r.sections.map((s) => ({
      title: s.title,
      fields: s.fields.map((f) => ({...f, ...(f.from ? {from: {...f.from, at: iso(f.from.at)}} : {})})),
    })),
    clocks: r.clocks.map((c) => ({
      name: c.name,
      to: c.to ?? null,
      startedAt: iso(c.startedAt),
      dueAt: iso(c.dueAt),
      stoppedAt: iso(c.stoppedAt),
      outcome: c.outcome,
      reason: c.reason ?? null,
    })),
    missing: r.missing,
    notes: r.notes,
    generatedAt: iso(r.generatedAt),
  }
}
