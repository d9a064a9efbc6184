/** `playbook`: run another playbook, then continue. */
import type {Static} from '@sinclair/typebox'

import type {StepType} from './types.js'
import {str} from '../values.js'
import {nextEdge} from './flow.js'
import {type Builder, stepSchema} from './schema-parts.js'

const schema = (T: Builder) =>
  stepSchema(T, 'playbook', 'run another playbook, then continue', {
    playbook: T.String({
      minLength: 1,
      description: 'id of a playbook in the same folder, or a path relative to this file',
    }),
  })

export type PlaybookStep = Static<ReturnType<typeof schema>>

export const playbook: StepType<PlaybookStep> = {
  type: 'playbook',
  schema,
  fields: {playbook: 'text'},
  edges: nextEdge,
  includes: (s) => (typeof s.playbook === 'string' ? {ref: s.playbook, key: ['playbook']} : undefined),
  async advance(step, run) {
    const {flow} = run
    if (flow.children.length === 0) {
      const sub = run.pb.subs[step.playbook]
      return run.append([
        {
          type: 'subplaybook_started',
          data: {
            ...run.base,
            playbook: step.playbook,
            id: sub.id,
            child: `${flow.id}>${step.id}#${flow.inv}`,
            at: sub.start ?? sub.steps[0].id,
          },
        },
      ])
    }

    await run.finish(run.nextOr(step.next ?? run.implicit))
  },
  cacao: {
    type: () => 'playbook-action',
    step: (s, c) => ({
      type: 'playbook-action',
      playbook_id: `playbook--${c.uuid(c.playbook.subs[s.playbook]?.id ?? s.playbook)}`,
      on_completion: c.ref(s.next ?? c.implicit),
    }),
  },
  events: {
    subplaybook_started: {
      describe: (d) => `Sub-playbook ${str(d.playbook)} started`,
      reduce({flow, data, newFlow}) {
        if (!flow) return
        newFlow(str(data.child), [...flow.pb, str(data.playbook)], str(data.at), [], flow.id)
        flow.children = [str(data.child)]
      },
    },
  },
}
