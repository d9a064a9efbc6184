import {BaseCommand} from '../../base-command.js'
import {renderPlainTable} from '../../reports/render.js'
import {databaseStats, type DbStats} from '../../store/maintenance.js'

export default class DbStatsCommand extends BaseCommand<typeof DbStatsCommand> {
  static override summary =
    'Database size, WAL size, rows and bytes per table, bytes per result, oldest and newest data'
  static override description =
    'Reads every page once to size each table, so it takes a few seconds on a database of gigabytes.'
  static override examples = ['<%= config.bin %> db stats', '<%= config.bin %> db stats --json']

  async run(): Promise<DbStats> {
    const s = databaseStats(this.openDb({reader: true}))
    if (!this.jsonEnabled()) {
      const mb = (n: number) => (n / 1_048_576).toFixed(1) + ' MB'
      this.log(
        [
          `Database ${s.file} (schema ${s.schemaVersion})`,
          `  file ${mb(s.fileBytes)}, WAL ${mb(s.walBytes)}, ${s.pages} pages of ${s.pageSize} bytes, ${s.freePages} free`,
          `  results: ${s.results.rows} rows, ${s.results.bytesPerResult ?? '-'} bytes each (with indexes), ${s.results.oldest ?? '-'} .. ${s.results.newest ?? '-'}`,
          `  hourly rollups: ${s.rollups.hourly.rows} rows, ${s.rollups.hourly.bytesPerRow ?? '-'} bytes each, ${s.rollups.hourly.oldest ?? '-'} .. ${s.rollups.hourly.newest ?? '-'}`,
          `  daily rollups: ${s.rollups.daily.rows} rows, ${s.rollups.daily.bytesPerRow ?? '-'} bytes each, ${s.rollups.daily.oldest ?? '-'} .. ${s.rollups.daily.newest ?? '-'}`,
          `  outages: ${s.outages.rows} (${s.outages.open} open)`,
          ...Object.entries(s.prunedBefore).map(([level, at]) => `  ${level} pruned before ${at}`),
          '',
          renderPlainTable(
            [
              {header: 'TABLE', raw: (t) => t.name},
              {header: 'ROWS', raw: (t) => t.rows, right: true},
              {header: 'SIZE', raw: (t) => t.bytes, text: (t) => mb(t.bytes), right: true},
            ],
            s.tables,
          ),
        ].join('\n'),
      )
    }

    return s
  }
}
