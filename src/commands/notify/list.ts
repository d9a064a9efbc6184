import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {cataloguePaths, loadCatalogue} from '../../catalogue/load.js'
import {formatProblem} from '../../errors.js'
import {loadNotifiers} from '../../monitor/watch-config.js'
import {type NotifierRow, notifierRows} from '../../notify/list.js'
import {renderTable} from '../../ui/table.js'

export default class NotifyList extends BaseCommand<typeof NotifyList> {
  static override summary = 'List the notifiers of the catalogue (never their URLs or keys)'
  static override flags = {
    checks: Flags.string({
      char: 'c',
      description: 'catalogue file or folder (repeatable) [env: WATCHKEEPER_CHECKS; default: the shipped checks/]',
      multiple: true,
    }),
  }

  async run(): Promise<{notifiers: NotifierRow[]}> {
    const catalogue = loadCatalogue(cataloguePaths(this.flags.checks))
    const {notifiers, problems} = loadNotifiers(catalogue)
    const rows = notifierRows(catalogue, notifiers)
    if (rows.length === 0) this.note('No notifiers: define them under notifiers: in the catalogue.')
    else
      this.log(
        renderTable(
          ['NAME', 'TYPE', 'SECRETS FROM', 'EVENTS', 'READY'],
          rows.map((r) => [
            r.name,
            r.type,
            r.from,
            r.events === 'all' ? 'all' : r.events.join(','),
            r.ready ? 'yes' : 'no',
          ]),
        ),
      )
    for (const p of problems) this.note(formatProblem(p))
    return {notifiers: rows}
  }
}
