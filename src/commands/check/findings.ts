import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {FINDINGS} from '../../findings.js'
import {findingsMarkdown} from '../../ui/findings-doc.js'
import {colourSeverity, renderTable} from '../../ui/table.js'

export default class CheckFindings extends BaseCommand<typeof CheckFindings> {
  static override summary = 'List every finding id with its severity, criterion and reference'
  static override usesDatabase = false
  static override examples = [
    '<%= config.bin %> check findings',
    '<%= config.bin %> check findings --prefix email.dmarc',
    '<%= config.bin %> check findings --markdown',
  ]
  static override flags = {
    prefix: Flags.string({description: 'only ids starting with this text, e.g. web.hsts'}),
    markdown: Flags.boolean({description: 'print the Markdown table used in the README'}),
  }

  async run() {
    const list = FINDINGS.filter((f) => !this.flags.prefix || f.id.startsWith(this.flags.prefix))
    if (this.flags.markdown) this.log(findingsMarkdown(list))
    else
      this.log(
        renderTable(
          ['ID', 'SEVERITY', 'CRITERION'],
          list.map((f) => [f.id, colourSeverity(f.severity), f.criterion]),
        ),
      )
    return {findings: list}
  }
}
