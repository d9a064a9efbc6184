import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {
  DEFAULT_RETENTION,
  describePolicy,
  parseRetention,
  pruneOnce,
  type PruneReport,
  type RetentionPolicy,
} from '../../store/maintenance.js'
import {jsonTimes} from '../../util/json-time.js'

export default class DbPrune extends BaseCommand<typeof DbPrune> {
  static override summary = 'Delete raw results, rollups and outages older than the retention periods'
  static override description = `Deletes in small batches (one short transaction each, with a pause between), so a \`check run\` or \`watch\` writing at the same time is never locked out for long. Rollups outlive the raw results: uptime and SLO reports over old periods keep working. Run \`db vacuum\` afterwards to give the space back to the disk.`
  static override examples = [
    '<%= config.bin %> db prune --dry-run',
    '<%= config.bin %> db prune --keep-raw 14d',
    '<%= config.bin %> db prune --keep-raw 30d --keep-hourly 180d --keep-daily 3y',
  ]
  static override flags = {
    'keep-raw': Flags.string({description: 'keep raw results this long (e.g. 30d, 13w)', default: '30d'}),
    'keep-hourly': Flags.string({description: 'keep hourly rollups this long', default: '90d'}),
    'keep-daily': Flags.string({
      description: 'keep daily rollups and ended outages this long (2y = 730 days)',
      default: '731d',
    }),
    'dry-run': Flags.boolean({description: 'count what would be deleted, delete nothing', default: false}),
    'batch-size': Flags.integer({description: 'rows deleted per transaction', default: 5000, min: 100, max: 1_000_000}),
  }

  async run(): Promise<Omit<PruneReport, 'cutoffs'> & {cutoffs: unknown; policy: RetentionPolicy}> {
    const {flags} = this
    const policy: RetentionPolicy = {
      raw: parseRetention(flags['keep-raw'], '--keep-raw'),
      hourly: parseRetention(flags['keep-hourly'], '--keep-hourly'),
      daily: parseRetention(flags['keep-daily'], '--keep-daily'),
    }
    if (policy.raw > policy.hourly || policy.hourly > policy.daily) {
      throw new UserError(`Retention must not shrink from raw to hourly to daily (got ${describePolicy(policy)}).`, {
        hint: `The defaults are ${describePolicy(DEFAULT_RETENTION)}.`,
        code: 'E_USAGE',
        exit: 2,
      })
    }

    const report = await pruneOnce(this.openDb(), Date.now(), policy, {
      dryRun: flags['dry-run'],
      batchSize: flags['batch-size'],
    })
    const out = {...report, cutoffs: jsonTimes(report.cutoffs, new Set(['raw', 'hourly', 'daily'])), policy}
    if (!this.jsonEnabled()) {
      const d = report.deleted
      const verb = report.dryRun ? 'Would delete' : 'Deleted'
      this.log(
        `${verb} ${d.results} results and ${d.monitorEvents} monitor events (before ${new Date(report.cutoffs.raw).toISOString()}), ${d.runs} runs, ` +
          `${d.rollupHourly} hourly rollups (before ${new Date(report.cutoffs.hourly).toISOString()}), ` +
          `${d.rollupDaily} daily rollups and ${d.outages} outages (before ${new Date(report.cutoffs.daily).toISOString()})` +
          (report.dryRun ? '.' : ` in ${report.batches} batches, ${report.elapsedMs} ms.`),
      )
    }

    return out
  }
}
