import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {assignRole, parseIncidentId} from '../../incidents/service.js'
import {actorFlag, actorName} from '../../incidents/terminal/flags.js'
import {termText} from '../../ui/terminal-text.js'

export default class IncidentAssign extends BaseCommand<typeof IncidentAssign> {
  static override summary = "Give a role (ic, scribe, or one of the playbook's) to a person"
  static override examples = ['<%= config.bin %> incident assign 3 ic "Sam Patel"']
  static override args = {
    id: Args.string({description: 'incident id', required: true}),
    role: Args.string({description: 'role name', required: true}),
    person: Args.string({description: 'who holds it', required: true}),
  }
  static override flags = {actor: actorFlag}

  async run(): Promise<{id: number; role: string; person: string}> {
    const id = parseIncidentId(this.args.id)
    assignRole(
      {db: this.openDb(), actor: actorName(this.flags.actor), now: Date.now()},
      id,
      this.args.role,
      this.args.person,
    )
    this.note(`Incident ${id}: ${termText(this.args.role)} is ${termText(this.args.person)}.`)
    return {id, role: this.args.role, person: this.args.person}
  }
}
