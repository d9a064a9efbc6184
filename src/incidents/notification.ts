import type {TimelineEvent} from './chain.js'
import type {IncidentSummary} from './service.js'
/**
 * Notification reports (`incident report ID --for ico|dspt|nis|alert`): the text a responder submits, pre-filled
 * from the timeline, and what is still missing. Plain values only; src/exporters/notification.ts renders them.
 * Where and how to notify comes from shared/reference/incident-response.md §3 and nhs-services.md §3.
 */
import {ART33_FACTS, type AssessmentResult, GRID, NIS_RULE, UNVERIFIED} from '../playbooks/assessment.js'
import {clockSummaries} from './clocks.js'
import {type IncidentEvent, ofType, readable} from './events.js'

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

function scalar(v: unknown): Recorded['value'] {
  if (v === undefined || v === null) return null
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v)
}

/** The latest value of each variable on the timeline (a null records "not known yet"). */
function recordedVars(events: readonly IncidentEvent[]): Map<string, Recorded> {
  const out = new Map<string, Recorded>()
  for (const e of ofType(events, 'variable_recorded'))
    out.set(e.data.name, {value: scalar(e.data.value), step: e.data.step, at: e.occurredAt, seq: e.seq})
  return out
}

type Assessment = AssessmentResult & {step?: string; at: number}

function latestAssessment(events: readonly IncidentEvent[]): Assessment | undefined {
  const e = ofType(events, 'assessment_recorded').at(-1)
  // The assessment step writes its AssessmentResult as the event's data (src/playbooks/assessment.ts).
  return e ? {...(e.data as unknown as AssessmentResult & {step?: string}), at: e.occurredAt} : undefined
}

const DSPT = 'the DSPT incident reporting tool (www.dsptoolkit.nhs.uk)'
const CSOC =
  'Urgent cyber incidents: tell the National Cyber Security Operations Centre (CSOC) on 0300 303 5222 (24/7, every day of the year) or log a ServiceNow ticket; say whether the report is "informational" or a "request for technical support".'

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

/** What the sections of a report are built from, and the missing facts they find, in the order found. */
class ReportParts {
  readonly missing: NotificationReport['missing'] = []

  constructor(
    readonly vars: Map<string, Recorded>,
    readonly assessment: Assessment | undefined,
    readonly clocks: ReportClock[],
  ) {}

  field(key: string, label: string, ref?: string, required = true): ReportField {
    const r = this.vars.get(key)
    const value = r?.value ?? null
    if (required && (value === null || value === '')) this.missing.push({key, label, ...(ref ? {ref} : {})})
    return {
      key,
      label,
      ...(ref ? {ref} : {}),
      value,
      required,
      ...(r ? {from: {step: r.step, at: r.at, seq: r.seq}} : {}),
    }
  }

  fixed(key: string, label: string, value: ReportField['value']): ReportField {
    return {key, label, value}
  }

  clock(name: string): ReportClock | undefined {
    return this.clocks.find((c) => c.name === name)
  }

  timing(name: string, startLabel: string): ReportField[] {
    const c = this.clock(name)
    if (!c) {
      this.missing.push({
        key: name,
        label: `${startLabel} (clock ${name} not started; start it with \`incident clock\`)`,
      })
      return [this.fixed(`${name}.startedAt`, startLabel, null)]
    }

    return [
      this.fixed(`${name}.startedAt`, startLabel, new Date(c.startedAt).toISOString()),
      this.fixed(`${name}.dueAt`, 'Due by', new Date(c.dueAt).toISOString()),
      this.fixed(`${name}.outcome`, 'Clock', c.outcome + (c.reason ? ` (${c.reason})` : '')),
    ]
  }

  art33(): ReportSection {
    return {title: 'UK GDPR Art. 33(3)', fields: ART33_FACTS.map((f) => this.field(f.name, f.label, f.ref))}
  }

  grid(): ReportSection | undefined {
    const a = this.assessment
    if (!a?.grid) {
      this.missing.push({
        key: 'assessment',
        label: 'The DSPT likelihood × impact assessment (an assessment step has not been completed)',
      })
      return undefined
    }

    const g = a.grid
    return {
      title: 'DSPT grading',
      fields: [
        this.fixed('dspt_likelihood', 'Likelihood', g.likelihoodText),
        this.fixed('dspt_impact', 'Impact', g.impactText),
        this.fixed('ico_notifiable', 'Notifiable to the ICO', a.ico?.notifiable ?? null),
        this.fixed('assessment_reasoning', 'Reasoning', a.reasoning || null),
      ],
    }
  }

  nis(): ReportSection {
    const f = [this.field('nis_oes', 'Designated operator of essential services (OES)', 'NIS Regulations 2018')]
    if (this.vars.get('nis_oes')?.value !== false)
      f.push(
        this.field(
          'nis_significant_impact',
          'Significant impact on the continuity of the essential service',
          'NIS Regulations 2018',
        ),
      )
    const a = this.assessment
    if (a?.nis)
      f.push(
        this.fixed('nis_notifiable', 'NIS notification required', a.nis.notifiable),
        this.fixed('assessment_reasoning', 'Reasoning', a.reasoning || null),
      )
    return {title: 'NIS', fields: f}
  }
}

type Body = {decision: NotificationReport['decision']; sections: ReportSection[]}

function icoBody(p: ReportParts): Body {
  const a = p.assessment
  const g = p.grid()
  const decision = a?.ico
    ? a.ico.notifiable
      ? {notifiable: true, text: `Notifiable to the ICO: ${a.ico.because}.`}
      : {
          notifiable: false,
          text: `Not notifiable to the ICO: ${a.ico.because}. No ICO notification is needed; keep this record with the breach log (Art. 33(5)).`,
        }
    : {
        notifiable: null,
        text: 'Not assessed yet: no assessment step has decided whether this breach is notifiable to the ICO.',
      }
  const sections = [{title: 'Timing', fields: p.timing(a?.ico?.clock ?? 'ico_72h', 'Became aware')}]
  if (g) sections.push(g)
  sections.push(p.art33())
  return {decision, sections}
}

function nisBody(p: ReportParts): Body {
  const a = p.assessment
  const decision = a?.nis
    ? a.nis.notifiable
      ? {notifiable: true, text: `NIS notification required: ${a.nis.because}.`}
      : {notifiable: false, text: `NIS notification not required: ${a.nis.because}.`}
    : {notifiable: null, text: 'Not assessed yet: no assessment step has decided whether NIS notification is required.'}
  if (!a?.nis)
    p.missing.push({
      key: 'assessment',
      label: 'The NIS assessment (an assessment step with assess: [nis] has not been completed)',
    })
  const sections = [p.nis()]
  if (a?.nis?.notifiable !== false)
    sections.push({title: 'Timing', fields: p.timing(a?.nis?.clock ?? 'nis_72h', 'Became aware')})
  sections.push({
    title: 'The incident',
    fields: [
      p.field('breach_nature', 'What happened', undefined, false),
      p.field('measures_taken', 'Measures taken or proposed'),
    ],
  })
  return {decision, sections}
}

function dsptBody(p: ReportParts): Body {
  const a = p.assessment
  const on = [a?.ico?.notifiable ? 'the ICO' : '', a?.nis?.notifiable ? 'DHSC (NIS)' : ''].filter(Boolean)
  const decision = a
    ? on.length > 0
      ? {
          notifiable: true,
          text: `Notifiable to ${on.join(' and ')}.${a.ico && !a.ico.notifiable ? ` Not to the ICO: ${a.ico.because}.` : ''}${a.nis && !a.nis.notifiable ? ` NIS not required: ${a.nis.because}.` : ''}`,
        }
      : {
          notifiable: false,
          text: `Nothing notifiable: ${[a.ico?.because, a.nis?.because].filter(Boolean).join('; ')}. Record the incident and the reasoning.`,
        }
    : {notifiable: null, text: 'Not assessed yet: no assessment step has been completed.'}
  // A NIS-only assessment (no personal data in scope) leaves out the ICO parts.
  const icoScope = !a || a.ico !== undefined
  const g = icoScope ? p.grid() : undefined
  const sections: ReportSection[] = [
    {
      title: 'Timing',
      fields: [
        ...(icoScope ? p.timing(a?.ico?.clock ?? 'ico_72h', 'Became aware (personal data breach)') : []),
        ...(a?.nis?.notifiable ? p.timing(a.nis.clock, 'Became aware (NIS incident)') : []),
      ],
    },
  ]
  if (g) sections.push(g)
  if (icoScope) sections.push(p.art33())
  if (a?.nis) sections.push(p.nis())
  sections.push({
    title: 'References',
    fields: [
      p.field('dspt_ref', 'DSPT reference', undefined, false),
      p.field('csoc_ref', 'National CSOC reference', undefined, false),
    ],
  })
  return {decision, sections}
}

function alertBody(p: ReportParts): Body {
  const applicable = p.vars.get('applicable')?.value
  const decision =
    applicable === undefined || applicable === null
      ? {
          notifiable: true,
          text: 'A response is due on the Respond to an NHS cyber alert service; applicability is not recorded yet.',
        }
      : {
          notifiable: true,
          text: `A response is due on the Respond to an NHS cyber alert service; applicability recorded: ${String(applicable)}.`,
        }
  const sections = [
    {
      title: 'Alert',
      fields: [p.field('alert_ref', 'Alert reference (e.g. cc-4686)'), ...p.timing('nhs_alert_48h', 'Alert issued')],
    },
  ]
  const update = p.clocks.find((c) => c.name === 'nhs_alert_update_3d' || c.name === 'alert_update_3d')
  sections.push({
    title: 'Response',
    fields: [
      p.field('applicable', 'Applicability'),
      ...(applicable === 'no'
        ? [p.field('not_applicable_reason', 'Evidence that it does not apply')]
        : [p.field('affected_assets', 'Affected systems and their owners')]),
      p.field('remediated', 'Remediation finished', undefined, false),
      ...(update
        ? [
            p.fixed(`${update.name}.dueAt`, 'Next update due', new Date(update.dueAt).toISOString()),
            p.fixed(`${update.name}.outcome`, 'Update clock', update.outcome),
          ]
        : []),
    ],
  })
  return {decision, sections}
}

const BODIES: Record<ReportFor, (p: ReportParts) => Body> = {
  ico: icoBody,
  nis: nisBody,
  dspt: dsptBody,
  alert: alertBody,
}

function reportNotes(p: ReportParts, target: ReportFor): string[] {
  const notes: string[] = []
  const a = p.assessment
  if ((target === 'ico' || target === 'dspt') && a?.grid)
    notes.push(`DSPT grid (${GRID.name}): ${GRID.icoRule.text}.`, ...UNVERIFIED.map((u) => `Unverified: ${u}.`))
  if (target === 'ico' || target === 'dspt') {
    notes.push(
      'Missing facts do not stop a notification: submit within the 72 hours and add them in phases (Art. 33(4)).',
    )
    const ico = p.clock(a?.ico?.clock ?? 'ico_72h')
    if (ico && (ico.outcome === 'overdue' || ico.outcome === 'late'))
      notes.push(
        `The ICO clock is ${ico.outcome}: a notification made after 72 hours must give the reasons for the delay (Art. 33(1)).`,
      )
  }

  return notes
}

/** Builds the report for one recipient from an incident's timeline. */
export function notificationReport(
  summary: Pick<IncidentSummary, 'id' | 'title' | 'severity' | 'state' | 'service' | 'openedAt'>,
  timeline: readonly TimelineEvent[],
  target: ReportFor,
  now: number,
): NotificationReport {
  const events = readable(timeline)
  const assessment = latestAssessment(events)
  const route = ROUTES[target]
  const clockNames = new Set(route.clocks)
  if (assessment?.ico && (target === 'ico' || target === 'dspt')) clockNames.add(assessment.ico.clock)
  if (assessment?.nis && (target === 'nis' || target === 'dspt')) clockNames.add(assessment.nis.clock)
  const clocks: ReportClock[] = clockSummaries(events, now).filter((c) => clockNames.has(c.name))
  const p = new ReportParts(recordedVars(events), assessment, clocks)
  const incident: ReportSection = {
    title: 'Incident',
    fields: [
      p.fixed('incident.id', 'Incident', summary.id),
      p.fixed('incident.title', 'Title', summary.title),
      p.fixed('incident.severity', 'Severity', summary.severity),
      p.fixed('incident.opened', 'Opened (detected)', new Date(summary.openedAt).toISOString()),
      ...(summary.service ? [p.fixed('incident.service', 'Service', summary.service)] : []),
    ],
  }
  const {decision, sections} = BODIES[target](p)
  return {
    for: target,
    title: route.title,
    incident: {
      id: summary.id,
      title: summary.title,
      severity: summary.severity,
      state: summary.state,
      ...(summary.service ? {service: summary.service} : {}),
      openedAt: summary.openedAt,
    },
    to: route.to,
    how: route.how,
    decision,
    sections: [incident, ...sections],
    clocks,
    missing: [...new Map(p.missing.map((m) => [m.key, m])).values()],
    notes: reportNotes(p, target),
    generatedAt: now,
  }
}
