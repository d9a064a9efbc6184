import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from 'prom-client'

import type {CheckState} from '../monitor/evaluator.js'
import type {WatchedCheck} from '../monitor/watch-config.js'
import {CronSchedule} from '../monitor/scheduler.js'
import {type CheckResult, STATUS_CODE} from '../types.js'
import {denoise, HTTP_PHASES, seconds} from './exposition.js'
import {type Vantage, vantageLabels} from './vantage.js'

const CHECK_LABELS = ['check', 'kind', 'service', 'tier'] as const
const RESULT_LABELS = [...CHECK_LABELS, 'target'] as const
const STATES: CheckState[] = ['pending', 'ok', 'degraded', 'failing']
/** prom-client's gauges with a counter's _total suffix, which `promtool check metrics` rejects. */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]

type Labels = Record<string, string>

/** A check's own labels: check and kind, service and tier when it has them. */
export function checkLabels(c: {id: string; kind: string; service?: string; tier?: string}): Labels {
  return {check: c.id, kind: c.kind, ...(c.service ? {service: c.service} : {}), ...(c.tier ? {tier: c.tier} : {})}
}

interface CheckMeta {
  labels: Labels
  everyMs?: number
  cron?: CronSchedule
}

type Entry = {value: number; labels: object}
type EntryMap = Record<string, Entry | undefined>

function isEntryMap(x: unknown): x is EntryMap {
  return typeof x === 'object' && x !== null
}

/** prom-client's entries of a gauge by label key (its `hashMap`, not in its types; replaced on reset). */
function entriesOf(gauge: Gauge<string>): EntryMap {
  const map = 'hashMap' in gauge ? gauge.hashMap : undefined
  if (!isEntryMap(map)) throw new Error('prom-client Gauge has no hashMap')
  return map
}

/**
 * One series of a gauge with its labels object, built once. After the first set, prom-client's entry for it
 * is kept and a new value is written into it: no label hashing, validation or new objects per result. If
 * prom-client has replaced or dropped the entry (remove, reset, another version's layout), set() runs again.
 */
class Series {
  private readonly key: string
  private entry: Entry | undefined
  private present = false

  constructor(
    private readonly gauge: Gauge<string>,
    readonly labels: Readonly<Labels>,
  ) {
    // prom-client's hashMap key: the labels sorted by name, `name:value,` each.
    this.key = Object.keys(labels)
      .sort()
      .map((k) => `${k}:${labels[k]},`)
      .join('')
  }

  set(value: number): void {
    this.present = true
    const map = entriesOf(this.gauge)
    if (this.entry !== undefined && map[this.key] === this.entry) {
      this.entry.value = value
      return
    }

    this.gauge.set(this.labels, value)
    const e = map[this.key]
    this.entry = e?.labels === this.labels ? e : undefined
  }

  remove(): void {
    if (!this.present) return
    this.gauge.remove(this.labels)
    this.entry = undefined
    this.present = false
  }
}

/** The result series of one check, sharing its label set. */
interface CheckSeries {
  /** The check's labels they were built from (CheckMeta.labels), and the target. */
  base: Labels | undefined
  labels: Labels
  success: Series
  duration: Series
  status: Series
  timestamp: Series
  httpStatus: Series
  certExpiry: Series
  phases: Series[]
}

/** The state series of one check. */
interface StateSeries {
  base: Labels | undefined
  states: Series[]
  up: Series
  flapping: Series
  maintenance: Series
}

const PHASE_KEYS = [
  'dnsMs',
  'connectMs',
  'tlsMs',
  'processingMs',
  'transferMs',
] as const satisfies readonly (keyof typeof HTTP_PHASES)[]

/** A metric's name, help and label names. */
type MetricConfig = {help: string; labelNames?: readonly string[]; name: string}

/** A gauge registered on `registry`. */
function gauge(registry: Registry, config: MetricConfig): Gauge<string> {
  return new Gauge({...config, registers: [registry]})
}

/** A counter registered on `registry`. */
function counter(registry: Registry, config: MetricConfig): Counter<string> {
  return new Counter({...config, registers: [registry]})
}

/** Callbacks the gauges read at scrape time, each optional. */
interface CollectedSources {
  clocks?: () => {clock: string; incident: string; secondsLeft: number}[]
  openIncidents?: () => number
  queue?: () => number
}

/** Gauges set at scrape time from `opts`'s callbacks: open incidents, regulatory clocks, the notification queue. */
function registerCollected(registry: Registry, opts: CollectedSources): void {
  const {openIncidents} = opts
  if (openIncidents) {
    new Gauge({
      name: 'watchkeeper_incidents_open',
      help: 'Incidents not yet resolved',
      registers: [registry],
      collect() {
        this.set(openIncidents())
      },
    })
  }

  const {clocks} = opts
  if (clocks) {
    new Gauge({
      name: 'watchkeeper_incident_clock_seconds_left',
      help: 'Seconds until a running regulatory clock of an open incident is due (negative when overdue)',
      labelNames: ['incident', 'clock'],
      registers: [registry],
      collect() {
        this.reset()
        for (const c of clocks())
          this.set({incident: c.incident, clock: c.clock}, Math.round(c.secondsLeft * 1000) / 1000)
      },
    })
  }

  const {queue} = opts
  if (queue) {
    new Gauge({
      name: 'watchkeeper_notification_queue',
      help: 'Notifications waiting to be delivered',
      registers: [registry],
      collect() {
        this.set(queue())
      },
    })
  }
}

/**
 * The Prometheus metrics of `watch`: blackbox_exporter's probe_* names and labels for the last result of
 * each check (as `check run --format prom` prints them), watchkeeper's own for states, votes, incidents,
 * notifications and the scheduler, and the process's default metrics. The vantage's labels (vantage, net,
 * region) and --metrics-label are on every series. No `instance` or `job` label is set here: Prometheus
 * adds them per scrape target, so one Prometheus can scrape a fleet of watchkeepers.
 */
export class WatchMetrics {
  readonly registry = new Registry()
  private readonly success = gauge(this.registry, {
    name: 'probe_success',
    help: 'Whether the check passed (ok or warn)',
    labelNames: RESULT_LABELS,
  })
  private readonly duration = gauge(this.registry, {
    name: 'probe_duration_seconds',
    help: 'How long the check took',
    labelNames: RESULT_LABELS,
  })
  private readonly httpPhase = gauge(this.registry, {
    name: 'probe_http_duration_seconds',
    help: 'Duration of HTTP request by phase',
    labelNames: [...RESULT_LABELS, 'phase'],
  })
  private readonly httpStatus = gauge(this.registry, {
    name: 'probe_http_status_code',
    help: 'HTTP status code of the final response',
    labelNames: RESULT_LABELS,
  })
  private readonly certExpiry = gauge(this.registry, {
    name: 'probe_ssl_earliest_cert_expiry',
    help: 'Earliest certificate expiry, Unix seconds',
    labelNames: RESULT_LABELS,
  })
  private readonly status = gauge(this.registry, {
    name: 'watchkeeper_check_status',
    help: 'Check status: 0 ok, 1 warn, 2 crit, 3 unknown',
    labelNames: RESULT_LABELS,
  })
  private readonly timestamp = gauge(this.registry, {
    name: 'watchkeeper_check_timestamp_seconds',
    help: "When the last result's attempt started, Unix seconds",
    labelNames: RESULT_LABELS,
  })
  private readonly state = gauge(this.registry, {
    name: 'watchkeeper_check_state',
    help: 'Monitor state of the check (1 for the current state): pending, ok, degraded, failing',
    labelNames: [...CHECK_LABELS, 'state'],
  })
  private readonly up = gauge(this.registry, {
    name: 'watchkeeper_check_up',
    help: "The check's vote: 1 while ok or degraded, 0 while failing; absent while pending",
    labelNames: CHECK_LABELS,
  })
  private readonly interval = gauge(this.registry, {
    name: 'watchkeeper_check_interval_seconds',
    help: 'How often the check runs (for a schedule, the gap from its last run to the next)',
    labelNames: CHECK_LABELS,
  })
  private readonly flapping = gauge(this.registry, {
    name: 'watchkeeper_check_flapping',
    help: 'Whether the check is flapping (notifications held)',
    labelNames: CHECK_LABELS,
  })
  private readonly maintenance = gauge(this.registry, {
    name: 'watchkeeper_check_in_maintenance',
    help: 'Whether the check is in a maintenance window',
    labelNames: CHECK_LABELS,
  })
  readonly connectivity = gauge(this.registry, {
    name: 'watchkeeper_probe_connectivity',
    help: 'Self-check: 1 when the probe has its network, 0 when the canary says it lost it',
  })
  readonly startLag = new Histogram({
    name: 'watchkeeper_check_start_lag_seconds',
    help: 'How late checks start after they are due',
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  })
  readonly results = counter(this.registry, {
    name: 'watchkeeper_results_total',
    help: 'Check results stored, by status',
    labelNames: ['status'],
  })
  readonly skipped = counter(this.registry, {
    name: 'watchkeeper_runs_skipped_total',
    help: 'Due runs skipped because the previous run of the check had not finished',
  })
  readonly notifications = counter(this.registry, {
    name: 'watchkeeper_notifications_total',
    help: 'Notifications by notifier and outcome (sent, failed, retrying, expired, suppressed, held)',
    labelNames: ['notifier', 'outcome'],
  })
  readonly writeRetries = counter(this.registry, {
    name: 'watchkeeper_result_write_retries_total',
    help: 'Result batches retried because the database was locked',
  })
  readonly checksWatched = gauge(this.registry, {
    name: 'watchkeeper_checks_watched',
    help: 'Enabled checks being scheduled',
  })
  /** Result series by check, built once per label set. */
  private readonly known = new Map<string, CheckSeries>()
  private readonly stateSeries = new Map<string, StateSeries>()
  private readonly meta = new Map<string, CheckMeta>()
  private readonly constantLabels: Labels

  constructor(opts: CollectedSources & {defaultLabels?: Record<string, string>; vantage?: Vantage} = {}) {
    this.constantLabels = opts.defaultLabels ?? {}
    this.setVantage(opts.vantage)
    this.connectivity.set(1)
    registerCollected(this.registry, opts)
    collectDefaultMetrics({register: this.registry})
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name)
  }

  /** Puts the vantage's labels (after --metrics-label) on every series; undefined drops them. */
  setVantage(v: Vantage | undefined): void {
    this.registry.setDefaultLabels({...this.constantLabels, ...vantageLabels(v)})
  }

  /** The checks being watched: their labels and intervals. Call before setState on (re)load. */
  describe(checks: readonly WatchedCheck[], now = Date.now()): void {
    for (const w of checks) {
      const prev = this.meta.get(w.check.id)
      const fresh = checkLabels(w.check)
      // The same labels object while they are unchanged, so the cached series stay valid across reloads.
      const same = prev !== undefined && JSON.stringify(prev.labels) === JSON.stringify(fresh)
      if (prev && !same) this.forget([w.check.id])
      const labels = same ? prev.labels : fresh
      const m: CheckMeta = {labels}
      if (w.trigger.kind === 'interval') {
        m.everyMs = w.trigger.everyMs
        this.interval.set(labels, seconds(w.trigger.everyMs))
      } else if (
        !prev?.cron ||
        prev.cron.expression !== w.trigger.expression ||
        prev.cron.timezone !== w.trigger.timezone
      ) {
        m.cron = new CronSchedule(w.trigger.expression, w.trigger.timezone)
        const first = m.cron.next(now)
        this.interval.set(labels, seconds(m.cron.next(first) - first))
      } else {
        m.cron = prev.cron
      }

      this.meta.set(w.check.id, m)
    }
  }

  private labelsFor(checkId: string): Labels {
    return this.meta.get(checkId)?.labels ?? {check: checkId}
  }

  private seriesOf(r: CheckResult, m: CheckMeta | undefined): CheckSeries {
    const known = this.known.get(r.checkId)
    if (
      known &&
      known.base === m?.labels &&
      known.labels.target === r.target &&
      (m !== undefined || (known.labels.kind === r.kind && known.labels.service === r.service))
    )
      return known
    if (known) this.forgetResults(r.checkId)
    const l: Labels = {
      ...(m?.labels ?? checkLabels({id: r.checkId, kind: r.kind, service: r.service})),
      target: r.target,
    }
    const s: CheckSeries = {
      base: m?.labels,
      labels: l,
      success: new Series(this.success, l),
      duration: new Series(this.duration, l),
      status: new Series(this.status, l),
      timestamp: new Series(this.timestamp, l),
      httpStatus: new Series(this.httpStatus, l),
      certExpiry: new Series(this.certExpiry, l),
      phases: PHASE_KEYS.map((key) => new Series(this.httpPhase, {...l, phase: HTTP_PHASES[key]})),
    }
    this.known.set(r.checkId, s)
    return s
  }

  /** Records the latest result of a check. */
  observe(r: CheckResult): void {
    const m = this.meta.get(r.checkId)
    const s = this.seriesOf(r, m)
    s.success.set(r.status === 'ok' || r.status === 'warn' ? 1 : 0)
    s.duration.set(seconds(r.durationMs))
    s.status.set(STATUS_CODE[r.status])
    s.timestamp.set(Math.round(r.startedAt) / 1000)
    if (r.metrics.httpStatus !== undefined) s.httpStatus.set(r.metrics.httpStatus)
    if (r.metrics.certNotAfter !== undefined) s.certExpiry.set(r.metrics.certNotAfter)
    if (r.kind === 'http') {
      for (const [i, key] of PHASE_KEYS.entries()) {
        const v = r.timings[key]
        if (v === undefined) s.phases[i].remove()
        else s.phases[i].set(seconds(v))
      }
    }

    if (m?.cron) this.interval.set(m.labels, seconds(m.cron.next(r.startedAt) - r.startedAt))
    this.results.inc({status: r.status})
  }

  setState(checkId: string, state: CheckState, flapping: boolean, inMaintenance: boolean): void {
    const base = this.meta.get(checkId)?.labels
    let s = this.stateSeries.get(checkId)
    if (s && s.base !== base) {
      this.forgetStates(checkId)
      s = undefined
    }

    if (!s) {
      const l = base ?? {check: checkId}
      s = {
        base,
        states: STATES.map((st) => new Series(this.state, {...l, state: st})),
        up: new Series(this.up, l),
        flapping: new Series(this.flapping, l),
        maintenance: new Series(this.maintenance, l),
      }
      this.stateSeries.set(checkId, s)
    }

    for (const [i, st] of STATES.entries()) s.states[i].set(st === state ? 1 : 0)
    if (state === 'pending') s.up.remove()
    else s.up.set(state === 'failing' ? 0 : 1)
    s.flapping.set(flapping ? 1 : 0)
    s.maintenance.set(inMaintenance ? 1 : 0)
  }

  private forgetResults(checkId: string): void {
    const s = this.known.get(checkId)
    if (!s) return
    for (const x of [s.success, s.duration, s.httpStatus, s.certExpiry, s.status, s.timestamp, ...s.phases]) x.remove()
    this.known.delete(checkId)
  }

  private forgetStates(checkId: string): void {
    const s = this.stateSeries.get(checkId)
    if (!s) return
    for (const x of [...s.states, s.up, s.flapping, s.maintenance]) x.remove()
    this.stateSeries.delete(checkId)
  }

  /** Drops the series of checks that left the catalogue. */
  forget(checkIds: Iterable<string>): void {
    for (const id of checkIds) {
      this.forgetResults(id)
      this.forgetStates(id)
      this.interval.remove(this.labelsFor(id))
      this.meta.delete(id)
    }
  }

  /** Checks with series kept (results, states), for tests. */
  get trackedChecks(): {results: number; states: number} {
    return {results: this.known.size, states: this.stateSeries.size}
  }

  /** The exposition, with float noise (sums of histograms, prom-client's own arithmetic) cut to 15 significant digits. */
  async text(): Promise<string> {
    return denoise(await this.registry.metrics())
  }
}
