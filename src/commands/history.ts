import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {UserError} from '../errors.js'
import {findVantage, knownCheckIds, recentResults} from '../store/results.js'
import {colourStatus, formatMs, renderTable} from '../ui/table.js'
import {termText} from '../ui/terminal-text.js'
import {didYouMean} from '../util/suggest.js'
import {parseWhen, WHEN_HELP} from '../util/when.js'

export default class History extends BaseCommand<typeof History> {
  static override summary = 'Show recent results of one check with their timings'
  static override examples = [
    '<%= config.bin %> history api-pds-ping',
    '<%= config.bin %> history web-nhs-uk --since 24h --limit 200 --json',
  ]
  static override args = {
    check: Args.string({description: 'check id', required: true}),
  }
  static override flags = {
    vantage: Flags.string({description: 'only results taken from this vantage (watch.vantage id)'}),
    limit: Flags.integer({char: 'n', description: 'results to show at most', default: 50, min: 1, max: 100_000}),
    since: Flags.string({description: 'only results after this time: ' + WHEN_HELP}),
  }

  async run() {
    const db = this.openDb({reader: true})
    const id = this.args.check
    const known = knownCheckIds(db)
    if (!known.includes(id)) {
      const guess = didYouMean(id, known)
      throw new UserError(`No results for check "${id}".`, {
        hint: guess ? `Did you mean "${guess}"?` : 'See `watchkeeper status` for the checks with results.',
        code: 'E_NO_CHECK',
      })
    }

    let since: number | undefined
    if (this.flags.since) {
      since = parseWhen(this.flags.since, Date.now(), '--since')
    }

    const results = recentResults(db, id, {
      limit: this.flags.limit,
      since,
      vantageRef: findVantage(db, this.flags.vantage),
    })
    this.log(
      renderTable(
        ['TIME (UTC)', 'STATUS', 'TOTAL', 'DNS', 'CONNECT', 'TLS', 'TTFB', 'TRIES', 'SUMMARY'],
        results.map((r) => [
          new Date(r.ts).toISOString().replace('T', ' ').slice(0, 19),
          colourStatus(r.status),
          formatMs(r.durationMs),
          formatMs(r.timings.dnsMs),
          formatMs(r.timings.connectMs),
          formatMs(r.timings.tlsMs),
          formatMs(r.timings.ttfbMs),
          String(r.attempts),
          termText(r.summary),
        ]),
        {align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left']},
      ),
    )
    return {checkId: id, results: results.map(({ts, ...r}) => ({...r, at: new Date(ts).toISOString()}))}
  }
}
