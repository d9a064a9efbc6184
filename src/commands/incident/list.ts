import {Flags} from '@oclif/core'
import {WHEN_HELP} from '../../util/when.js'

import {BaseCommand} from '../../base-command.js'
import {clockJson} from '../../incidents/clocks.js'
import {listIncidents, recordDueClockEvents} from '../../incidents/service.js'
import {parseWhen} from '../../incidents/terminal/flags.js'
import {incidentTable} from '../../incidents/terminal/render.js'
import {INCIDENT_TIMES, jsonTimes} from '../../util/json-time.js'

export default class IncidentList extends BaseCommand<typeof IncidentList> {
  static override summary = 'List incidents, newest first, with their most urgent clock'
  static override examples = [
    '<%= config.bin %> incident list --open',
    '<%= config.bin %> incident list --service "NHS login" --since 7d --json',
  ]
  static override flags = {
    open: Flags.boolean({description: 'only incidents in triage, active or mitigated'}),
    service: Flags.string({description: 'only this service'}),
    severity: Flags.string({description: 'only this severity'}),
    since: Flags.string({description: 'only incidents opened since: ' + WHEN_HELP}),
    exercise: Flags.boolean({
      description: 'only EXERCISE incidents (opened by `exercise run`), which are hidden otherwise',
      exclusive: ['all'],
    }),
    all: Flags.boolean({description: 'real and EXERCISE incidents together'}),
  }

  async run(): Promise<{incidents: unknown}> {
    const {flags} = this
    const now = Date.now()
    const db = this.openDb({reader: true})
    recordDueClockEvents(db, now)
    const list = listIncidents(db, {
      open: flags.open,
      service: flags.service,
      severity: flags.severity,
      since: flags.since ? parseWhen(flags.since, now, '--since') : undefined,
      exercise: flags.exercise ? 'exercise' : flags.all ? 'all' : 'real',
    })
    if (!this.jsonEnabled()) this.log(list.length > 0 ? incidentTable(list, now) : 'No incidents.')
    return {
      incidents: jsonTimes(
        list.map(({playbookJson: _p, clocks, ...rest}) => ({...rest, clocks: clocks.map((c) => clockJson(c, now))})),
        INCIDENT_TIMES,
      ),
    }
  }
}
