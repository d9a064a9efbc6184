import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {clockRegistry, userClockPaths} from '../../incidents/clock-load.js'
import {STOP_OUTCOMES, type StopOutcome} from '../../incidents/clocks.js'
import {adjustClock, parseIncidentId, restartClock, startClock, stopClock} from '../../incidents/service.js'
import {actorFlag, actorName, clocksFlag, parseWhen} from '../../incidents/terminal/flags.js'
import {INCIDENT_TIMES, jsonTimes} from '../../util/json-time.js'
import {WHEN_HELP} from '../../util/when.js'

export default class IncidentClock extends BaseCommand<typeof IncidentClock> {
  static override summary = 'Start, stop, restart or correct a regulatory clock by hand'
  static override description = `Clocks are those in the shipped clocks/ folder (see \`watchkeeper clock list\`), your own (--clocks), and any the incident's playbook declares.

start: --at is when the clock runs from (e.g. when the trust became aware), default now.
stop: --outcome notified | not_required | superseded; not_required needs --reason (the reasoning, UK GDPR Art. 33(5)).
restart: a restartable clock (the cyber-alert update clock) gets a new due time from now.
adjust: corrects the start (or, with --field stop, the stop) time to --at; --reason is required. The correction is a new clock_adjusted event: the original stays on the timeline.`
  static override examples = [
    '<%= config.bin %> incident clock 3 start ico_72h --at 2026-05-06T07:40:00Z',
    '<%= config.bin %> incident clock 3 stop ico_72h --outcome notified --reason "reported on the DSPT, ref 12345"',
    '<%= config.bin %> incident clock 3 stop ico_72h --outcome not_required --reason "encrypted laptop, key not lost: unlikely to result in a risk"',
    '<%= config.bin %> incident clock 3 adjust ico_72h --at 2026-05-06T06:10:00Z --reason "the ward reported it at 06:10, not 07:40"',
  ]
  static override args = {
    id: Args.string({description: 'incident id', required: true}),
    action: Args.string({
      description: 'start, stop, restart or adjust',
      required: true,
      options: ['start', 'stop', 'restart', 'adjust'],
    }),
    name: Args.string({description: 'clock name', required: true}),
  }
  static override flags = {
    at: Flags.string({description: 'when: ' + WHEN_HELP + '; start/stop default now; adjust needs it'}),
    outcome: Flags.string({description: 'with stop: how the clock stopped', options: [...STOP_OUTCOMES]}),
    reason: Flags.string({description: 'why: required for adjust and for a not_required stop'}),
    field: Flags.string({
      description: 'with adjust: which time to correct',
      options: ['start', 'stop'],
      default: 'start',
    }),
    clocks: clocksFlag,
    actor: actorFlag,
  }

  async run(): Promise<unknown> {
    const now = Date.now()
    const {flags, args} = this
    const id = parseIncidentId(args.id)
    const at = flags.at ? parseWhen(flags.at, now, '--at') : undefined
    const registry = clockRegistry(userClockPaths(flags.clocks))
    const a = {db: this.openDb(), actor: actorName(flags.actor), now}
    const iso = (t: unknown) => new Date(Number(t)).toISOString()
    let event: unknown
    switch (args.action) {
      case 'start': {
        const e = startClock(a, id, args.name, at, registry)
        this.note(`Clock ${args.name} started on incident ${id} at ${iso(e.occurredAt)}; due ${iso(e.data.dueAt)}.`)
        event = e
        break
      }

      case 'stop': {
        if (!flags.outcome)
          throw new UserError('stop needs --outcome notified, not_required or superseded.', {code: 'E_USAGE', exit: 2})
        event = stopClock(a, id, args.name, {outcome: flags.outcome as StopOutcome, reason: flags.reason, at})
        this.note(`Clock ${args.name} stopped on incident ${id}: ${flags.outcome}.`)
        break
      }

      case 'restart': {
        const e = restartClock(a, id, args.name, flags.reason, registry)
        this.note(`Clock ${args.name} restarted on incident ${id}; next due ${iso(e.data.dueAt)}.`)
        event = e
        break
      }

      default: {
        if (at === undefined)
          throw new UserError('adjust needs --at TIME (the corrected time).', {code: 'E_USAGE', exit: 2})
        const e = adjustClock(a, id, args.name, {
          field: flags.field as 'start' | 'stop',
          at,
          reason: flags.reason ?? '',
        })
        this.note(
          `Clock ${args.name} ${flags.field} corrected on incident ${id}: ${iso(e.data.from)} → ${iso(e.data.to)}${e.data.dueAt === undefined ? '' : `; due ${iso(e.data.dueAt)}`}.`,
        )
        event = e
      }
    }

    return jsonTimes({id, clock: args.name, action: args.action, event}, INCIDENT_TIMES)
  }
}
