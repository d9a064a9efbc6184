import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {parseIncidentId, startClock, stopClock} from '../../incidents/service.js'
import {actorFlag, actorName, parseWhen} from '../../incidents/terminal/flags.js'

export default class IncidentClock extends BaseCommand<typeof IncidentClock> {
  static override summary = 'Start or stop a regulatory clock by hand'
  static override description = 'Clocks are those the incident\'s playbook declares, plus the built-in ico_72h, nis_72h, nhs_alert_48h and pir_5bd. --at sets when the clock started (e.g. when the trust became aware) or stopped.'
  static override examples = ['<%= config.bin %> incident clock 3 start ico_72h --at 2026-05-06T07:40:00Z', '<%= config.bin %> incident clock 3 stop ico_72h --reason "reported on the DSPT"']
  static override args = {
    id: Args.string({description: 'incident id', required: true}),
    action: Args.string({description: 'start or stop', required: true, options: ['start', 'stop']}),
    name: Args.string({description: 'clock name', required: true}),
  }
  static override flags = {at: Flags.string({description: 'when (ISO time or a duration ago)'}), reason: Flags.string({description: 'with stop: why it stopped'}), actor: actorFlag}

  async run(): Promise<{id: number; clock: string; action: string}> {
    const now = Date.now()
    const id = parseIncidentId(this.args.id)
    const a = {db: this.openDb(), actor: actorName(this.flags.actor), now}
    const at = this.flags.at ? parseWhen(this.flags.at, now, '--at') : undefined
    if (this.args.action === 'start') {
      const e = startClock(a, id, this.args.name, at)
      this.note(`Clock ${this.args.name} started on incident ${id}; due ${new Date(Number(e.data.dueAt)).toISOString()}.`)
    } else {
      stopClock(a, id, this.args.name, this.flags.reason, at)
      this.note(`Clock ${this.args.name} stopped on incident ${id}.`)
    }
    return {id, clock: this.args.name, action: this.args.action}
  }
}
