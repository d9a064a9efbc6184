import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {notificationJson, notificationMarkdown} from '../../exporters/notification.js'
import {notificationReport, REPORT_TARGETS, type ReportFor} from '../../incidents/notification.js'
import {incidentSummary, parseIncidentId, recordDueClockEvents} from '../../incidents/service.js'

export default class IncidentReport extends BaseCommand<typeof IncidentReport> {
  static override summary =
    'Print a notification (ICO, DSPT, NIS or cyber alert response) pre-filled from the timeline, and what is still missing'
  static override description = `ico: the UK GDPR Art. 33 personal data breach notification (submitted through the DSPT incident reporting tool, which notifies the ICO), with every Art. 33(3) field. dspt: the whole DSPT incident report (grading, ICO and NIS decisions, facts, clocks). nis: the NIS notification to DHSC. alert: the response to an NHS high-severity cyber alert. Fields come from the latest assessment step and recorded variables; each one not recorded is listed under "Still missing".`
  static override examples = [
    '<%= config.bin %> incident report 3 --for ico',
    '<%= config.bin %> incident report 3 --for dspt --json',
  ]
  static override args = {id: Args.string({description: 'incident id', required: true})}
  static override flags = {
    for: Flags.string({description: 'who the notification is for', options: [...REPORT_TARGETS], required: true}),
  }

  async run(): Promise<unknown> {
    const now = Date.now()
    const id = parseIncidentId(this.args.id)
    const db = this.openDb()
    recordDueClockEvents(db, now)
    const {summary, events} = incidentSummary(db, id)
    const report = notificationReport(summary, events, this.flags.for as ReportFor, now)
    if (!this.jsonEnabled()) process.stdout.write(notificationMarkdown(report))
    return notificationJson(report)
  }
}
