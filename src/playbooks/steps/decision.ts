/** `decision`: branch on a condition (if/then/else), or on the value of the asked variable (cases). */
import type {Static} from '@sinclair/typebox'

import type {StepType} from './types.js'
import {test} from '../expr.js'
import {asList} from '../model.js'
import {str} from '../values.js'
import {cacaoCases, caseEdges, flowEdge} from './flow.js'
import {type Builder, ID, mapOf, stepId, stepSchema} from './schema-parts.js'

const schema = (T: Builder) =>
  stepSchema(T, 'decision', 'branch on a condition (if/then/else) or on the value of the asked variable (cases)', {
    if: T.Optional(T.String({minLength: 1, description: 'condition, e.g. personal_data == "yes" and not contained'})),
    then: T.Optional(stepId(T, 'step when the condition holds')),
    else: T.Optional(stepId(T, 'step when it does not')),
    cases: T.Optional(
      mapOf(T, T.String({pattern: ID}), {minProperties: 1, description: 'value of the asked variable → step id'}),
    ),
    default: T.Optional(stepId(T, 'step when no case matches')),
  })

export type DecisionStep = Static<ReturnType<typeof schema>>

export const decision: StepType<DecisionStep> = {
  type: 'decision',
  schema,
  fields: {if: 'text', then: 'edge', else: 'edge', default: 'edge', cases: 'cases'},
  edges: (s, implicit) =>
    s.cases ? caseEdges(s, implicit) : [...flowEdge(s.then, ['then']), ...flowEdge(s.else, ['else'])],
  check(s, c) {
    if (s.cases && (s.if || s.then || s.else))
      c.problem(['cases'], 'a decision has either cases or if/then/else, not both')
    else if (s.cases) {
      if (asList(s.ask).length === 0) c.problem(['cases'], 'cases need a variable to switch on: add ask: <variable>')
    } else if (!s.if || !s.then || !s.else) c.problem(['id'], 'a decision needs if, then and else (or ask and cases)')
    if (s.if) c.condition(['if'], s.if)
  },
  async advance(step, run) {
    if (await run.askNext()) return
    if (step.cases) {
      const variable = asList(step.ask)[0]
      const value = run.state.vars[variable]
      const key = value === true ? 'yes' : value === false ? 'no' : String(value)
      const target = step.cases[key] ?? step.cases[String(value)] ?? step.default ?? step.next ?? run.implicit
      return run.finish(run.nextOr(target), [
        {type: 'decision_taken', data: {...run.base, variable, value, next: target ?? null}},
      ])
    }

    // The loader refuses a decision without cases that lacks if.
    const condition = step.if ?? ''
    const result = test(condition, run.state.vars)
    const target = result ? step.then : step.else
    await run.finish(run.nextOr(target), [
      {type: 'decision_taken', data: {...run.base, condition: step.if, result, next: target ?? null}},
    ])
  },
  show: (s) => [
    s.cases
      ? `${asList(s.ask)[0]}: ${Object.entries(s.cases)
          .map(([k, v]) => `${k} → ${v}`)
          .join(', ')}`
      : `if ${s.if} → ${s.then} else → ${s.else}`,
  ],
  cacao: {
    type: (s) => (s.cases ? 'switch-condition' : 'if-condition'),
    step: (s, c) =>
      s.cases
        ? {
            type: 'switch-condition',
            switch: `__${asList(s.ask)[0]}__:value`,
            cases: cacaoCases(s.cases, c.ref),
            ...(s.default ? {on_completion: c.ref(s.default)} : {}),
          }
        : {type: 'if-condition', condition: c.condition(s.if ?? ''), on_true: c.ref(s.then), on_false: c.ref(s.else)},
  },
  events: {
    decision_taken: {
      describe: (d) =>
        `Decision at ${str(d.step)}: ${d.condition ? `${str(d.condition)} is ${str(d.result)}` : `${str(d.variable)} = ${str(d.value)}`} → ${str(d.next)}`,
      decision: true,
    },
  },
}
