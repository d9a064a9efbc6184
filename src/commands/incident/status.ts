import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {STATES} from '../../incidents/lifecycle.js'
import {changeState, parseIncidentId} from '../../incidents/service.js'
import {actorFlag, actorName} from '../../incidents/terminal/flags.js'

export default class IncidentStatus extends BaseCommand<typeof IncidentStatus> {
  static override summary = 'Move an incident to another state'
  static override description = `States: ${STATES.join(', ')}. Allowed moves: triage → active | declined | merged; active → mitigated | resolved | merged; mitigated → active | resolved; resolved → closed | active; declined → triage.`
  static override examples = [
    '<%= config.bin %> incident status 3 active',
    '<%= config.bin %> incident status 4 merged --into 3',
  ]
  static override args = {
    id: Args.string({description: 'incident id', required: true}),
    state: Args.string({description: 'new state', required: true, options: [...STATES]}),
  }
  static override flags = {
    reason: Flags.string({description: 'why'}),
    into: Flags.string({description: 'with merged: the incident this one was merged into'}),
    actor: actorFlag,
  }

  async run(): Promise<{id: number; state: string}> {
    const id = parseIncidentId(this.args.id)
    changeState(
      {db: this.openDb(), actor: actorName(this.flags.actor), now: Date.now()},
      id,
      this.args.state,
      this.flags.reason,
      this.flags.into ? {into: this.flags.into} : {},
    )
    this.note(`Incident ${id} is now ${this.args.state}.`)
    return {id, state: this.args.state}
  }
}
