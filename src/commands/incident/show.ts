import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {clocksJson} from '../../incidents/clocks.js'
import {incidentPlaybook, incidentSummary, parseIncidentId, recordDueClockEvents} from '../../incidents/service.js'
import {incidentDetail} from '../../incidents/terminal/render.js'
import {walkPosition} from '../../playbooks/engine.js'
import {INCIDENT_TIMES, jsonTimes} from '../../util/json-time.js'

export default class IncidentShow extends BaseCommand<typeof IncidentShow> {
  static override summary = 'Show an incident: summary, roles, clocks with time left, current step, timeline'
  static override examples = ['<%= config.bin %> incident show 3']
  static override args = {id: Args.string({description: 'incident id', required: true})}

  async run(): Promise<unknown> {
    const now = Date.now()
    const id = parseIncidentId(this.args.id)
    const db = this.openDb({reader: true})
    recordDueClockEvents(db, now)
    const {summary, events, row} = incidentSummary(db, id)
    const playbook = incidentPlaybook(row)
    const position = playbook ? walkPosition(playbook, events) : []
    if (!this.jsonEnabled()) this.log(incidentDetail(summary, events, now, position))
    const {playbookJson: _p, clocks: _c, ...rest} = summary
    return jsonTimes({incident: rest, clocks: clocksJson(events, now), currentSteps: position, events}, INCIDENT_TIMES)
  }
}
