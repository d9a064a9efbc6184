import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from 'prom-client'

import type {CheckState} from '../monitor/evaluator.js'
import {type CheckResult, STATUS_CODE} from '../types.js'

const CHECK_LABELS = ['check', 'kind', 'service', 'target'] as const
const STATES: CheckState[] = ['pending', 'ok', 'degraded', 'failing']
const PHASES = {dnsMs: 'resolve', connectMs: 'connect', tlsMs: 'tls', ttfbMs: 'processing'} as const
const PHASE_KEYS = Object.keys(PHASES) as (keyof typeof PHASES)[]

type CheckLabels = Record<(typeof CHECK_LABELS)[number], string>

function labelsOf(r: {checkId: string; kind: string; service?: string; target: string}): CheckLabels {
  return {check: r.checkId, kind: r.kind, service: r.service ?? '', target: r.target}
}

type Entry = {value: number; labels: object}

/**
 * One series of a gauge with its labels object, built once. After the first set, prom-client's entry for it
 * is kept and a new value is written into it: no label hashing, validation or new objects per result. If
 * prom-client has replaced or dropped the entry (remove, reset, another version's layout), set() runs again.
 */
class Series {
  private readonly key: string
  private entry: Entry | undefined

  constructor(private readonly gauge: Gauge<string>, readonly labels: Readonly<Record<string, string>>) {
    // prom-client's hashMap key: the labels sorted by name, `name:value,` each.
    this.key = Object.keys(labels).sort().map((k) => `${k}:${labels[k]},`).join('')
  }

  set(value: number): void {
    const map = (this.gauge as unknown as {hashMap: Record<string, Entry | undefined>}).hashMap
    if (this.entry !== undefined && map[this.key] === this.entry) {
      this.entry.value = value
      return
    }
    this.gauge.set(this.labels, value)
    const e = map[this.key]
    this.entry = e?.labels === this.labels ? e : undefined
  }

  remove(): void {
    this.gauge.remove(this.labels)
    this.entry = undefined
  }
}

/** The series of one check, sharing its label sets. */
interface CheckSeries {
  labels: CheckLabels
  success: Series
  duration: Series
  status: Series
  timestamp: Series
  httpStatus: Series
  certExpiry: Series
  phases: Series[]
}

/** The state series of one check (their labels hold only the check id). */
interface StateSeries {
  states: Series[]
  flapping: Series
  maintenance: Series
}

/**
 * The Prometheus metrics of `watch`: blackbox_exporter's probe_* names and labels for the last result of
 * each check (as `check run --format prom` prints them), watchkeeper's own for states, incidents,
 * notifications and the scheduler, and the process's default metrics. No `instance` or `job` label is set
 * here: Prometheus adds them per scrape target, so one Prometheus can scrape a fleet of watchkeepers.
 */
export class WatchMetrics {
  readonly registry = new Registry()
  private readonly success: Gauge<string>
  private readonly duration: Gauge<string>
  private readonly httpPhase: Gauge<string>
  private readonly httpStatus: Gauge<string>
  private readonly certExpiry: Gauge<string>
  private readonly status: Gauge<string>
  private readonly timestamp: Gauge<string>
  private readonly state: Gauge<string>
  private readonly flapping: Gauge<string>
  private readonly maintenance: Gauge<string>
  readonly connectivity: Gauge<string>
  readonly startLag: Histogram<string>
  readonly results: Counter<string>
  readonly skipped: Counter<string>
  readonly notifications: Counter<string>
  readonly writeRetries: Counter<string>
  readonly checksWatched: Gauge<string>
  private readonly known = new Map<string, CheckSeries>()
  private readonly stateSeries = new Map<string, StateSeries>()

  constructor(opts: {defaultLabels?: Record<string, string>; openIncidents?: () => number; clocks?: () => {incident: string; clock: string; secondsLeft: number}[]; queue?: () => number} = {}) {
    if (opts.defaultLabels && Object.keys(opts.defaultLabels).length > 0) this.registry.setDefaultLabels(opts.defaultLabels)
    const r = [this.registry]
    const labelNames = [...CHECK_LABELS]
    this.success = new Gauge({name: 'probe_success', help: 'Whether the check passed (ok or warn)', labelNames, registers: r})
    this.duration = new Gauge({name: 'probe_duration_seconds', help: 'How long the check took', labelNames, registers: r})
    this.httpPhase = new Gauge({name: 'probe_http_duration_seconds', help: 'Duration of HTTP request by phase', labelNames: [...labelNames, 'phase'], registers: r})
    this.httpStatus = new Gauge({name: 'probe_http_status_code', help: 'HTTP status code of the final response', labelNames, registers: r})
    this.certExpiry = new Gauge({name: 'probe_ssl_earliest_cert_expiry', help: 'Earliest certificate expiry, Unix seconds', labelNames, registers: r})
    this.status = new Gauge({name: 'watchkeeper_check_status', help: 'Check status: 0 ok, 1 warn, 2 crit, 3 unknown', labelNames, registers: r})
    this.timestamp = new Gauge({name: 'watchkeeper_check_timestamp_seconds', help: 'When the check ran', labelNames, registers: r})
    this.state = new Gauge({name: 'watchkeeper_check_state', help: 'Monitor state of the check (1 for the current state): pending, ok, degraded, failing', labelNames: ['check', 'state'], registers: r})
    this.flapping = new Gauge({name: 'watchkeeper_check_flapping', help: 'Whether the check is flapping (notifications held)', labelNames: ['check'], registers: r})
    this.maintenance = new Gauge({name: 'watchkeeper_check_in_maintenance', help: 'Whether the check is in a maintenance window', labelNames: ['check'], registers: r})
    this.connectivity = new Gauge({name: 'watchkeeper_probe_connectivity', help: 'Self-check: 1 when the probe has its network, 0 when the canary says it lost it', registers: r})
    this.connectivity.set(1)
    this.startLag = new Histogram({name: 'watchkeeper_check_start_lag_seconds', help: 'How late checks start after they are due',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r})
    this.results = new Counter({name: 'watchkeeper_results_total', help: 'Check results stored, by status', labelNames: ['status'], registers: r})
    this.skipped = new Counter({name: 'watchkeeper_runs_skipped_total', help: 'Due runs skipped because the previous run of the check had not finished', registers: r})
    this.notifications = new Counter({name: 'watchkeeper_notifications_total', help: 'Notifications by notifier and outcome (sent, failed, retrying, expired, suppressed, held)', labelNames: ['notifier', 'outcome'], registers: r})
    this.writeRetries = new Counter({name: 'watchkeeper_result_write_retries_total', help: 'Result batches retried because the database was locked', registers: r})
    this.checksWatched = new Gauge({name: 'watchkeeper_checks_watched', help: 'Enabled checks being scheduled', registers: r})
    const openIncidents = opts.openIncidents
    if (openIncidents) {
      new Gauge({name: 'watchkeeper_incidents_open', help: 'Incidents not yet resolved', registers: r, collect() {
        this.set(openIncidents())
      }})
    }
    const clocks = opts.clocks
    if (clocks) {
      new Gauge({name: 'watchkeeper_incident_clock_seconds_left', help: 'Seconds until a running regulatory clock of an open incident is due (negative when overdue)',
        labelNames: ['incident', 'clock'], registers: r, collect() {
          this.reset()
          for (const c of clocks()) this.set({incident: c.incident, clock: c.clock}, c.secondsLeft)
        }})
    }
    const queue = opts.queue
    if (queue) {
      new Gauge({name: 'watchkeeper_notification_queue', help: 'Notifications waiting to be delivered', registers: r, collect() {
        this.set(queue())
      }})
    }
    collectDefaultMetrics({register: this.registry})
  }

  private seriesOf(r: CheckResult): CheckSeries {
    const known = this.known.get(r.checkId)
    if (known && known.labels.target === r.target && known.labels.kind === r.kind && known.labels.service === (r.service ?? '')) return known
    if (known) this.forgetResults(r.checkId)
    const l = labelsOf(r)
    const s: CheckSeries = {
      labels: l,
      success: new Series(this.success, l), duration: new Series(this.duration, l), status: new Series(this.status, l),
      timestamp: new Series(this.timestamp, l), httpStatus: new Series(this.httpStatus, l), certExpiry: new Series(this.certExpiry, l),
      phases: Object.values(PHASES).map((phase) => new Series(this.httpPhase, {...l, phase})),
    }
    this.known.set(r.checkId, s)
    return s
  }

  /** Records the latest result of a check. */
  observe(r: CheckResult): void {
    const s = this.seriesOf(r)
    s.success.set(r.status === 'ok' || r.status === 'warn' ? 1 : 0)
    s.duration.set(r.durationMs / 1000)
    s.status.set(STATUS_CODE[r.status])
    s.timestamp.set(r.startedAt / 1000)
    if (r.metrics.httpStatus !== undefined) s.httpStatus.set(r.metrics.httpStatus)
    if (r.metrics.certNotAfter !== undefined) s.certExpiry.set(r.metrics.certNotAfter)
    if (r.kind === 'http') {
      PHASE_KEYS.forEach((key, i) => {
        const v = r.timings[key]
        if (v !== undefined) s.phases[i].set(v / 1000)
      })
    }
    this.results.inc({status: r.status})
  }

  setState(checkId: string, state: CheckState, flapping: boolean, inMaintenance: boolean): void {
    let s = this.stateSeries.get(checkId)
    if (!s) {
      const check = {check: checkId}
      s = {states: STATES.map((st) => new Series(this.state, {check: checkId, state: st})), flapping: new Series(this.flapping, check), maintenance: new Series(this.maintenance, check)}
      this.stateSeries.set(checkId, s)
    }
    STATES.forEach((st, i) => s.states[i].set(st === state ? 1 : 0))
    s.flapping.set(flapping ? 1 : 0)
    s.maintenance.set(inMaintenance ? 1 : 0)
  }

  private forgetResults(id: string): void {
    const s = this.known.get(id)
    if (!s) return
    for (const x of [s.success, s.duration, s.httpStatus, s.certExpiry, s.status, s.timestamp, ...s.phases]) x.remove()
    this.known.delete(id)
  }

  /** Drops the series of checks that left the catalogue. */
  forget(checkIds: Iterable<string>): void {
    for (const id of checkIds) {
      this.forgetResults(id)
      const s = this.stateSeries.get(id)
      if (s) for (const x of [...s.states, s.flapping, s.maintenance]) x.remove()
      this.stateSeries.delete(id)
    }
  }

  /** Checks with series kept (results, states), for tests. */
  get trackedChecks(): {results: number; states: number} {
    return {results: this.known.size, states: this.stateSeries.size}
  }

  async text(): Promise<string> {
    return this.registry.metrics()
  }
}
