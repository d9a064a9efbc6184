/** `parallel`: start several branches; continue at join once every branch has ended. */
import type {Static} from '@sinclair/typebox'

import type {StepType} from './types.js'
import {records, str, strings} from '../values.js'
import {flowEdge} from './flow.js'
import {type Builder, ID, stepId, stepSchema} from './schema-parts.js'

const schema = (T: Builder) =>
  stepSchema(T, 'parallel', 'start several branches; continue at join once every branch has ended', {
    branches: T.Array(T.String({pattern: ID}), {
      minItems: 2,
      uniqueItems: true,
      description: 'the first step of each branch',
    }),
    join: stepId(T, 'the step after every branch has ended'),
  })

export type ParallelStep = Static<ReturnType<typeof schema>>

/** A branch ends at the join or at another branch's first step. */
const stopsOf = (s: ParallelStep, branch: string) => [s.join, ...s.branches.filter((x) => x !== branch)]

export const parallel: StepType<ParallelStep> = {
  type: 'parallel',
  schema,
  fields: {branches: 'edges', join: 'edge'},
  edges: (s) => [
    ...s.branches.map((to, i) => ({to, key: ['branches', i], kind: 'branch' as const})),
    ...flowEdge(s.join, ['join']),
  ],
  subflows: (s) => s.branches.map((from) => ({from, stops: stopsOf(s, from), context: 'branch' as const})),
  async advance(step, run) {
    const {flow} = run
    if (flow.children.length === 0) {
      const branches = step.branches.map((at, i) => ({flow: `${flow.id}>${step.id}#${flow.inv}.${i}`, at}))
      const stops: Record<string, string[]> = {}
      for (const b of branches) stops[b.flow] = stopsOf(step, b.at)
      return run.append([{type: 'branches_started', data: {...run.base, branches, stops}}])
    }

    await run.finish(run.nextOr(step.join))
  },
  show: (s) => [`branches ${s.branches.join(', ')} → join ${s.join}`],
  cacao: {
    type: () => 'parallel',
    step: (s, c) => ({type: 'parallel', next_steps: s.branches.map((b) => c.ref(b)), on_completion: c.ref(s.join)}),
  },
  events: {
    branches_started: {
      describe: (d) =>
        `Parallel branches started: ${records(d.branches)
          .map((b) => str(b.at))
          .join(', ')}`,
      reduce({flow, data, newFlow}) {
        const stops = records([data.stops])[0]
        for (const b of records(data.branches)) {
          newFlow(str(b.flow), flow?.pb ?? [], str(b.at), strings(stops[str(b.flow)]), flow?.id)
          flow?.children.push(str(b.flow))
        }
      },
    },
  },
}
