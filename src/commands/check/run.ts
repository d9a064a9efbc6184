import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {DEFAULT_CONCURRENCY, prestartProbeThread} from '../../monitor/runner.js'
import {STATUS_CODE, worstStatus} from '../../types.js'

export default class CheckRun extends BaseCommand<typeof CheckRun> {
  static override summary = 'Run checks once and store every result'
  static override description = `Runs the selected checks from the catalogue through a bounded pool, stores the whole run in the database in one transaction, and exits with the worst status as Nagios plugins do, ranked ok < warn < unknown < crit: 0 when all are ok, 1 when the worst is warn, 3 when the worst is unknown, 2 when any is crit (3 also when it cannot run at all; with --format nagios an UNKNOWN line on stdout then says why).`
  static override examples = [
    '<%= config.bin %> check run',
    '<%= config.bin %> check run --checks checks/api-platform.yaml --tag api-platform --json',
    '<%= config.bin %> check run --id api-pds-ping --format nagios',
    '<%= config.bin %> check run --checks test.yaml --resolve www.nhs.uk:443:127.0.0.1',
  ]
  static override failureExitCode = 3
  static override flags = {
    checks: Flags.string({
      char: 'c',
      description: 'catalogue file or folder (repeatable) [env: WATCHKEEPER_CHECKS; default: the shipped checks/]',
      multiple: true,
    }),
    id: Flags.string({description: 'run only this check id (repeatable; * matches any text)', multiple: true}),
    tag: Flags.string({char: 't', description: 'run only checks with this tag (repeatable)', multiple: true}),
    service: Flags.string({description: 'run only checks of this service (repeatable)', multiple: true}),
    format: Flags.string({
      char: 'f',
      description: 'output format',
      options: ['table', 'json', 'ndjson', 'nagios', 'prom'],
      default: 'table',
    }),
    concurrency: Flags.integer({
      description: 'checks in flight at once',
      default: DEFAULT_CONCURRENCY,
      min: 1,
      max: 1000,
    }),
    resolve: Flags.string({description: 'address override host:port:address, as curl (repeatable)', multiple: true}),
    resolver: Flags.string({description: 'DNS server host:port for checks that name none'}),
    vantage: Flags.string({
      description:
        "this probe's vantage, ID[,net=NET][,region=R]: stamped on stored results and on --format prom labels",
    }),
    'vantage-net': Flags.string({description: 'network of --vantage: internet, hscn or another name'}),
    'vantage-region': Flags.string({description: 'region of --vantage, e.g. eu-west-2'}),
  }

  /** With --format nagios, anything that stops the run is an UNKNOWN line on stdout too (the plugin guidelines ask for output). */
  public override async catch(
    err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string},
  ): Promise<unknown> {
    if (err.code !== 'EEXIT' && !this.jsonEnabled() && this.wantsNagios()) {
      const {nagiosUnknown} = await import('../../ui/run-output.js')
      process.stdout.write(nagiosUnknown(err.message.replace(/\n?See more help with --help$/, '')) + '\n')
    }

    return super.catch(err)
  }

  /** --format nagios, read from the parsed flags or, when parsing failed, from the raw arguments. */
  private wantsNagios(): boolean {
    if (this.flags?.format) return this.flags.format === 'nagios'
    const {argv} = this
    return argv.some(
      (a, i) =>
        a === '--format=nagios' ||
        a === '-fnagios' ||
        a === '-f=nagios' ||
        ((a === '--format' || a === '-f') && argv[i + 1] === 'nagios'),
    )
  }

  async run(): Promise<unknown> {
    const {flags} = this
    // The probe thread starts first; the modules of the run load while it starts up.
    prestartProbeThread({}, true)
    const [
      {cataloguePaths, loadCatalogue, selectChecks},
      {vantageFromFlags, vantageLabels},
      {executeRun},
      {runJson, runNagios, runNdjson, runProm, runTable},
      {colourStatus},
    ] = await Promise.all([
      import('../../catalogue/load.js'),
      import('../../metrics/vantage.js'),
      import('../../monitor/check-run.js'),
      import('../../ui/run-output.js'),
      import('../../ui/table.js'),
    ])
    const vantage = vantageFromFlags(
      {vantage: flags.vantage, net: flags['vantage-net'], region: flags['vantage-region']},
      3,
    )
    const catalogue = loadCatalogue(cataloguePaths(flags.checks), {resolve: flags.resolve, resolver: flags.resolver})
    const selected = selectChecks(catalogue.checks, {ids: flags.id, tags: flags.tag, services: flags.service})
    if (selected.length === 0) {
      throw new UserError('No check matches the filters.', {
        hint: `The catalogue has ${catalogue.checks.length} checks; see \`watchkeeper check list\`.`,
        code: 'E_NO_CHECKS',
      })
    }

    const runnable = selected.filter((c) => c.enabled)
    const skipped = selected.filter((c) => !c.enabled)
    for (const c of skipped) this.note(chalk.dim(`skipped ${c.id}: ${c.disabledReason}`))
    if (runnable.length === 0)
      throw new UserError('Every selected check is disabled.', {
        hint: skipped.map((c) => `${c.id}: ${c.disabledReason}`).join('; '),
        code: 'E_NO_CHECKS',
      })

    const db = this.openDb()
    const json = this.jsonEnabled() || flags.format === 'json'
    const progress = process.stderr.isTTY && !json && flags.format === 'table'
    const report = await executeRun(db, runnable, {
      concurrency: flags.concurrency,
      vantage,
      onResult: progress
        ? (r, done, total) => process.stderr.write(`\r\u001B[2K${done}/${total} ${colourStatus(r.status)} ${r.checkId}`)
        : undefined,
    })
    if (progress) process.stderr.write('\r\u001B[2K')
    process.exitCode = STATUS_CODE[worstStatus(report.results.map((r) => r.status))]
    if (this.jsonEnabled()) return runJson(report)
    switch (flags.format) {
      case 'json': {
        this.log(JSON.stringify(runJson(report), null, 2))
        break
      }

      case 'ndjson': {
        this.log(runNdjson(report))
        break
      }

      case 'nagios': {
        this.log(runNagios(report))
        break
      }

      case 'prom': {
        process.stdout.write(runProm(report, vantageLabels(vantage)))
        break
      }

      default: {
        this.log(runTable(report))
      }
    }

    return report
  }
}
