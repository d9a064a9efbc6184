/**
 * Notification reports (`incident report ID --for ico|dspt|nis|alert`): the text a responder submits, pre-filled
 * from the timeline, and what is still missing. Plain values only; src/exporters/notification.ts renders them.
 * Where and how to notify comes from shared/reference/incident-response.md §3 and nhs-services.md §3.
 */
import {type AssessmentResult, ART33_FACTS, GRID, NIS_RULE, UNVERIFIED} from '../playbooks/assessment.js'
import type {TimelineEvent} from './chain.js'
import {clockSummaries} from './clocks.js'
import type {IncidentSummary} from './service.js'

export const REPORT_TARGETS = ['ico', 'dspt', 'nis', 'alert'] as const
export type ReportFor = (typeof REPORT_TARGETS)[number]

export interface ReportField {
  key: string
  label: string
  /** The article or rule it answers, e.g. Art. 33(3)(a). */
  ref?: string
  value: string | number | boolean | null
  /** A required field without a value is listed under missing. */
  required?: boolean
  /** Where on the timeline it came from (step and time), when it did. */
  from?: {step?: string; at: number; seq: number}
}

export interface ReportSection {
  title: string
  fields: ReportField[]
}

export interface ReportClock {
  name: string
  to?: string
  startedAt: number
  dueAt: number
  stoppedAt?: number
  outcome: string
  reason?: string
}

export interface NotificationReport {
  for: ReportFor
  title: string
  incident: {id: number; title: string; severity: string; state: string; service?: string; openedAt: number}
  /** Who receives it, and through what. */
  to: string
  /** Where and how to submit, in order. */
  how: string[]
  /** The notification decision in a sentence; notifiable is null when nothing was assessed. */
  decision: {notifiable: boolean | null; text: string}
  sections: ReportSection[]
  clocks: ReportClock[]
  missing: {key: string; label: string; ref?: string}[]
  notes: string[]
  generatedAt: number
}

interface Recorded {
  value: string | number | boolean | null
  step?: string
  at: number
  seq: number
}

/** The latest value of each variable on the timeline (a null records "not known yet"). */
function recordedVars(events: readonly TimelineEvent[]): Map<string, Recorded> {
  const out = new Map<string, Recorded>()
  for (const e of events) {
    if (e.type !== 'variable_recorded') continue
    const d = e.data
    out.set(String(d.name), {value: (d.value ?? null) as Recorded['value'], step: d.step as string | undefined, at: e.occurredAt, seq: e.seq})
  }
  return out
}

function latestAssessment(events: readonly TimelineEvent[]): (AssessmentResult & {step?: string; at: number}) | undefined {
  const e = events.filter((x) => x.type === 'assessment_recorded').at(-1)
  return e ? {...(e.data as unknown as AssessmentResult & {step?: string}), at: e.occurredAt} : undefined
}

const DSPT = 'the DSPT incident reporting tool (www.dsptoolkit.nhs.uk)'
const CSOC = 'Urgent cyber incidents: tell the National Cyber Security Operations Centre (CSOC) on 0300 303 5222 (24/7, every day of the year) or log a ServiceNow ticket; say whether the report is "informational" or a "request for technical support".'

const ROUTES: Record<ReportFor, {title: string; to: string; how: string[]; clocks: string[]}> = {
  ico: {
    title: 'Personal data breach notification to the ICO (UK GDPR Art. 33)',
    to: 'ICO, through the DSPT incident reporting tool, which also notifies the ICO',
    how: [
      `Submit it on ${DSPT}; health and care organisations report there and the tool notifies the ICO.`,
      'Within 72 hours of becoming aware of the breach (UK GDPR Art. 33(1)); weekends and bank holidays count.',
      'Report even if not all the information is available yet, and add the rest as it becomes known (Art. 33(4) allows it in phases).',
      'If the breach is not notified, keep the reasoning with the breach record (Art. 33(5)).',
    ],
    clocks: ['ico_72h'],
  },
  dspt: {
    title: 'Incident report for the DSPT incident reporting tool',
    to: 'DSPT incident reporting tool: notifies the ICO and, for NIS incidents, DHSC as competent authority',
    how: [
      `Submit it on ${DSPT}; partial information is acceptable within the 72 hours, and can be updated.`,
      'The NHS Digital DSPT webinar (2018) describes one integrated GDPR and NIS notification through the tool; how NIS reports are routed since then is not verified.',
      CSOC,
    ],
    clocks: ['ico_72h', 'nis_72h'],
  },
  nis: {
    title: 'NIS incident notification (NIS Regulations 2018)',
    to: 'DHSC, the NIS competent authority for health in England, through the DSPT incident reporting tool',
    how: [
      `Submit it on ${DSPT} within 72 hours of becoming aware of an incident with significant impact on the continuity of the essential service.`,
      `Applies to designated operators of essential services only: ${NIS_RULE.oesList}.`,
      CSOC,
    ],
    clocks: ['nis_72h'],
  },
  alert: {
    title: 'Response to an NHS high-severity cyber alert',
    to: 'NHS England, through the Respond to an NHS cyber alert service (digital.nhs.uk/services/respond-to-an-nhs-cyber-alert)',
    how: [
      'Record the response within 48 hours of the alert being issued: acknowledge it (status becomes "in progress"), then state applicability.',
      'Record remediation actions; the service sets the next update due within 3 days, and each update sets a new due date.',
      'Close the response once remediation is finished.',
    ],
    clocks: ['nhs_alert_48h', 'nhs_alert_update_3d', 'alert_update_3d'],
  },
}

/** Builds the report for one recipient from an incident's timeline. */
export function notificationReport(summary: Pick<IncidentSummary, 'id' | 'title' | 'severity' | 'state' | 'service' | 'openedAt'>,
  events: readonly TimelineEvent[], target: ReportFor, now: number): NotificationReport {
  const vars = recordedVars(events)
  const assessment = latestAssessment(events)
  const route = ROUTES[target]
  const clockNames = new Set(route.clocks)
  if (assessment?.ico && (target === 'ico' || target === 'dspt')) clockNames.add(assessment.ico.clock)
  if (assessment?.nis && (target === 'nis' || target === 'dspt')) clockNames.add(assessment.nis.clock)
  const clocks: ReportClock[] = clockSummaries(events, now).filter((c) => clockNames.has(c.name))
  const missing: NotificationReport['missing'] = []
  const field = (key: string, label: string, ref?: string, required = true): ReportField => {
    const r = vars.get(key)
    const value = r?.value ?? null
    if (required && (value === null || value === '')) missing.push({key, label, ...(ref ? {ref} : {})})
    return {key, label, ...(ref ? {ref} : {}), value, required, ...(r ? {from: {step: r.step, at: r.at, seq: r.seq}} : {})}
  }
  const fixed = (key: string, label: string, value: ReportField['value']): ReportField => ({key, label, value})
  const clock = (name: string) => clocks.find((c) => c.name === name)
  const timing = (name: string, startLabel: string): ReportField[] => {
    const c = clock(name)
    if (!c) {
      missing.push({key: name, label: `${startLabel} (clock ${name} not started; start it with \`incident clock\`)`})
      return [fixed(`${name}.startedAt`, startLabel, null)]
    }
    return [fixed(`${name}.startedAt`, startLabel, new Date(c.startedAt).toISOString()), fixed(`${name}.dueAt`, 'Due by', new Date(c.dueAt).toISOString()),
      fixed(`${name}.outcome`, 'Clock', c.outcome + (c.reason ? ` (${c.reason})` : ''))]
  }
  const sections: ReportSection[] = []
  const incident: ReportSection = {title: 'Incident', fields: [fixed('incident.id', 'Incident', summary.id), fixed('incident.title', 'Title', summary.title),
    fixed('incident.severity', 'Severity', summary.severity), fixed('incident.opened', 'Opened (detected)', new Date(summary.openedAt).toISOString()),
    ...(summary.service ? [fixed('incident.service', 'Service', summary.service)] : [])]}
  sections.push(incident)

  const art33 = (): ReportSection => ({title: 'UK GDPR Art. 33(3)', fields: ART33_FACTS.map((f) => field(f.name, f.label, f.ref))})
  const gridSection = (): ReportSection | undefined => {
    if (!assessment?.grid) {
      missing.push({key: 'assessment', label: 'The DSPT likelihood × impact assessment (an assessment step has not been completed)'})
      return undefined
    }
    const g = assessment.grid
    return {title: 'DSPT grading', fields: [fixed('dspt_likelihood', 'Likelihood', g.likelihoodText), fixed('dspt_impact', 'Impact', g.impactText),
      fixed('ico_notifiable', 'Notifiable to the ICO', assessment.ico?.notifiable ?? null), fixed('assessment_reasoning', 'Reasoning', assessment.reasoning || null)]}
  }
  const nisSection = (): ReportSection => {
    const f = [field('nis_oes', 'Designated operator of essential services (OES)', 'NIS Regulations 2018')]
    if (vars.get('nis_oes')?.value !== false) f.push(field('nis_significant_impact', 'Significant impact on the continuity of the essential service', 'NIS Regulations 2018'))
    if (assessment?.nis) f.push(fixed('nis_notifiable', 'NIS notification required', assessment.nis.notifiable), fixed('assessment_reasoning', 'Reasoning', assessment.reasoning || null))
    return {title: 'NIS', fields: f}
  }

  let decision: NotificationReport['decision']
  switch (target) {
    case 'ico': {
      const g = gridSection()
      decision = !assessment?.ico ? {notifiable: null, text: 'Not assessed yet: no assessment step has decided whether this breach is notifiable to the ICO.'}
        : assessment.ico.notifiable ? {notifiable: true, text: `Notifiable to the ICO: ${assessment.ico.because}.`}
        : {notifiable: false, text: `Not notifiable to the ICO: ${assessment.ico.because}. No ICO notification is needed; keep this record with the breach log (Art. 33(5)).`}
      sections.push({title: 'Timing', fields: timing(assessment?.ico?.clock ?? 'ico_72h', 'Became aware')})
      if (g) sections.push(g)
      sections.push(art33())
      break
    }
    case 'nis': {
      decision = !assessment?.nis ? {notifiable: null, text: 'Not assessed yet: no assessment step has decided whether NIS notification is required.'}
        : assessment.nis.notifiable ? {notifiable: true, text: `NIS notification required: ${assessment.nis.because}.`}
        : {notifiable: false, text: `NIS notification not required: ${assessment.nis.because}.`}
      if (!assessment?.nis) missing.push({key: 'assessment', label: 'The NIS assessment (an assessment step with assess: [nis] has not been completed)'})
      sections.push(nisSection())
      if (assessment?.nis?.notifiable !== false) sections.push({title: 'Timing', fields: timing(assessment?.nis?.clock ?? 'nis_72h', 'Became aware')})
      sections.push({title: 'The incident', fields: [field('breach_nature', 'What happened', undefined, false), field('measures_taken', 'Measures taken or proposed')]})
      break
    }
    case 'dspt': {
      const on = [assessment?.ico?.notifiable ? 'the ICO' : '', assessment?.nis?.notifiable ? 'DHSC (NIS)' : ''].filter(Boolean)
      decision = !assessment ? {notifiable: null, text: 'Not assessed yet: no assessment step has been completed.'}
        : on.length > 0 ? {notifiable: true, text: `Notifiable to ${on.join(' and ')}.${assessment.ico && !assessment.ico.notifiable ? ` Not to the ICO: ${assessment.ico.because}.` : ''}${assessment.nis && !assessment.nis.notifiable ? ` NIS not required: ${assessment.nis.because}.` : ''}`}
        : {notifiable: false, text: `Nothing notifiable: ${[assessment.ico?.because, assessment.nis?.because].filter(Boolean).join('; ')}. Record the incident and the reasoning.`}
      // A NIS-only assessment (no personal data in scope) leaves out the ICO parts.
      const icoScope = !assessment || assessment.ico !== undefined
      const g = icoScope ? gridSection() : undefined
      sections.push({title: 'Timing', fields: [...(icoScope ? timing(assessment?.ico?.clock ?? 'ico_72h', 'Became aware (personal data breach)') : []),
        ...(assessment?.nis?.notifiable ? timing(assessment.nis.clock, 'Became aware (NIS incident)') : [])]})
      if (g) sections.push(g)
      if (icoScope) sections.push(art33())
      if (assessment?.nis) sections.push(nisSection())
      sections.push({title: 'References', fields: [field('dspt_ref', 'DSPT reference', undefined, false), field('csoc_ref', 'National CSOC reference', undefined, false)]})
      break
    }
    case 'alert': {
      const applicable = vars.get('applicable')?.value
      decision = applicable === undefined || applicable === null ? {notifiable: true, text: 'A response is due on the Respond to an NHS cyber alert service; applicability is not recorded yet.'}
        : {notifiable: true, text: `A response is due on the Respond to an NHS cyber alert service; applicability recorded: ${String(applicable)}.`}
      sections.push({title: 'Alert', fields: [field('alert_ref', 'Alert reference (e.g. cc-4686)'), ...timing('nhs_alert_48h', 'Alert issued')]})
      const update = clocks.find((c) => c.name === 'nhs_alert_update_3d' || c.name === 'alert_update_3d')
      sections.push({title: 'Response', fields: [field('applicable', 'Applicability'),
        ...(applicable === 'no' ? [field('not_applicable_reason', 'Evidence that it does not apply')] : [field('affected_assets', 'Affected systems and their owners')]),
        field('remediated', 'Remediation finished', undefined, false),
        ...(update ? [fixed(`${update.name}.dueAt`, 'Next update due', new Date(update.dueAt).toISOString()), fixed(`${update.name}.outcome`, 'Update clock', update.outcome)] : [])]})
      break
    }
  }
  const notes: string[] = []
  if ((target === 'ico' || target === 'dspt') && assessment?.grid) notes.push(`DSPT grid (${GRID.name}): ${GRID.icoRule.text}.`, ...UNVERIFIED.map((u) => `Unverified: ${u}.`))
  if (target === 'ico' || target === 'dspt') {
    notes.push('Missing facts do not stop a notification: submit within the 72 hours and add them in phases (Art. 33(4)).')
    const ico = clock(assessment?.ico?.clock ?? 'ico_72h')
    if (ico && (ico.outcome === 'overdue' || ico.outcome === 'late')) notes.push(`The ICO clock is ${ico.outcome}: a notification made after 72 hours must give the reasons for the delay (Art. 33(1)).`)
  }
  return {for: target, title: route.title, incident: {id: summary.id, title: summary.title, severity: summary.severity, state: summary.state,
    ...(summary.service ? {service: summary.service} : {}), openedAt: summary.openedAt}, to: route.to, how: route.how, decision, sections, clocks,
  missing: [...new Map(missing.map((m) => [m.key, m])).values()], notes, generatedAt: now}
}
