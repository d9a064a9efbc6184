import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {backupDatabase, type BackupReport} from '../../store/maintenance.js'

export default class DbBackup extends BaseCommand<typeof DbBackup> {
  static override summary = 'Copy the database to FILE while it stays in use (SQLite online backup)'
  static override description = `Uses SQLite's backup API, so \`watch\` and \`check run\` can go on writing meanwhile. The copy is written beside FILE and renamed into place when complete. Refuses to overwrite FILE unless --force.`
  static override examples = ['<%= config.bin %> db backup /var/backups/watchkeeper-$(date +%F).db']
  static override args = {
    file: Args.string({description: 'the backup file to write', required: true}),
  }
  static override flags = {
    force: Flags.boolean({description: 'overwrite FILE if it exists', default: false}),
  }

  async run(): Promise<BackupReport> {
    const report = await backupDatabase(this.openDb({reader: true}), this.args.file, {force: this.flags.force})
    if (!this.jsonEnabled())
      this.log(
        `Backed up ${report.pages} pages (${(report.bytes / 1_048_576).toFixed(1)} MB) to ${report.file} in ${report.elapsedMs} ms.`,
      )
    return report
  }
}
