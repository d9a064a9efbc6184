import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {changeState, parseIncidentId} from '../../incidents/service.js'
import {actorFlag, actorName} from '../../incidents/terminal/flags.js'

export default class IncidentClose extends BaseCommand<typeof IncidentClose> {
  static override summary = 'Close an incident (state closed)'
  static override examples = ['<%= config.bin %> incident close 3']
  static override args = {id: Args.string({description: 'incident id', required: true})}
  static override flags = {reason: Flags.string({description: 'why'}), actor: actorFlag}

  async run(): Promise<{id: number; state: string}> {
    const id = parseIncidentId(this.args.id)
    changeState(
      {db: this.openDb(), actor: actorName(this.flags.actor), now: Date.now()},
      id,
      'closed',
      this.flags.reason,
    )
    this.note(`Incident ${id} is now closed.`)
    return {id, state: 'closed'}
  }
}
