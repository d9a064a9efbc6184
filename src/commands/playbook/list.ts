import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {DefinitionError} from '../../errors.js'
import {playbookDir, validatePlaybooks} from '../../playbooks/load.js'
import {playbookClocks} from '../../playbooks/model.js'
import {renderTable} from '../../ui/table.js'

export default class PlaybookList extends BaseCommand<typeof PlaybookList> {
  static override summary = 'List the playbooks in a folder'
  static override usesDatabase = false
  static override examples = [
    '<%= config.bin %> playbook list',
    '<%= config.bin %> playbook list --playbooks ./our-playbooks',
  ]
  static override flags = {
    playbooks: Flags.string({
      description: 'folder of playbooks [env: WATCHKEEPER_PLAYBOOKS; default: the shipped playbooks/]',
    }),
  }

  async run(): Promise<{playbooks: unknown[]}> {
    const {playbooks, problems} = validatePlaybooks([playbookDir(this.flags.playbooks)])
    if (problems.length > 0) throw new DefinitionError(problems, 'playbook')
    const today = new Date().toISOString().slice(0, 10)
    const rows = playbooks.map((p) => ({
      id: p.id,
      name: p.name,
      steps: p.steps.length,
      clocks: playbookClocks(p),
      reviewBy: p.review_by ?? null,
      reviewDue: p.review_by !== undefined && p.review_by <= today,
      file: p.file,
    }))
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['ID', 'NAME', 'STEPS', 'CLOCKS', 'REVIEW BY'],
          rows.map((r) => [
            r.id,
            r.name,
            String(r.steps),
            r.clocks.join(', '),
            r.reviewBy === null ? '-' : r.reviewDue ? chalk.yellow(`${r.reviewBy} (past)`) : r.reviewBy,
          ]),
        ),
      )
    }

    return {playbooks: rows}
  }
}
