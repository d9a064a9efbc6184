/** `end`: the walk (or the sub-playbook) ends here. */
import type {Static} from '@sinclair/typebox'

import type {StepType} from './types.js'
import {type Builder, stepSchema} from './schema-parts.js'

const schema = (T: Builder) => stepSchema(T, 'end', 'the walk (or sub-playbook) ends here', {})

export type EndStep = Static<ReturnType<typeof schema>>

export const end: StepType<EndStep> = {
  type: 'end',
  schema,
  fields: {},
  edges: () => [],
  ends: true,
  advance: (_step, run) => run.finish(null),
  cacao: {type: () => 'end', step: () => ({type: 'end'})},
}
