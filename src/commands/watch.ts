import {Flags} from '@oclif/core'

import type {Playbook} from '../playbooks/model.js'
import type {DB} from '../store/db.js'
import {BaseCommand, type BaseFlags} from '../base-command.js'
import {cataloguePaths, validateCatalogue} from '../catalogue/load.js'
import {DefinitionError, type Problem, UserError} from '../errors.js'
import {alertmanagerRoute, alertmanagerToken, watchReceiver} from '../fleet/alertmanager.js'
import {fleetRoutes} from '../metrics/fleet-routes.js'
import {type MetricsServer, startMetricsServer} from '../metrics/server.js'
import {vantageFromFlags} from '../metrics/vantage.js'
import {WatchMetrics} from '../metrics/watch-metrics.js'
import {buildWatchConfig, type WatchConfig} from '../monitor/watch-config.js'
import {loadIncidentPlaybooks, watchHooks} from '../monitor/watch-hooks.js'
import {formatLogLine, type LogEntry, WatchConfigError, Watcher, type WatchSummary} from '../monitor/watch.js'
import {parseResolveRule} from '../probes/net.js'
import {parseRetention} from '../store/maintenance.js'
import {parseDuration} from '../util/duration.js'
import {statusFlags, statusRoutesFromFlags} from '../web/watch-status.js'

export default class Watch extends BaseCommand<typeof Watch> {
  static override summary = 'Watch the catalogue: run checks on their schedules, alert on state changes, export metrics'
  static override description = `Runs every enabled check on its interval: or schedule: (cron, in its timezone:), stores every result, and keeps a state per check: failing after thresholds.failure failed results in a row (default 3), ok again after thresholds.recovery passing ones (default 2), degraded on warn, flapping when it changes state too often. State changes go to the notifiers; a check with incident: opens an incident when it keeps failing. Maintenance windows hold alerts. When most checks fail at once, the canary decides whether the probe lost its own network (one alert instead of hundreds).

Signals: SIGHUP re-reads the catalogue (an invalid one is reported and the running one kept); SIGTERM or SIGINT stops scheduling, lets checks in flight finish (up to watch.shutdown_grace), writes everything and exits 0.

Logs go to stderr: readable lines by default, one JSON object a line with --log-format json.`
  static override examples = [
    '<%= config.bin %> watch --checks checks/',
    '<%= config.bin %> watch --metrics 127.0.0.1:9464 --log-format json',
    '<%= config.bin %> watch --once --json',
    '<%= config.bin %> watch --metrics 127.0.0.1:9464 --status-page',
  ]
  static override flags = {
    checks: Flags.string({
      char: 'c',
      description: 'catalogue file or folder (repeatable) [env: WATCHKEEPER_CHECKS; default: the shipped checks/]',
      multiple: true,
    }),
    once: Flags.boolean({
      description: 'run every enabled check once, evaluate, notify, and exit (for systemd timers and tests)',
      default: false,
    }),
    metrics: Flags.string({description: 'serve Prometheus metrics and /healthz on this address, e.g. 127.0.0.1:9464'}),
    'metrics-label': Flags.string({
      description: 'constant label on every metric, name=value (repeatable), e.g. site=leeds',
      multiple: true,
    }),
    vantage: Flags.string({
      description:
        "this probe's vantage, ID[,net=NET][,region=R]: labels vantage, net, region on every metric [default: watch.vantage]",
    }),
    'vantage-net': Flags.string({description: 'network of --vantage: internet, hscn or another name'}),
    'vantage-region': Flags.string({description: 'region of --vantage, e.g. eu-west-2'}),
    'log-format': Flags.string({description: 'stderr log format', options: ['human', 'json'], default: 'human'}),
    concurrency: Flags.integer({
      description: 'checks in flight at once [default: watch.concurrency or 32]',
      min: 1,
      max: 1000,
    }),
    instance: Flags.string({description: 'name of this watchkeeper in notifications [default: the host name]'}),
    grace: Flags.string({
      description: 'on SIGTERM, how long checks in flight may take [default: watch.shutdown_grace or 15s]',
    }),
    'keep-raw': Flags.string({
      description: 'retention: prune raw results older than this, hourly (e.g. 30d); 0 turns pruning off',
      default: '30d',
    }),
    'keep-hourly': Flags.string({description: 'retention of hourly rollups', default: '90d'}),
    'keep-daily': Flags.string({description: 'retention of daily rollups', default: '731d'}),
    resolve: Flags.string({description: 'address override host:port:address, as curl (repeatable)', multiple: true}),
    resolver: Flags.string({description: 'DNS server host:port for checks that name none'}),
    playbooks: Flags.string({
      description:
        'folder that incident.playbook ids are looked up in [env: WATCHKEEPER_PLAYBOOKS; default: the shipped playbooks/]',
    }),
    'alertmanager-token-env': Flags.string({
      description:
        "serve POST /alertmanager (Alertmanager's webhook: an incident per alert group) on the --metrics listener; Alertmanager's bearer token is in this environment variable",
    }),
    'alertmanager-no-token': Flags.boolean({
      description: 'serve POST /alertmanager without a token (only with --metrics on loopback)',
      default: false,
    }),
    ...statusFlags,
  }

  async run(): Promise<WatchSummary> {
    const {flags} = this
    const format = logFormatOf(flags['log-format'])
    const log = (e: LogEntry) => process.stderr.write(formatLogLine(e, format) + '\n')
    const catalogue = new CatalogueLoader(cataloguePaths(flags.checks), flags)
    const vantage = vantageFromFlags({
      vantage: flags.vantage,
      net: flags['vantage-net'],
      region: flags['vantage-region'],
    })
    const labels = metricLabels(flags['metrics-label'])
    const graceMs = graceOf(flags.grace)
    const retention = retentionOf(flags)
    const alertmanager = alertmanagerOf(flags)

    const db = this.openDb({lockWait: false})
    const status = flags.once ? undefined : statusRoutesFromFlags(db, flags, () => catalogue.current)
    const hooks = watchHooks({retention, playbooks: () => catalogue.playbooks})
    const metrics = flags.metrics ? new WatchMetrics({defaultLabels: labels, ...hooks.metricSources(db)}) : undefined
    const watcher = new Watcher({
      db,
      load: () => catalogue.load(),
      log,
      metrics,
      hooks,
      concurrency: flags.concurrency,
      instance: flags.instance,
      vantage,
    })
    initWatcher(watcher)

    if (flags.once) {
      await watcher.runOnce()
      await watcher.settle()
      return watcher.stop(graceMs)
    }

    const servers = await startServers({flags, db, watcher, catalogue, metrics, status, alertmanager, log})
    return serveUntilStopped(watcher, servers, graceMs, log)
  }
}

type WatchFlags = BaseFlags<typeof Watch>
type Log = (e: LogEntry) => void

/** --log-format, whose options oclif has already checked. */
function logFormatOf(value: string): 'human' | 'json' {
  return value === 'json' ? 'json' : 'human'
}

/** Loads the catalogue (at start and on SIGHUP) and keeps the last valid one and its incident playbooks. */
class CatalogueLoader {
  current: WatchConfig | undefined
  playbooks = new Map<string, Playbook>()

  constructor(
    private readonly paths: string[],
    private readonly flags: Pick<WatchFlags, 'playbooks' | 'resolve' | 'resolver'>,
  ) {}

  load(): {config?: WatchConfig; problems: Problem[]} {
    const {flags} = this
    const {catalogue, problems} = validateCatalogue(this.paths, {resolve: flags.resolve, resolver: flags.resolver})
    if (!catalogue) return {problems}
    const built = buildWatchConfig(catalogue)
    if (!built.config) return built
    const pb = loadIncidentPlaybooks(built.config, flags.playbooks)
    if (pb.problems.length > 0) return {problems: pb.problems}
    this.playbooks = pb.playbooks
    this.current = built.config
    return built
  }
}

/** --keep-raw, --keep-hourly and --keep-daily; none when --keep-raw is 0. */
function retentionOf(flags: WatchFlags) {
  return flags['keep-raw'] === '0'
    ? undefined
    : {
        raw: parseRetention(flags['keep-raw'], '--keep-raw'),
        hourly: parseRetention(flags['keep-hourly'], '--keep-hourly'),
        daily: parseRetention(flags['keep-daily'], '--keep-daily'),
      }
}

/** Whether to serve POST /alertmanager, and the token it expects. */
function alertmanagerOf(flags: WatchFlags): {enabled: boolean; token: string | undefined} {
  const enabled = flags['alertmanager-token-env'] !== undefined || flags['alertmanager-no-token']
  const token = enabled
    ? alertmanagerToken(
        {tokenEnv: flags['alertmanager-token-env'], noToken: flags['alertmanager-no-token'], listen: flags.metrics},
        process.env,
      )
    : undefined
  return {enabled, token}
}

/** Loads the catalogue into the watcher; an invalid one is reported as a definition error. */
function initWatcher(watcher: Watcher): void {
  try {
    watcher.init()
  } catch (error) {
    if (error instanceof WatchConfigError) throw new DefinitionError(error.problems, 'catalogue')
    throw error
  }
}

interface Servers {
  server: MetricsServer | undefined
  statusServer: MetricsServer | undefined
}

/** Starts the --metrics listener (metrics, fleet routes, Alertmanager, status page) and the --status-listen one. */
async function startServers(o: {
  flags: WatchFlags
  db: DB
  watcher: Watcher
  catalogue: CatalogueLoader
  metrics: WatchMetrics | undefined
  status: ReturnType<typeof statusRoutesFromFlags>
  alertmanager: ReturnType<typeof alertmanagerOf>
  log: Log
}): Promise<Servers> {
  const {flags, db, watcher, catalogue, metrics, status, log} = o
  // eslint-disable-next-line prefer-const -- read by a closure made before it is assigned
  let server: MetricsServer | undefined
  const routes = fleetRoutes({
    checks: () => catalogue.current?.checks.map((w) => w.check) ?? [],
    vantage: () => watcher.vantage,
    address: () => server?.address,
    net: {resolve: (flags.resolve ?? []).flatMap((r) => parseResolveRule(r) ?? []), resolver: flags.resolver},
  })
  server =
    metrics && flags.metrics
      ? await startMetricsServer(flags.metrics, {
          metrics: async () => ({contentType: metrics.registry.contentType, body: await metrics.text()}),
          health: () => watcher.health(),
          routes: [
            ...routes,
            ...(o.alertmanager.enabled
              ? [
                  alertmanagerRoute({
                    token: o.alertmanager.token,
                    log: (level, msg) => log({level, at: Date.now(), msg}),
                    receive: watchReceiver(db, {
                      config: () => catalogue.current,
                      playbooks: () => catalogue.playbooks,
                      playbookDir: flags.playbooks,
                    }),
                  }),
                ]
              : []),
            ...(flags['status-listen'] ? [] : (status ?? [])),
          ],
        })
      : undefined
  if (server) log({level: 'info', at: Date.now(), msg: `metrics on http://${hostPort(server.address)}/metrics`})
  const statusServer =
    status && flags['status-listen']
      ? await startMetricsServer(flags['status-listen'], {health: () => watcher.health(), routes: status})
      : undefined
  const statusAt = statusServer ?? (status ? server : undefined)
  if (statusAt) log({level: 'info', at: Date.now(), msg: `status page on http://${hostPort(statusAt.address)}/`})
  return {server, statusServer}
}

function hostPort(a: {host: string; port: number}): string {
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`
}

/** Watches until SIGTERM or SIGINT, then stops within the grace and closes the listeners. */
async function serveUntilStopped(
  watcher: Watcher,
  {server, statusServer}: Servers,
  graceMs: number | undefined,
  log: Log,
): Promise<WatchSummary> {
  watcher.start()
  const stopSignal = await untilStopped(watcher, log)
  log({level: 'info', at: Date.now(), msg: `${stopSignal}: stopping; letting checks in flight finish`})
  const summary = await watcher.stop(graceMs)
  await server?.close()
  await statusServer?.close()
  log({
    level: 'info',
    at: Date.now(),
    msg: `stopped after ${summary.runs} run(s); ${summary.notifications} notification(s) queued`,
    unwritten: summary.unwritten,
  })
  if (summary.unwritten > 0) process.exitCode = 1
  return summary
}

/** --metrics-label name=value pairs (instance, job and __ names are Prometheus's own). */
function metricLabels(pairs: string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const l of pairs ?? []) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(l)
    if (!m || m[1] === 'instance' || m[1] === 'job' || m[1].startsWith('__')) {
      throw new UserError(`--metrics-label ${l}: expected name=value (instance and job are Prometheus's own)`, {
        code: 'E_FLAG',
        exit: 2,
      })
    }

    labels[m[1]] = m[2]
  }

  return labels
}

function graceOf(grace: string | undefined): number | undefined {
  if (grace === undefined) return undefined
  const ms = parseDuration(grace)
  if (ms === undefined)
    throw new UserError(`--grace ${grace}: expected a duration such as 15s`, {code: 'E_FLAG', exit: 2})
  return ms
}

/** Re-reads the catalogue on SIGHUP; resolves with the first SIGTERM or SIGINT (later ones are only logged). */
function untilStopped(watcher: Watcher, log: (e: LogEntry) => void): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    const onHup = () => {
      log({level: 'info', at: Date.now(), msg: 'SIGHUP: re-reading the catalogue'})
      watcher.reload()
    }

    process.on('SIGHUP', onHup)
    const onStop = (sig: NodeJS.Signals) => {
      process.off('SIGHUP', onHup)
      process.on('SIGINT', () =>
        log({level: 'warn', at: Date.now(), msg: 'already stopping; waiting for checks in flight'}),
      )
      process.on('SIGTERM', () =>
        log({level: 'warn', at: Date.now(), msg: 'already stopping; waiting for checks in flight'}),
      )
      resolve(sig)
    }

    process.once('SIGTERM', onStop)
    process.once('SIGINT', onStop)
  })
}
