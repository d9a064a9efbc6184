import type {Static} from '@sinclair/typebox'
import type {StepType} from './types.js'
/** `manual`: work a person does, as a checklist ticked item by item. */
import {interpolate, str} from '../values.js'
import {nextEdge} from './flow.js'
import {type Builder, stepSchema} from './schema-parts.js'

const schema = (T: Builder) =>
  stepSchema(T, 'manual', 'work a person does, as a checklist ticked item by item', {
    checklist: T.Optional(T.Array(T.String({minLength: 1}), {description: 'items, each ticked separately'})),
  })

export type ManualStep = Static<ReturnType<typeof schema>>

export const manual: StepType<ManualStep> = {
  type: 'manual',
  schema,
  fields: {checklist: 'texts'},
  edges: nextEdge,
  async advance(step, run) {
    const items = step.checklist ?? []
    const item = items.findIndex((_, i) => !run.flow.ticked.has(i))
    if (item !== -1) {
      const text = interpolate(items[item], run.state.vars)
      const done = await run.deps.responder.tick({...run.ctx, item, text, of: items.length})
      return run.append([{type: 'checklist_ticked', data: {...run.base, item, text, done}}])
    }

    if (await run.askNext()) return
    await run.finish(run.nextOr(step.next ?? run.implicit))
  },
  intro: (step) => (step.checklist ?? []).map((c, i) => `  ${i + 1}. ${c}`),
  show: (step) => (step.checklist ?? []).map((c) => `☐ ${c}`),
  cacao: {
    type: () => 'action',
    step: (s, c) => ({
      type: 'action',
      commands: (s.checklist ?? [s.name ?? s.id]).map((command) => ({type: 'manual', command})),
      on_completion: c.ref(s.next ?? c.implicit),
    }),
  },
  events: {
    checklist_ticked: {
      describe: (d) => `${d.done ? '☑' : '☐ skipped'} ${str(d.text)}`,
      reduce: ({flow, data}) => void flow?.ticked.add(Number(data.item)),
    },
  },
}
