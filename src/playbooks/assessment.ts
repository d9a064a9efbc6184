import type {NewEvent} from '../incidents/chain.js'
import type {Answers} from './answers.js'
import type {Playbook, Value, VariableDef} from './model.js'
import type {PromptContext, Responder} from './responder.js'
import type {AssessmentStep} from './steps/assessment.js'
/**
 * The `assessment` step: the notification decision. Pure (no terminal, no database): it asks one question at a
 * time through the Responder, then decides which notifications are required and which clocks stop as
 * not_required. Rules come from shared reference notes; only verified ones are applied (see GRID and UNVERIFIED).
 */
import {UserError} from '../errors.js'
import {type ClockState, clockStopEvent} from '../incidents/clocks.js'
import {qualifiedSteps} from './steps/index.js'

export const REGIMES = ['ico', 'nis'] as const
export type Regime = (typeof REGIMES)[number]

/** Which clock each regime's decision settles, unless the step says otherwise. */
export const DEFAULT_CLOCKS: Record<Regime, string> = {ico: 'ico_72h', nis: 'nis_72h'}

/** Decision words: the notifiable regimes joined by +, or none. `cases:` is keyed by them. */
export const DECISIONS = ['ico', 'nis', 'ico+nis', 'none'] as const
export type Decision = (typeof DECISIONS)[number]

interface Grade {
  value: number
  label: string
  /** Whether the label is confirmed by a source we read. */
  verified: boolean
}

/**
 * DSPT "Guide to the Notification of Data Security and Protection Incidents" (2018), likelihood × impact, 1–5 each.
 * Verified (NHS Digital DSPT incident-reporting webinar): reportable to the ICO when it is at least *likely* that
 * there is a risk to individuals' rights and freedoms and the impact is at least *minor*. The other labels are a
 * recollection of the guide, not checked against it, and say so wherever they are shown.
 */
export const GRID = {
  id: 'dspt-2018',
  name: 'DSPT Guide to the Notification of Data Security and Protection Incidents (2018): likelihood × impact',
  likelihood: [
    {value: 1, label: 'not occurred', verified: false},
    {value: 2, label: 'not likely', verified: false},
    {value: 3, label: 'likely', verified: true},
    {value: 4, label: 'highly likely', verified: false},
    {value: 5, label: 'occurred', verified: false},
  ] satisfies Grade[],
  impact: [
    {value: 1, label: 'no adverse effect', verified: false},
    {value: 2, label: 'minor', verified: true},
    {value: 3, label: 'adverse', verified: false},
    {value: 4, label: 'serious', verified: false},
    {value: 5, label: 'catastrophic', verified: false},
  ] satisfies Grade[],
  icoRule: {
    likelihoodAtLeast: 3,
    impactAtLeast: 2,
    text: "notifiable to the ICO when it is at least likely (3) that there is a risk to individuals' rights and freedoms and the impact is at least minor (2)",
    source:
      'NHS Digital DSPT incident reporting webinar ("What is reportable? ICO – … at least likely … at least minor"); DSPT 6.1.1 aligns incident reporting to the Guide',
  },
}

/** Rules of the guide we have not verified: shown, never applied. */
export const UNVERIFIED = [
  "the Guide's DHSC notification criterion (recalled as impact 4 or more) is not applied: unverified, decide it from the Guide itself",
  'the recalled clause that vulnerable groups raise the likelihood to at least "not likely" is not applied: unverified',
  'grade labels other than likely (3) and minor (2) are an unverified recollection of the Guide',
]

const OES_LIST =
  'for health in England the gov.uk NIS guide lists NHS trusts and foundation trusts, ICBs and certain independent providers'

export const NIS_RULE = {
  gate: `NIS incident reporting applies to designated operators of essential services (OES); ${OES_LIST}`,
  oesList: OES_LIST,
  text: 'an OES notifies DHSC (competent authority for health in England) of an incident with significant impact on the continuity of the essential service, within 72 hours of becoming aware',
}

/** Art. 33(3) facts: variable name, its point of the article, and what it asks. */
export const ART33_FACTS: {name: string; ref: string; label: string; type: 'string' | 'integer'}[] = [
  {name: 'breach_nature', ref: 'Art. 33(3)(a)', label: 'Nature of the personal data breach', type: 'string'},
  {
    name: 'data_subject_categories',
    ref: 'Art. 33(3)(a)',
    label: 'Categories of data subjects concerned',
    type: 'string',
  },
  {
    name: 'data_subjects_approx',
    ref: 'Art. 33(3)(a)',
    label: 'Approximate number of data subjects concerned',
    type: 'integer',
  },
  {
    name: 'record_categories',
    ref: 'Art. 33(3)(a)',
    label: 'Categories of personal data records concerned',
    type: 'string',
  },
  {
    name: 'records_approx',
    ref: 'Art. 33(3)(a)',
    label: 'Approximate number of personal data records concerned',
    type: 'integer',
  },
  {
    name: 'dpo_contact',
    ref: 'Art. 33(3)(b)',
    label: 'Name and contact details of the DPO or other contact point',
    type: 'string',
  },
  {name: 'likely_consequences', ref: 'Art. 33(3)(c)', label: 'Likely consequences of the breach', type: 'string'},
  {
    name: 'measures_taken',
    ref: 'Art. 33(3)(d)',
    label: 'Measures taken or proposed to address the breach and mitigate its possible adverse effects',
    type: 'string',
  },
]

const GRADES = ['1', '2', '3', '4', '5']

/** The typed variables an assessment step asks and records; a playbook with one gets them declared. */
export const ASSESSMENT_VARIABLES: Record<string, VariableDef> = {
  dspt_likelihood: {
    type: 'integer',
    values: GRADES,
    description: "DSPT grid: likelihood that there is a risk to individuals' rights and freedoms (1–5)",
  },
  dspt_impact: {
    type: 'integer',
    values: GRADES,
    description: 'DSPT grid: impact (severity of the adverse effect) on individuals (1–5)',
  },
  nis_oes: {
    type: 'bool',
    description: 'Is this operator a designated operator of essential services (OES) under the NIS Regulations 2018?',
  },
  nis_significant_impact: {type: 'bool', description: 'Significant impact on the continuity of the essential service?'},
  assessment_reasoning: {
    type: 'string',
    description: 'The reasoning behind these answers (kept as the record UK GDPR Art. 33(5) asks for)',
  },
  ico_notifiable: {type: 'bool', description: 'Set by the assessment: notifiable to the ICO'},
  nis_notifiable: {type: 'bool', description: 'Set by the assessment: notifiable under NIS'},
  notification_decision: {
    type: 'string',
    values: [...DECISIONS],
    description: 'Set by the assessment: the notifiable regimes (ico, nis, ico+nis) or none',
  },
  ...Object.fromEntries(ART33_FACTS.map((f) => [f.name, {type: f.type, description: `${f.label} (UK GDPR ${f.ref})`}])),
}

/** What a step assesses, and whether it asks the Art. 33(3) facts. */
export function asks(s: AssessmentStep): {ico: boolean; nis: boolean; facts: boolean} {
  return {ico: s.assess.includes('ico'), nis: s.assess.includes('nis'), facts: s.facts ?? s.assess.includes('ico')}
}

/** Decisions a step can reach, given what it assesses. */
export function possibleDecisions(s: AssessmentStep): Decision[] {
  const a = asks(s)
  return DECISIONS.filter((d) => d === 'none' || (d === 'ico' ? a.ico : d === 'nis' ? a.nis : a.ico && a.nis))
}

/**
 * Declares the assessment variables on a playbook with an assessment step. Returns problems for the loader to
 * place: an assessment variable the author declared with another type, or a grade they declared off the grid.
 */
export function declareAssessmentVariables(p: Playbook): {key: (string | number)[]; message: string}[] {
  if (!p.steps.some((s) => s.type === 'assessment')) return []
  const clashes: {key: (string | number)[]; message: string}[] = []
  for (const [name, def] of Object.entries(ASSESSMENT_VARIABLES)) {
    const mine = p.variables[name]
    if (!mine) p.variables[name] = {...def}
    else if (mine.type === def.type) {
      // A grade the author declares (a default, or the choices offered) must be on the grid.
      const offGrid = (key: (string | number)[], v: unknown) => {
        const message = gridProblem(name, v)
        if (message) clashes.push({key: [name, ...key], message})
      }

      if (mine.value !== undefined) offGrid(['value'], mine.value)
      for (const [i, v] of (mine.values ?? []).entries()) offGrid(['values', i], v)
    } else {
      clashes.push({
        key: [name, 'type'],
        message: `${name} is an assessment variable of type ${def.type}; declare it as ${def.type} or leave it out`,
      })
    }
  }

  return clashes
}

function gradeOf(axis: 'likelihood' | 'impact', v: number): Grade | undefined {
  return GRID[axis].find((g) => g.value === v)
}

export function gradeText(axis: 'likelihood' | 'impact', v: number): string {
  const g = gradeOf(axis, v)
  return g ? `${v} (${g.label}${g.verified ? '' : ', label unverified'})` : String(v)
}

/** Is an answer a grade of the grid? Returns the problem, or undefined. */
export function gridProblem(variable: string, value: unknown): string | undefined {
  if (variable !== 'dspt_likelihood' && variable !== 'dspt_impact') return undefined
  const text =
    typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : JSON.stringify(value)
  return GRADES.includes(text)
    ? undefined
    : `${variable}=${text} is outside the DSPT grid (${variable === 'dspt_likelihood' ? 'likelihood' : 'impact'} is a whole number from 1 to 5)`
}

export interface RegimeResult {
  notifiable: boolean
  /** Why, in a sentence (also the not_required clock reason). */
  because: string
  clock: string
}

export interface AssessmentResult {
  decision: Decision
  grid?: {id: string; likelihood: number; impact: number; likelihoodText: string; impactText: string; rule: string}
  ico?: RegimeResult
  nis?: RegimeResult & {oes: boolean; significantImpact?: boolean}
  reasoning: string
  unverified: string[]
}

/** The decision from the answers. Assumes the values were validated (gridProblem) before. */
export function decide(s: AssessmentStep, vars: Record<string, Value>): AssessmentResult {
  const a = asks(s)
  const clock = (r: Regime) => s.clocks?.[r] ?? DEFAULT_CLOCKS[r]
  const out: AssessmentResult = {
    decision: 'none',
    reasoning: String(vars.assessment_reasoning ?? ''),
    unverified: a.ico ? [...UNVERIFIED] : [],
  }
  if (a.ico) {
    const l = Number(vars.dspt_likelihood)
    const i = Number(vars.dspt_impact)
    const r = GRID.icoRule
    const notifiable = l >= r.likelihoodAtLeast && i >= r.impactAtLeast
    out.grid = {
      id: GRID.id,
      likelihood: l,
      impact: i,
      likelihoodText: gradeText('likelihood', l),
      impactText: gradeText('impact', i),
      rule: r.text,
    }
    out.ico = {
      notifiable,
      clock: clock('ico'),
      because: `DSPT grid: likelihood ${gradeText('likelihood', l)} × impact ${gradeText('impact', i)} is ${notifiable ? 'at or above' : 'below'} the ICO threshold (at least likely and at least minor)`,
    }
  }

  if (a.nis) {
    const oes = vars.nis_oes === true
    const significantImpact = oes ? vars.nis_significant_impact === true : undefined
    const because = oes
      ? significantImpact
        ? 'a designated OES with significant impact on the continuity of the essential service'
        : 'no significant impact on the continuity of the essential service'
      : 'the operator is not a designated operator of essential services (OES), so NIS incident reporting does not apply'
    out.nis = {
      notifiable: oes && significantImpact === true,
      clock: clock('nis'),
      because,
      oes,
      ...(significantImpact === undefined ? {} : {significantImpact}),
    }
  }

  const on = REGIMES.filter((r) => out[r]?.notifiable)
  out.decision = on.length === 2 ? 'ico+nis' : (on[0] ?? 'none')
  return out
}

/** The step after the decision. */
export function nextAfter(s: AssessmentStep, d: Decision): string | undefined {
  if (s.cases) return s.cases[d] ?? s.default ?? s.next
  return d === 'none' ? s.else : s.then
}

/** The questions of a step, in order, given the answers so far (the NIS impact question only for an OES). */
export function questions(s: AssessmentStep, vars: Record<string, Value>): string[] {
  const a = asks(s)
  const q: string[] = []
  if (a.ico) q.push('dspt_likelihood', 'dspt_impact')
  if (a.nis) q.push('nis_oes', ...(vars.nis_oes === true ? ['nis_significant_impact'] : []))
  q.push('assessment_reasoning')
  if (a.facts) q.push(...ART33_FACTS.map((f) => f.name))
  return q
}

const FACT_NAMES = new Set(ART33_FACTS.map((f) => f.name))

export interface AssessmentDeps {
  ctx: PromptContext
  responder: Responder
  vars: Record<string, Value>
  /** Variables already answered in this run of the step. */
  recorded: ReadonlySet<string>
}

/**
 * One move of an assessment: ask the next question (returns its variable_recorded event), or, when all are
 * answered, return the decision. A fact (or the OES designation) already recorded by an earlier step is not asked
 * again; an empty answer to a fact records it as not known yet (null), which `incident report` lists as missing.
 */
export async function assessmentMove(
  s: AssessmentStep,
  d: AssessmentDeps,
): Promise<{ask: {name: string; value: Value | null}} | {result: AssessmentResult}> {
  const known = (v: string) => (FACT_NAMES.has(v) || v === 'nis_oes') && d.vars[v] !== undefined && d.vars[v] !== null
  const wanted = questions(s, d.vars).find((v) => !d.recorded.has(v) && !known(v))
  if (!wanted) return {result: decide(s, d.vars)}
  const def = ASSESSMENT_VARIABLES[wanted]
  if (wanted === 'dspt_likelihood' || wanted === 'dspt_impact') {
    const axis = wanted === 'dspt_likelihood' ? 'likelihood' : 'impact'
    const answer = await d.responder.choose({
      ...d.ctx,
      variable: wanted,
      message: def.description ?? wanted,
      choices: GRID[axis].map((g) => ({value: String(g.value), name: gradeText(axis, g.value)})),
    })
    const problem = gridProblem(wanted, answer)
    if (problem) throw new UserError(problem, {code: 'E_ASSESSMENT', exit: 2})
    return {ask: {name: wanted, value: Number(answer)}}
  }

  if (def.type === 'bool') {
    const answer = await d.responder.choose({
      ...d.ctx,
      variable: wanted,
      message: def.description ?? wanted,
      choices: [{value: 'yes'}, {value: 'no'}],
    })
    return {ask: {name: wanted, value: answer === 'yes'}}
  }

  const fact = FACT_NAMES.has(wanted)
  const answer = await d.responder.ask({
    ...d.ctx,
    variable: wanted,
    type: def.type,
    description: fact ? `${def.description} — leave empty if not known yet` : def.description,
    validate(a) {
      const t = a.trim()
      if (t === '') return fact ? undefined : 'an answer is needed'
      return def.type === 'integer' && !/^\d+$/.test(t) ? 'expected a whole number (an approximate count)' : undefined
    },
  })
  const t = answer.trim()
  return {ask: {name: wanted, value: t === '' ? null : def.type === 'integer' ? Number(t) : t}}
}

/**
 * The events that record a decision: the assessment itself, its result variables, and a not_required stop
 * (with the reasoning) for each regime not notifiable whose clock is running. A notifiable regime's clock keeps
 * running until a step or `incident clock stop` records it as notified.
 */
export function assessmentEvents(
  r: AssessmentResult,
  o: {base: Record<string, unknown>; clocks: Map<string, ClockState>; now: number; next: string | null},
): NewEvent[] {
  const running = (name: string) => o.clocks.has(name) && o.clocks.get(name)?.stoppedAt === undefined
  const clockNotRunning = REGIMES.flatMap((g) => (r[g]?.notifiable && !running(r[g].clock) ? [r[g].clock] : []))
  const events: NewEvent[] = [
    {
      type: 'assessment_recorded',
      data: {...o.base, ...r, next: o.next, ...(clockNotRunning.length > 0 ? {clockNotRunning} : {})},
    },
  ]
  const vars: [string, Value][] = [['notification_decision', r.decision]]
  if (r.nis) vars.unshift(['nis_notifiable', r.nis.notifiable])
  if (r.ico) vars.unshift(['ico_notifiable', r.ico.notifiable])
  for (const [name, value] of vars) events.push({type: 'variable_recorded', data: {...o.base, name, value}})
  for (const g of REGIMES) {
    const res = r[g]
    if (!res || res.notifiable || !running(res.clock)) continue
    const c = o.clocks.get(res.clock)
    if (!c) continue
    const reason = `${res.because}; ${r.reasoning ? `reasoning recorded at step ${String(o.base.step)}: ${r.reasoning}` : `assessment at step ${String(o.base.step)}`}`
    events.push(clockStopEvent(res.clock, 'not_required', reason, o.now, c.dueAt))
  }

  return events
}

const CHOICE_VARS = new Set(['dspt_likelihood', 'dspt_impact', 'nis_oes', 'nis_significant_impact'])

/**
 * Checks answers for assessment steps before a walk writes anything: grades outside the grid and yes/no
 * questions answered otherwise are usage errors (exit 2) naming the answer, or the flag.
 */
export function checkAssessmentAnswers(p: Playbook, answers: Answers, label: string): void {
  checkAnswersFor(
    qualifiedSteps(p).filter((s): s is {qualified: string; step: AssessmentStep} => s.step.type === 'assessment'),
    answers,
    label,
  )
}

/** The same, given the playbook's assessment steps (qualified and local ids). */
export function checkAnswersFor(
  steps: readonly {qualified: string; step: AssessmentStep}[],
  answers: Answers,
  label: string,
): void {
  const where = (step: string | undefined) =>
    label === 'the flags' ? '--var' : `${label}${step ? `, step ${step}` : ', vars'}`
  const check = (step: string | undefined, name: string, value: unknown) => {
    if (!CHOICE_VARS.has(name) || value === undefined) return
    const grid = gridProblem(name, value)
    if (grid)
      throw new UserError(`${where(step)}: ${grid}.`, {
        code: 'E_ASSESSMENT',
        exit: 2,
        hint: `Grades: ${GRID[name === 'dspt_likelihood' ? 'likelihood' : 'impact'].map((g) => gradeText(name === 'dspt_likelihood' ? 'likelihood' : 'impact', g.value)).join(', ')}.`,
      })
    if (
      (name === 'nis_oes' || name === 'nis_significant_impact') &&
      !(typeof value === 'boolean' || /^(y|yes|n|no|true|false)$/i.test(String(value)))
    ) {
      throw new UserError(`${where(step)}: ${name}=${String(value)} is not yes or no.`, {code: 'E_ASSESSMENT', exit: 2})
    }
  }

  const isAssessment = (id: string) => steps.some((s) => s.qualified === id || s.step.id === id)
  for (const [name, value] of Object.entries(answers.vars)) check(undefined, name, value)
  for (const [id, entry] of Object.entries(answers.steps)) {
    if (!isAssessment(id)) continue
    for (const e of Array.isArray(entry) ? entry : [entry]) {
      if (e.value !== undefined)
        throw new UserError(
          `${label === 'the flags' ? 'the flags' : `${label}, step ${id}`}: an assessment asks several questions; answer them by name (dspt_likelihood, dspt_impact, …), not with one value.`,
          {code: 'E_ASSESSMENT', exit: 2},
        )
      for (const [name, value] of Object.entries(e.vars ?? {}))
        check(label === 'the flags' ? undefined : id, name, value)
    }
  }
}
