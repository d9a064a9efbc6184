/** The shape of a validated playbook (format nhs-ir/1), as loaded from YAML and stored with an incident. */

export type VariableType = 'string' | 'bool' | 'integer' | 'number'
export type Value = string | number | boolean

export interface RoleDef {
  name: string
  kind?: 'individual' | 'group' | 'organization'
  description?: string
  contact?: string
}

export interface VariableDef {
  type: VariableType
  description?: string
  /** Allowed answers (offered as a choice). */
  values?: string[]
  /** Default value. */
  value?: Value
  /** Filled in by the trust before or during the walk. */
  external?: boolean
  /** Pre-filled when the walk starts from the target of the check the incident came from. */
  from_check?: 'url' | 'host' | 'port'
}

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
  alb: 'arm\'s length body (NHS England included)',
  gp_practice: 'GP practice',
  social_care: 'social care provider',
  supplier: 'supplier to the NHS',
} as const
export type OrgType = keyof typeof ORG_TYPES

/** Assurance references by organisation type (e.g. the CAF outcome for trusts, DSPT 6.x for others); `default` for the rest. */
export type OrgReferences = Partial<Record<OrgType | 'default', string>>

/** A document the steps rely on. */
export interface Source {
  title: string
  url: string
}

/** How a step stops a clock. */
export type ClockStopOutcome = 'notified' | 'not_required' | 'superseded'

interface StepBase {
  id: string
  name?: string
  description?: string
  owner?: string
  next?: string
  ask?: string | string[]
  record?: string[]
  starts_clock?: string | string[]
  /** A name or list means notified; a mapping gives each clock's outcome. */
  stops_clock?: string | string[] | Record<string, ClockStopOutcome>
  /** Restartable clocks given a new due time when the step completes. */
  restarts_clock?: string | string[]
  references?: OrgReferences
}

export interface ManualStep extends StepBase {
  type: 'manual'
  checklist?: string[]
}

export interface DecisionStep extends StepBase {
  type: 'decision'
  if?: string
  then?: string
  else?: string
  /** Value of the (first) asked variable → step id. */
  cases?: Record<string, string>
  default?: string
}

export interface CommandStep extends StepBase {
  type: 'command'
  /** Program and arguments; never run through a shell. `${var}` is filled in from variables. */
  argv: string[]
  timeout?: string
  on_success?: string
  on_failure?: string
  /** Variable that receives the exit code. */
  exit_code_to?: string
  /** The command may run during an exercise (it touches nothing real, or only the simulated estate). */
  exercise_safe?: boolean
}

export interface ParallelStep extends StepBase {
  type: 'parallel'
  branches: string[]
  join: string
}

export interface LoopStep extends StepBase {
  type: 'loop'
  while: string
  do: string
  then: string
  max_iterations: number
}

export interface WaitStep extends StepBase {
  type: 'wait'
  duration: string
}

export interface PlaybookStep extends StepBase {
  type: 'playbook'
  playbook: string
}

export interface EndStep extends StepBase {
  type: 'end'
}

/** The notification decision (src/playbooks/assessment.ts). */
export interface AssessmentStep extends StepBase {
  type: 'assessment'
  assess: ('ico' | 'nis')[]
  /** Regime → the clock a "not required" outcome stops (default ico_72h, nis_72h). */
  clocks?: Partial<Record<'ico' | 'nis', string>>
  /** Ask the UK GDPR Art. 33(3) facts (default: when ico is assessed). */
  facts?: boolean
  then?: string
  else?: string
  /** Decision (ico, nis, ico+nis, none) → step id. */
  cases?: Record<string, string>
  default?: string
}

export type Step = ManualStep | DecisionStep | CommandStep | ParallelStep | LoopStep | WaitStep | PlaybookStep | EndStep | AssessmentStep
export type StepType = Step['type']

export interface Playbook {
  format: 'nhs-ir/1'
  id: string
  name: string
  description?: string
  version?: string
  severities?: string[]
  sources?: Source[]
  references?: OrgReferences
  /** Review the playbook by this date (YYYY-MM-DD); `playbook validate` warns once it has passed. */
  review_by?: string
  roles: Record<string, RoleDef>
  variables: Record<string, VariableDef>
  clocks: Record<string, ClockDecl>
  start?: string
  steps: Step[]
  /** Everything else the file declares (metadata for CACAO export and display). */
  meta: Record<string, unknown>
  /** Sub-playbooks named by `playbook` steps, resolved at load time, by the name the step uses. */
  subs: Record<string, Playbook>
  file: string
}

/** The references for an organisation type (its own, else `default`); every one, by key, when the type is not known. */
export function referencesFor(refs: OrgReferences | undefined, orgType: unknown): {org: string; text: string}[] {
  if (!refs) return []
  if (typeof orgType === 'string' && orgType !== '') {
    const text = refs[orgType as OrgType] ?? refs.default
    return text === undefined ? [] : [{org: orgType in refs ? orgType : 'default', text}]
  }
  return Object.entries(refs).map(([org, text]) => ({org, text: text as string}))
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
  if (v !== undefined && typeof v === 'object' && !Array.isArray(v)) return Object.entries(v).map(([name, outcome]) => ({name, outcome}))
  return asList(v as string | string[] | undefined).map((name) => ({name, outcome: 'notified' as const}))
}

/** Every clock a playbook's steps (and its sub-playbooks') start, stop or restart, in order of first mention. */
export function playbookClocks(p: Playbook): string[] {
  const out = new Set<string>()
  const visit = (pb: Playbook) => {
    for (const s of pb.steps) for (const c of [...asList(s.starts_clock), ...clockStops(s).map((x) => x.name), ...asList(s.restarts_clock)]) out.add(c)
    for (const sub of Object.values(pb.subs)) visit(sub)
  }
  visit(p)
  return [...out]
}
