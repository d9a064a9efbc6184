import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {cataloguePaths, loadCatalogue, selectChecks} from '../../catalogue/load.js'
import {renderTable} from '../../ui/table.js'
import {formatDuration} from '../../util/duration.js'

export default class CheckList extends BaseCommand<typeof CheckList> {
  static override summary = 'List the checks in the catalogue'
  static override usesDatabase = false
  static override examples = ['<%= config.bin %> check list', '<%= config.bin %> check list --tag api-platform --json']
  static override flags = {
    checks: Flags.string({
      char: 'c',
      description: 'catalogue file or folder (repeatable) [env: WATCHKEEPER_CHECKS; default: the shipped checks/]',
      multiple: true,
    }),
    id: Flags.string({description: 'only this check id (repeatable; * matches any text)', multiple: true}),
    tag: Flags.string({char: 't', description: 'only checks with this tag (repeatable)', multiple: true}),
    service: Flags.string({description: 'only checks of this service (repeatable)', multiple: true}),
  }

  async run() {
    const catalogue = loadCatalogue(cataloguePaths(this.flags.checks))
    const checks = selectChecks(catalogue.checks, {
      ids: this.flags.id,
      tags: this.flags.tag,
      services: this.flags.service,
    })
    const out = checks.map((c) => ({
      id: c.id,
      name: c.name,
      kind: c.kind,
      target: c.target,
      service: c.service ?? null,
      tier: c.tier ?? null,
      tags: c.tags,
      timeoutMs: c.timeoutMs,
      retries: c.retries,
      enabled: c.enabled,
      ...(c.disabledReason ? {disabledReason: c.disabledReason} : {}),
      source: `${c.source.file}:${c.source.line}`,
    }))
    this.log(
      renderTable(
        ['ID', 'KIND', 'SERVICE', 'TIER', 'TIMEOUT', 'TARGET'],
        checks.map((c) => [
          c.enabled ? c.id : chalk.dim(`${c.id} (off)`),
          c.kind,
          c.service ?? '-',
          c.tier ?? '-',
          formatDuration(c.timeoutMs),
          c.target,
        ]),
      ),
    )
    this.log(chalk.dim(`${checks.length} checks`))
    return {checks: out}
  }
}
