import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {cataloguePaths} from '../../catalogue/load.js'
import {UserError} from '../../errors.js'
import {catalogueMaintenance} from '../../reports/status.js'
import {parseDuration} from '../../util/duration.js'
import {StatusSite} from '../../web/site.js'
import {type SiteWriteResult, writeStatusSite} from '../../web/static-site.js'

export default class ReportStatusSite extends BaseCommand<typeof ReportStatusSite> {
  static override summary =
    'Write the status page, badges and read-API JSON as static files, for publishing where the watcher stays internal'
  static override description = `The same pages, badges and API documents that watch --status-page serves (docs/watch.md "Status page"), written from the database under --out: index.html, checks/ID.html, badge/…/*.svg, api/v1/*.json. Each file is written to a temporary name and renamed into place; nothing is written outside --out or through a symbolic link. Incident details (token-only on the live page) are never written.`
  static override examples = [
    '<%= config.bin %> report status-site --out /var/www/status',
    '<%= config.bin %> report status-site --out site/ --title "Integration services" --refresh 5m --json',
  ]
  static override flags = {
    out: Flags.string({char: 'o', description: 'folder to write the site into (created if missing)', required: true}),
    checks: Flags.string({
      char: 'c',
      description:
        'catalogue file or folder for maintenance windows (repeatable) [env: WATCHKEEPER_CHECKS; default: the shipped checks/]',
      multiple: true,
    }),
    title: Flags.string({description: 'heading of the pages', default: 'Service status'}),
    refresh: Flags.string({
      description: 'how often the pages reload themselves once published (meta refresh); 0 for never',
      default: '5m',
    }),
  }

  async run(): Promise<SiteWriteResult> {
    const {flags} = this
    const refresh = flags.refresh === '0' ? 0 : parseDuration(flags.refresh)
    if (refresh === undefined)
      throw new UserError(`--refresh ${flags.refresh}: expected a duration such as 5m, or 0`, {code: 'E_FLAG', exit: 2})
    const maintenance = catalogueMaintenance(cataloguePaths(flags.checks))
    if (maintenance.error) this.warn(`maintenance windows left out: ${maintenance.error}`)
    const site = new StatusSite(this.openDb({reader: true}), {
      title: flags.title,
      refreshSeconds: refresh / 1000,
      maintenance: () => maintenance,
    })
    const result = writeStatusSite(site, flags.out)
    this.log(`wrote ${result.files} files (${Math.round(result.bytes / 1024)} KiB) to ${result.out}`)
    return result
  }
}
