import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {changeState, parseIncidentId} from '../../incidents/service.js'
import {actorFlag, actorName} from '../../incidents/terminal/flags.js'

export default class IncidentResolve extends BaseCommand<typeof IncidentResolve> {
  static override summary = 'Resolve an incident (state resolved)'
  static override examples = ['<%= config.bin %> incident resolve 3']
  static override args = {id: Args.string({description: 'incident id', required: true})}
  static override flags = {reason: Flags.string({description: 'why'}), actor: actorFlag}

  async run(): Promise<{id: number; state: string}> {
    const id = parseIncidentId(this.args.id)
    changeState(
      {db: this.openDb(), actor: actorName(this.flags.actor), now: Date.now()},
      id,
      'resolved',
      this.flags.reason,
    )
    this.note(`Incident ${id} is now resolved.`)
    return {id, state: 'resolved'}
  }
}
