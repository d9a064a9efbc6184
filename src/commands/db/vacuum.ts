import {BaseCommand} from '../../base-command.js'
import {vacuum, type VacuumReport} from '../../store/maintenance.js'

export default class DbVacuum extends BaseCommand<typeof DbVacuum> {
  static override summary = 'Rebuild the database file to return free space to the disk, and truncate the WAL'
  static override description = `VACUUM needs free disk space about the size of the database and holds the write lock while it runs; writers wait (up to their --lock-timeout). Run it after a large \`db prune\`.`
  static override examples = ['<%= config.bin %> db vacuum']

  async run(): Promise<VacuumReport> {
    const report = vacuum(this.openDb())
    if (!this.jsonEnabled()) {
      const mb = (n: number) => (n / 1_048_576).toFixed(1) + ' MB'
      this.log(
        `Vacuumed: ${mb(report.beforeBytes)} -> ${mb(report.afterBytes)} (database and WAL) in ${report.elapsedMs} ms.`,
      )
    }

    return report
  }
}
