import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {changeSeverity, parseIncidentId} from '../../incidents/service.js'
import {actorFlag, actorName} from '../../incidents/terminal/flags.js'

export default class IncidentSeverity extends BaseCommand<typeof IncidentSeverity> {
  static override summary = "Change an incident's severity"
  static override examples = ['<%= config.bin %> incident severity 3 SEV1']
  static override args = {
    id: Args.string({description: 'incident id', required: true}),
    severity: Args.string({description: 'new severity', required: true}),
  }
  static override flags = {actor: actorFlag}

  async run(): Promise<{id: number; severity: string}> {
    const id = parseIncidentId(this.args.id)
    const severity = changeSeverity(
      {db: this.openDb(), actor: actorName(this.flags.actor), now: Date.now()},
      id,
      this.args.severity,
    )
    this.note(`Incident ${id} is now ${severity}.`)
    return {id, severity}
  }
}
