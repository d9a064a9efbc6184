/** `wait`: a timer; the walk pauses until it runs out (the responder may continue early). */
import type {Static} from '@sinclair/typebox'

import type {StepType} from './types.js'
import {formatUtc, parseIsoDuration} from '../../incidents/time.js'
import {WalkStop} from '../responder.js'
import {nextEdge} from './flow.js'
import {type Builder, duration, stepSchema} from './schema-parts.js'

const schema = (T: Builder) =>
  stepSchema(T, 'wait', 'a timer: the walk pauses until it runs out (the responder may continue early)', {
    duration: duration(T, 'how long'),
  })

export type WaitStep = Static<ReturnType<typeof schema>>

export const wait: StepType<WaitStep> = {
  type: 'wait',
  schema,
  fields: {duration: 'text'},
  edges: nextEdge,
  async advance(step, run) {
    const {flow, base, now} = run
    if (flow.waitUntil === undefined)
      return run.append([{type: 'wait_started', data: {...base, until: now + (parseIsoDuration(step.duration) ?? 0)}}])
    const next = run.nextOr(step.next ?? run.implicit)
    if (now >= flow.waitUntil) return run.finish(next, [{type: 'wait_finished', data: {...base, early: false}}])
    const until = new Date(flow.waitUntil).toISOString()
    const choice = await run.deps.responder.choose({
      ...run.ctx,
      message: `Timer runs until ${until}`,
      choices: [
        {value: 'continue', name: 'Continue now'},
        {value: 'stop', name: 'Stop here and come back later'},
      ],
    })
    if (choice !== 'continue') throw new WalkStop(`waiting at ${base.step} until ${until}`, 'quit')
    await run.finish(next, [{type: 'wait_finished', data: {...base, early: true}}])
  },
  cacao: {
    type: () => 'action',
    step: (s, c) => ({
      type: 'action',
      delay: parseIsoDuration(s.duration),
      commands: [{type: 'manual', command: `Wait ${s.duration}`}],
      on_completion: c.ref(s.next ?? c.implicit),
    }),
  },
  events: {
    wait_started: {
      describe: (d) => `Timer until ${formatUtc(Number(d.until))}`,
      reduce: ({flow, data}) => void (flow && (flow.waitUntil = Number(data.until))),
    },
    wait_finished: {describe: (d) => `Timer finished${d.early ? ' early' : ''}`},
  },
}
