import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {addNote, parseIncidentId} from '../../incidents/service.js'
import {actorFlag, actorName, parseWhen} from '../../incidents/terminal/flags.js'
import {INCIDENT_TIMES, jsonTimes} from '../../util/json-time.js'
import {WHEN_HELP} from '../../util/when.js'

export default class IncidentNote extends BaseCommand<typeof IncidentNote> {
  static override summary = 'Add a scribe entry to the timeline'
  static override description = '--at records when it happened; the time it was written is kept separately.'
  static override examples = [
    '<%= config.bin %> incident note 3 "Bridge opened, 6 on the call"',
    '<%= config.bin %> incident note 3 "Ransom note found on FS01" --at 2026-05-06T07:40:00Z',
  ]
  static override args = {
    id: Args.string({description: 'incident id', required: true}),
    text: Args.string({description: 'what happened', required: true}),
  }
  static override flags = {at: Flags.string({description: 'when it happened: ' + WHEN_HELP}), actor: actorFlag}

  async run(): Promise<unknown> {
    const now = Date.now()
    const id = parseIncidentId(this.args.id)
    const [e] = addNote(
      {db: this.openDb(), actor: actorName(this.flags.actor), now},
      id,
      this.args.text,
      this.flags.at ? parseWhen(this.flags.at, now, '--at') : undefined,
    )
    this.note(`Noted on incident ${id} (event ${e.seq}).`)
    return jsonTimes(e, INCIDENT_TIMES)
  }
}
