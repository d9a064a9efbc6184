import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {openIncident} from '../../incidents/service.js'
import {actorFlag, actorName} from '../../incidents/terminal/flags.js'
import {loadPlaybookRef} from '../../playbooks/load.js'
import {termText} from '../../ui/terminal-text.js'

export default class IncidentOpen extends BaseCommand<typeof IncidentOpen> {
  static override summary = 'Open an incident'
  static override description =
    "Creates an incident in triage and starts its timeline. With --from-check the check's last failing result is attached as the first evidence; with --playbook the playbook is validated and a copy is kept with the incident for `incident respond`."
  static override examples = [
    '<%= config.bin %> incident open --title "NHS login discovery failing" --severity SEV2 --service "NHS login" --from-check nhs-login-oidc-discovery',
    '<%= config.bin %> incident open --title "Ransomware on trust estate" --severity SEV1 --playbook ransomware-nhs-trust',
  ]
  static override flags = {
    title: Flags.string({char: 't', description: 'what is happening, in a line', required: true}),
    severity: Flags.string({
      char: 's',
      description: "SEV1 (worst) to SEV4, or the playbook's own scale [default: SEV2]",
    }),
    service: Flags.string({description: 'the affected service'}),
    check: Flags.string({description: 'link a check id (repeatable)', multiple: true}),
    'from-check': Flags.string({description: 'link this check and attach its last failing result as evidence'}),
    playbook: Flags.string({char: 'p', description: 'playbook id (from playbooks/ or --playbooks) or a YAML file'}),
    playbooks: Flags.string({
      description:
        'folder of playbooks to look names up in [env: WATCHKEEPER_PLAYBOOKS; default: the shipped playbooks/]',
    }),
    actor: actorFlag,
  }

  async run(): Promise<{id: number; title: string; severity: string; state: string; playbook?: string}> {
    const {flags} = this
    const playbook = flags.playbook ? loadPlaybookRef(flags.playbook, flags.playbooks) : undefined
    const db = this.openDb()
    const {id, events} = openIncident(
      {db, actor: actorName(flags.actor), now: Date.now()},
      {
        title: flags.title,
        severity: flags.severity,
        service: flags.service,
        checks: flags.check,
        fromCheck: flags['from-check'],
        playbook,
      },
    )
    const opened = events[0].data
    this.note(
      `Opened incident ${id}: ${termText(flags.title)} (${String(opened.severity)}, triage)${playbook ? `, playbook ${playbook.id}` : ''}`,
    )
    if (!this.jsonEnabled()) this.log(String(id))
    return {
      id,
      title: String(opened.title),
      severity: String(opened.severity),
      state: 'triage',
      ...(playbook ? {playbook: playbook.id} : {}),
    }
  }
}
