/**
 * `assessment`: the notification decision. The rules (the DSPT grid, NIS, the Art. 33(3) facts) live in
 * ../assessment.ts; this file is the step type around them.
 */
import type {Static} from '@sinclair/typebox'

import type {StepType} from './types.js'
import {
  ART33_FACTS,
  asks,
  assessmentEvents,
  assessmentMove,
  checkAnswersFor,
  DECISIONS,
  declareAssessmentVariables,
  DEFAULT_CLOCKS,
  GRID,
  nextAfter,
  NIS_RULE,
  possibleDecisions,
  questions,
  type Regime,
  REGIMES,
  UNVERIFIED,
} from '../assessment.js'
import {record, str} from '../values.js'
import {cacaoCases, caseEdges, flowEdge} from './flow.js'
import {type Builder, ID, mapOf, oneOf, stepId, stepSchema} from './schema-parts.js'

const DESCRIPTION =
  'the notification decision: the DSPT likelihood × impact grid (ICO), NIS significant impact gated on OES designation, and the UK GDPR Art. 33(3) facts; stops the clocks of regimes not required and branches on the decision'

const settles = (T: Builder, r: Regime) =>
  T.String({
    pattern: ID,
    description: `clock stopped as not_required when ${r} is not notifiable (default ${DEFAULT_CLOCKS[r]})`,
  })

const schema = (T: Builder) =>
  stepSchema(T, 'assessment', DESCRIPTION, {
    assess: T.Array(oneOf(T, REGIMES), {
      minItems: 1,
      uniqueItems: true,
      description: 'notifications to decide: ico (the DSPT grid), nis (NIS, gated on OES designation)',
    }),
    clocks: T.Optional(
      T.Object(
        {ico: T.Optional(settles(T, 'ico')), nis: T.Optional(settles(T, 'nis'))},
        {additionalProperties: false, description: 'the clock each regime settles'},
      ),
    ),
    facts: T.Optional(T.Boolean({description: 'ask the UK GDPR Art. 33(3) facts (default: when ico is assessed)'})),
    then: T.Optional(stepId(T, 'step when anything is notifiable')),
    else: T.Optional(stepId(T, 'step when nothing is notifiable')),
    cases: T.Optional(
      mapOf(T, T.String({pattern: ID}), {
        propertyNames: {enum: [...DECISIONS]},
        minProperties: 1,
        description: 'decision (ico, nis, ico+nis, none) → step id',
      }),
    ),
    default: T.Optional(stepId(T, 'step when no case matches')),
  })

export type AssessmentStep = Static<ReturnType<typeof schema>>

/** The questions of a step as CACAO manual commands. */
function cacaoCommands(s: AssessmentStep): {type: 'manual'; command: string}[] {
  const a = asks(s)
  const out: string[] = []
  if (a.ico) out.push(`Grade the incident on the DSPT grid: likelihood and impact, 1-5 each; ${GRID.icoRule.text}`)
  if (a.nis)
    out.push(
      `NIS: is the operator a designated OES? If so, is there significant impact on the continuity of the essential service?`,
    )
  out.push('Record the reasoning (UK GDPR Art. 33(5))')
  if (a.facts) out.push(`Record the UK GDPR Art. 33(3) facts: ${ART33_FACTS.map((f) => f.name).join(', ')}`)
  return out.map((command) => ({type: 'manual', command}))
}

/** One line for an assessment_recorded event. */
export function describeAssessment(d: Record<string, unknown>): string {
  const regime = (name: string, r: Record<string, unknown>) =>
    Object.keys(r).length === 0 ? [] : [`${name} ${r.notifiable ? 'notifiable' : 'not required'} (${str(r.because)})`]
  const parts = [...regime('ICO', record(d.ico)), ...regime('NIS', record(d.nis))]
  const decision = str(d.decision)
  return `Notification decision at ${str(d.step)}: ${decision === 'none' ? 'nothing notifiable' : `notify ${decision.replace('+', ' and ').toUpperCase()}`}; ${parts.join('; ')}${d.reasoning ? `. Reasoning: ${str(d.reasoning)}` : ''}`
}

export const assessment: StepType<AssessmentStep> = {
  type: 'assessment',
  schema,
  fields: {assess: 'texts', then: 'edge', else: 'edge', default: 'edge', cases: 'cases'},
  edges: (s, implicit) =>
    s.cases ? caseEdges(s, implicit) : [...flowEdge(s.then, ['then']), ...flowEdge(s.else, ['else'])],
  check(s, c) {
    if (s.cases && (s.then || s.else)) c.problem(['cases'], 'an assessment has either cases or then/else, not both')
    else if (!s.cases && (!s.then || !s.else))
      c.problem(['id'], 'an assessment needs then and else (or cases keyed by decision)')
    const possible: string[] = possibleDecisions(s)
    for (const k of Object.keys(s.cases ?? {})) {
      if (!possible.includes(k))
        c.problem(
          ['cases', k],
          `decision "${k}" cannot happen: this step assesses ${s.assess.join(' and ')} (decisions: ${possible.join(', ')})`,
          true,
        )
    }

    for (const [r, clock] of Object.entries(s.clocks ?? {})) {
      if (!s.assess.some((x) => x === r)) c.problem(['clocks', r], `clock for ${r}, which this step does not assess`)
      else if (!c.clocks.has(String(clock)))
        c.problem(['clocks', r], `unknown clock "${String(clock)}"; declare it under clocks:`)
    }
  },
  declareVariables: (p) => declareAssessmentVariables(p),
  checkAnswers: (steps, answers, label) => checkAnswersFor(steps, answers, label),
  async advance(step, run) {
    if (await run.askNext()) return
    const move = await assessmentMove(step, {
      ctx: run.ctx,
      responder: run.deps.responder,
      vars: run.state.vars,
      recorded: run.flow.recorded,
    })
    if ('ask' in move)
      return run.append([{type: 'variable_recorded', data: {...run.base, name: move.ask.name, value: move.ask.value}}])
    const target = nextAfter(step, move.result.decision) ?? run.implicit
    await run.finish(
      run.nextOr(target),
      assessmentEvents(move.result, {base: run.base, clocks: run.clocks, now: run.now, next: target ?? null}),
    )
  },
  intro(s) {
    const a = asks(s)
    const lines: string[] = []
    if (a.ico) lines.push(`ICO: ${GRID.icoRule.text} (${GRID.name})`, ...UNVERIFIED.map((u) => `  unverified: ${u}`))
    if (a.nis) lines.push(`NIS: ${NIS_RULE.gate}; ${NIS_RULE.text}`)
    if (a.facts)
      lines.push('Then the UK GDPR Art. 33(3) facts; leave any not known yet empty (Art. 33(4) allows them in phases)')
    return lines
  },
  show: (s) => [
    `assesses ${s.assess.join(', ')}: ${
      s.cases
        ? Object.entries(s.cases)
            .map(([k, v]) => `${k} → ${v}`)
            .join(', ')
        : `notifiable → ${s.then}, none → ${s.else}`
    }`,
  ],
  cacao: {
    type: () => 'action',
    step(s, c) {
      // The questions as a manual action, then the branch on the recorded decision as a condition step.
      const decideId = `${s.cases ? 'switch-condition' : 'if-condition'}--${c.uuid(`${c.playbook.id}/${s.id}/decision`)}`
      c.add(
        decideId,
        s.cases
          ? {
              type: 'switch-condition',
              name: `${s.name ?? s.id}: decision`,
              switch: '__notification_decision__:value',
              cases: cacaoCases(s.cases, c.ref),
              ...(s.default || s.next || c.implicit ? {on_completion: c.ref(s.default ?? s.next ?? c.implicit)} : {}),
            }
          : {
              type: 'if-condition',
              name: `${s.name ?? s.id}: decision`,
              condition: "__notification_decision__:value != 'none'",
              on_true: c.ref(s.then),
              on_false: c.ref(s.else),
            },
      )
      const outArgs = Array.isArray(c.common.out_args) ? c.common.out_args.map(str) : []
      return {
        type: 'action',
        commands: cacaoCommands(s),
        out_args: [
          ...new Set([
            ...outArgs,
            ...questions(s, {nis_oes: true}).map((v) => `__${v}__`),
            '__notification_decision__',
          ]),
        ],
        step_extensions: {
          ...record(c.common.step_extensions),
          'x-watchkeeper-assessment': {assess: s.assess, clocks: s.clocks ?? {}},
        },
        on_completion: decideId,
      }
    },
  },
  events: {assessment_recorded: {describe: describeAssessment, decision: true}},
}
