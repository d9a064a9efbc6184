/** The shape of a validated playbook (format nhs-ir/1), as loaded from YAML and stored with an incident. */

import type {PlaybookFile, RoleDef, VariableDef} from './definition.js'
import type {Step} from './steps/index.js'
import type {ClockStopOutcome, StepBase} from './steps/schema-parts.js'

export {type RoleDef, type Source, type VariableDef} from './definition.js'
export type {AssessmentStep} from './steps/assessment.js'
export type {CommandStep} from './steps/command.js'
export type {DecisionStep} from './steps/decision.js'
export type {EndStep} from './steps/end.js'
export type {Step, StepKind as StepType} from './steps/index.js'
export type {LoopStep} from './steps/loop.js'
export type {ManualStep} from './steps/manual.js'
export type {ParallelStep} from './steps/parallel.js'
export type {PlaybookStep} from './steps/playbook.js'

export type VariableType = VariableDef['type']
export type Value = string | number | boolean

export interface ClockDecl {
  to?: string
  basis?: string
  /** ISO 8601 duration of continuous time, e.g. PT72H. */
  duration?: string
  /** England and Wales business days instead of continuous time. */
  business_days?: number
  warn_when_remaining?: string[]
  /** The other keys of a clock definition (clocks/*.yaml); see ClockDef. */
  source?: string
  starts_from?: 'aware' | 'issued' | 'declared' | 'detected'
  effective_from?: string
  effective_until?: string
  enabled?: boolean
  restartable?: boolean
  note?: string
}

/** Organisation types that references are keyed by; trusts, ICBs, CSUs and ALBs complete the CAF-aligned DSPT. */
export const ORG_TYPES = {
  trust: 'NHS trust or foundation trust',
  icb: 'integrated care board',
  csu: 'commissioning support unit',
  alb: "arm's length body (NHS England included)",
  gp_practice: 'GP practice',
  social_care: 'social care provider',
  supplier: 'supplier to the NHS',
} as const
export type OrgType = keyof typeof ORG_TYPES

/** Assurance references by organisation type (e.g. the CAF outcome for trusts, DSPT 6.x for others); `default` for the rest. */
export type OrgReferences = Partial<Record<OrgType | 'default', string>>

/** A loaded playbook: the file's keys (roles, variables and clocks defaulted to none), and what loading adds. */
export type Playbook = Pick<
  PlaybookFile,
  | 'format'
  | 'id'
  | 'name'
  | 'description'
  | 'version'
  | 'severities'
  | 'sources'
  | 'references'
  | 'review_by'
  | 'start'
  | 'steps'
> & {
  roles: Record<string, RoleDef>
  variables: Record<string, VariableDef>
  clocks: Record<string, ClockDecl>
  /** Everything else the file declares (metadata for CACAO export and display). */
  meta: Record<string, unknown>
  /** Sub-playbooks named by `playbook` steps, resolved at load time, by the name the step uses. */
  subs: Record<string, Playbook>
  file: string
}

/** The references for an organisation type (its own, else `default`); every one, by key, when the type is not known. */
export function referencesFor(refs: OrgReferences | undefined, orgType: unknown): {org: string; text: string}[] {
  if (!refs) return []
  const all = Object.entries(refs).flatMap(([org, text]) => (text === undefined ? [] : [{org, text}]))
  if (typeof orgType === 'string' && orgType !== '') {
    const found = all.find((r) => r.org === orgType) ?? all.find((r) => r.org === 'default')
    return found === undefined ? [] : [{org: found.org === orgType ? orgType : 'default', text: found.text}]
  }

  return all
}

export function stepIndex(p: Playbook): Map<string, Step> {
  return new Map(p.steps.map((s) => [s.id, s]))
}

export function asList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** The clocks a step stops, each with its outcome (the bare form means notified). */
export function clockStops(step: Pick<StepBase, 'stops_clock'>): {name: string; outcome: ClockStopOutcome}[] {
  const v = step.stops_clock
  if (v === undefined || typeof v === 'string' || Array.isArray(v))
    return asList(v).map((name) => ({name, outcome: 'notified' as const}))
  return Object.entries(v).map(([name, outcome]) => ({name, outcome}))
}

/** Every clock a playbook's steps (and its sub-playbooks') start, stop or restart, in order of first mention. */
export function playbookClocks(p: Playbook): string[] {
  const out = new Set<string>()
  const visit = (pb: Playbook) => {
    for (const s of pb.steps)
      for (const c of [...asList(s.starts_clock), ...clockStops(s).map((x) => x.name), ...asList(s.restarts_clock)])
        out.add(c)
    for (const sub of Object.values(pb.subs)) visit(sub)
  }

  visit(p)
  return [...out]
}

export {type ClockStopOutcome} from './steps/schema-parts.js'
export type {WaitStep} from './steps/wait.js'
