/** `loop`: repeat a body while a condition holds. */
import type {Static} from '@sinclair/typebox'

import type {StepType} from './types.js'
import {test} from '../expr.js'
import {str, strings} from '../values.js'
import {flowEdge} from './flow.js'
import {type Builder, stepId, stepSchema} from './schema-parts.js'

const schema = (T: Builder) =>
  stepSchema(T, 'loop', 'repeat a body while a condition holds', {
    while: T.String({minLength: 1, description: 'condition checked before each iteration'}),
    do: stepId(T, 'first step of the body; the body ends when it comes back here or reaches then'),
    then: stepId(T, 'step once the condition no longer holds'),
    max_iterations: T.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'the loop exits after this many iterations whatever the condition',
    }),
  })

export type LoopStep = Static<ReturnType<typeof schema>>

export const loop: StepType<LoopStep> = {
  type: 'loop',
  schema,
  fields: {while: 'text', do: 'edge', then: 'edge'},
  edges: (s) => [{to: s.do, key: ['do'], kind: 'body'}, ...flowEdge(s.then, ['then'])],
  subflows: (s) => [{from: s.do, stops: [s.id, s.then], context: 'body'}],
  check(s, c) {
    if (typeof s.while === 'string') c.condition(['while'], s.while)
  },
  checkFlows(s, c) {
    const cond = typeof s.while === 'string' ? c.conditionVars(s.while) : undefined
    const changed = [...c.reached[0]].some((id) => c.writes(id).some((v) => cond?.includes(v)))
    if (cond && !changed)
      c.problem(
        ['while'],
        `loop without an exit: no step in its body (from ${s.do}) asks for or records ${cond.length > 0 ? cond.join(', ') : 'a variable of the condition'}, so the condition cannot change`,
      )
  },
  async advance(step, run) {
    const {flow, base} = run
    const holds = test(step.while, run.state.vars)
    if (holds && flow.iteration < step.max_iterations) {
      const iteration = flow.iteration + 1
      return run.append([
        {
          type: 'loop_iteration',
          data: {
            ...base,
            iteration,
            condition: step.while,
            child: `${flow.id}>${step.id}#${flow.inv}.${iteration}`,
            at: step.do,
            stops: [step.id, step.then],
          },
        },
      ])
    }

    await run.finish(run.nextOr(step.then), [
      {
        type: 'loop_exited',
        data: {...base, iterations: flow.iteration, reason: holds ? 'max_iterations' : 'condition'},
      },
    ])
  },
  show: (s) => [`while ${s.while}: ${s.do} (max ${s.max_iterations}), then ${s.then}`],
  cacao: {
    type: () => 'while-condition',
    step: (s, c) => ({
      type: 'while-condition',
      condition: c.condition(s.while),
      on_true: c.ref(s.do),
      on_completion: c.ref(s.then),
    }),
  },
  events: {
    loop_iteration: {
      describe: (d) => `Loop ${str(d.step)}: iteration ${str(d.iteration)} (${str(d.condition)} is true)`,
      reduce({flow, data, newFlow}) {
        if (!flow) return
        newFlow(str(data.child), flow.pb, str(data.at), strings(data.stops), flow.id)
        flow.children = [str(data.child)]
        flow.iteration = Number(data.iteration)
      },
    },
    loop_exited: {
      describe: (d) =>
        `Loop ${str(d.step)} exited after ${str(d.iterations)} iteration(s)${d.reason === 'max_iterations' ? ' (maximum reached)' : ''}`,
    },
  },
}
