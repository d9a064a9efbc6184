import {Args, Flags} from '@oclif/core'

import type {WalkResult} from '../../playbooks/engine.js'
import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {clockRegistry, userClockPaths} from '../../incidents/clock-load.js'
import {parseIncidentId} from '../../incidents/service.js'
import {actorFlag, actorName, clocksFlag} from '../../incidents/terminal/flags.js'
import {commandResultLines} from '../../incidents/terminal/render.js'
import {respond} from '../../incidents/walk.js'
import {AnswersResponder, type StepAnswer} from '../../playbooks/answers.js'

export default class IncidentStep extends BaseCommand<typeof IncidentStep> {
  static override summary = 'Answer the current step of a walk without prompts (for scripts)'
  static override description =
    'Drives the same engine as `incident respond`: answers the named step (which must be open) from the flags, then lets the walk move on until the next thing it needs from a person.'
  static override examples = [
    '<%= config.bin %> incident step 3 declare --done',
    '<%= config.bin %> incident step 3 ico-aware --done --var aware_at=2026-05-06T07:40:00Z',
    '<%= config.bin %> incident step 3 assess-data --var personal_data=yes',
    '<%= config.bin %> incident step 3 contain --confirm',
  ]
  static override args = {
    id: Args.string({description: 'incident id', required: true}),
    step: Args.string({description: 'step id (sub-playbook steps as parent/step)', required: true}),
  }
  static override flags = {
    done: Flags.boolean({description: 'tick every remaining checklist item'}),
    tick: Flags.string({description: 'checklist as y/n per item, e.g. yyn'}),
    var: Flags.string({description: 'name=value for an asked variable (repeatable)', multiple: true}),
    confirm: Flags.boolean({description: "run the command step's command", exclusive: ['decline']}),
    decline: Flags.boolean({description: 'do not run the command (the step follows on_failure)'}),
    continue: Flags.boolean({description: "end a wait step's timer early"}),
    clocks: clocksFlag,
    actor: actorFlag,
  }

  async run(): Promise<WalkResult & {incident: number}> {
    const {flags} = this
    const id = parseIncidentId(this.args.id)
    const answer: StepAnswer = {}
    if (flags.done) answer.tick = 'all'
    if (flags.tick) answer.tick = [...flags.tick].map((c) => /[yY1x]/.test(c))
    if (flags.confirm || flags.decline) answer.confirm = Boolean(flags.confirm)
    if (flags.continue) answer.choice = 'continue'
    for (const kv of flags.var ?? []) {
      const eq = kv.indexOf('=')
      if (eq < 1) throw new UserError(`--var ${kv}: expected name=value`, {code: 'E_USAGE', exit: 2})
      answer.vars = {...answer.vars, [kv.slice(0, eq)]: kv.slice(eq + 1)}
    }

    const responder = new AnswersResponder(
      {steps: {[this.args.step]: answer}, vars: {}},
      {
        label: 'the flags',
        tickAll: false,
        singleInvocation: true,
        onCommandRan: (p) => this.note(commandResultLines(p.data).join('\n')),
      },
    )
    const result = await respond(this.openDb(), id, {
      actor: actorName(flags.actor),
      responder,
      prefer: this.args.step,
      clocks: clockRegistry(userClockPaths(flags.clocks)),
    })
    if (result.status === 'ended') this.note(`The walk of incident ${id} has reached its end.`)
    else if (result.written === 0 && result.code === 'E_STEP_NOT_OPEN') {
      throw new UserError(`Step ${this.args.step} is not open on incident ${id}.`, {
        hint: `The walk is at ${result.at.join(', ') || 'no step'}.`,
        code: 'E_STEP',
      })
    } else this.note(`Incident ${id}: the walk is now at ${result.at.join(', ')} (${result.reason}).`)
    return {incident: id, ...result}
  }
}
