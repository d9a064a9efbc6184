import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from 'prom-client'

import type {CheckState} from '../monitor/evaluator.js'
import {CronSchedule} from '../monitor/scheduler.js'
import type {WatchedCheck} from '../monitor/watch-config.js'
import {type CheckResult, STATUS_CODE} from '../types.js'
import {denoise, HTTP_PHASES, seconds} from './exposition.js'
import {type Vantage, vantageLabels} from './vantage.js'

const CHECK_LABELS = ['check', 'kind', 'service', 'tier'] as const
const RESULT_LABELS = [...CHECK_LABELS, 'target'] as const
const STATES: CheckState[] = ['pending', 'ok', 'degraded', 'failing']
/** prom-client's gauges with a counter's _total suffix, which `promtool check metrics` rejects. */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

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

/**
 * The Prometheus metrics of `watch`: blackbox_exporter's probe_* names and labels for the last result of
 * each check (as `check run --format prom` prints them), watchkeeper's own for states, votes, incidents,
 * notifications and the scheduler, and the process's default metrics. The vantage's labels (vantage, net,
 * region) and --metrics-label are on every series. No `instance` or `job` label is set here: Prometheus
 * adds them per scrape target, so one Prometheus can scrape a fleet of watchkeepers.
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
  private readonly up: Gauge<string>
  private readonly interval: Gauge<string>
  private readonly flapping: Gauge<string>
  private readonly maintenance: Gauge<string>
  readonly connectivity: Gauge<string>
  readonly startLag: Histogram<string>
  readonly results: Counter<string>
  readonly skipped: Counter<string>
  readonly notifications: Counter<string>
  readonly writeRetries: Counter<string>
  readonly checksWatched: Gauge<string>
  /** Result series labels by check, for dropping them. */
  private readonly known = new Map<string, Labels>()
  private readonly meta = new Map<string, CheckMeta>()
  private readonly constantLabels: Labels

  constructor(opts: {defaultLabels?: Record<string, string>; vantage?: Vantage; openIncidents?: () => number; clocks?: () => {incident: string; clock: string; secondsLeft: number}[]; queue?: () => number} = {}) {
    this.constantLabels = opts.defaultLabels ?? {}
    this.setVantage(opts.vantage)
    const r = [this.registry]
    const labelNames = [...RESULT_LABELS]
    const stateLabels = [...CHECK_LABELS]
    this.success = new Gauge({name: 'probe_success', help: 'Whether the check passed (ok or warn)', labelNames, registers: r})
    this.duration = new Gauge({name: 'probe_duration_seconds', help: 'How long the check took', labelNames, registers: r})
    this.httpPhase = new Gauge({name: 'probe_http_duration_seconds', help: 'Duration of HTTP request by phase', labelNames: [...labelNames, 'phase'], registers: r})
    this.httpStatus = new Gauge({name: 'probe_http_status_code', help: 'HTTP status code of the final response', labelNames, registers: r})
    this.certExpiry = new Gauge({name: 'probe_ssl_earliest_cert_expiry', help: 'Earliest certificate expiry, Unix seconds', labelNames, registers: r})
    this.status = new Gauge({name: 'watchkeeper_check_status', help: 'Check status: 0 ok, 1 warn, 2 crit, 3 unknown', labelNames, registers: r})
    this.timestamp = new Gauge({name: 'watchkeeper_check_timestamp_seconds', help: 'When the last result\'s attempt started, Unix seconds', labelNames, registers: r})
    this.state = new Gauge({name: 'watchkeeper_check_state', help: 'Monitor state of the check (1 for the current state): pending, ok, degraded, failing', labelNames: [...stateLabels, 'state'], registers: r})
    this.up = new Gauge({name: 'watchkeeper_check_up', help: 'The check\'s vote: 1 while ok or degraded, 0 while failing; absent while pending', labelNames: stateLabels, registers: r})
    this.interval = new Gauge({name: 'watchkeeper_check_interval_seconds', help: 'How often the check runs (for a schedule, the gap from its last run to the next)', labelNames: stateLabels, registers: r})
    this.flapping = new Gauge({name: 'watchkeeper_check_flapping', help: 'Whether the check is flapping (notifications held)', labelNames: stateLabels, registers: r})
    this.maintenance = new Gauge({name: 'watchkeeper_check_in_maintenance', help: 'Whether the check is in a maintenance window', labelNames: stateLabels, registers: r})
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
          for (const c of clocks()) this.set({incident: c.incident, clock: c.clock}, Math.round(c.secondsLeft * 1000) / 1000)
        }})
    }
    const queue = opts.queue
    if (queue) {
      new Gauge({name: 'watchkeeper_notification_queue', help: 'Notifications waiting to be delivered', registers: r, collect() {
        this.set(queue())
      }})
    }
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
      const labels = checkLabels(w.check)
      const prev = this.meta.get(w.check.id)
      if (prev && JSON.stringify(prev.labels) !== JSON.stringify(labels)) this.forget([w.check.id])
      const m: CheckMeta = {labels}
      if (w.trigger.kind === 'interval') {
        m.everyMs = w.trigger.everyMs
        this.interval.set(labels, seconds(w.trigger.everyMs))
      } else if (!prev?.cron || prev.cron.expression !== w.trigger.expression || prev.cron.timezone !== w.trigger.timezone) {
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

  /** Records the latest result of a check. */
  observe(r: CheckResult): void {
    const m = this.meta.get(r.checkId)
    const l: Labels = {...(m?.labels ?? checkLabels({id: r.checkId, kind: r.kind, service: r.service})), target: r.target}
    const prev = this.known.get(r.checkId)
    if (prev && JSON.stringify(prev) !== JSON.stringify(l)) this.dropResult(r.checkId)
    this.known.set(r.checkId, l)
    this.success.set(l, r.status === 'ok' || r.status === 'warn' ? 1 : 0)
    this.duration.set(l, seconds(r.durationMs))
    this.status.set(l, STATUS_CODE[r.status])
    this.timestamp.set(l, Math.round(r.startedAt) / 1000)
    if (r.metrics.httpStatus !== undefined) this.httpStatus.set(l, r.metrics.httpStatus)
    if (r.metrics.certNotAfter !== undefined) this.certExpiry.set(l, r.metrics.certNotAfter)
    if (r.kind === 'http') {
      for (const [key, phase] of Object.entries(HTTP_PHASES)) {
        const v = r.timings[key as keyof typeof HTTP_PHASES]
        if (v === undefined) this.httpPhase.remove({...l, phase})
        else this.httpPhase.set({...l, phase}, seconds(v))
      }
    }
    if (m?.cron) this.interval.set(m.labels, seconds(m.cron.next(r.startedAt) - r.startedAt))
    this.results.inc({status: r.status})
  }

  setState(checkId: string, state: CheckState, flapping: boolean, inMaintenance: boolean): void {
    const l = this.labelsFor(checkId)
    for (const s of STATES) this.state.set({...l, state: s}, s === state ? 1 : 0)
    if (state === 'pending') this.up.remove(l)
    else this.up.set(l, state === 'failing' ? 0 : 1)
    this.flapping.set(l, flapping ? 1 : 0)
    this.maintenance.set(l, inMaintenance ? 1 : 0)
  }

  private dropResult(checkId: string): void {
    const l = this.known.get(checkId)
    if (!l) return
    for (const g of [this.success, this.duration, this.httpStatus, this.certExpiry, this.status, this.timestamp]) g.remove(l)
    for (const phase of Object.values(HTTP_PHASES)) this.httpPhase.remove({...l, phase})
    this.known.delete(checkId)
  }

  /** Drops the series of checks that left the catalogue. */
  forget(checkIds: Iterable<string>): void {
    for (const id of checkIds) {
      this.dropResult(id)
      const l = this.labelsFor(id)
      for (const s of STATES) this.state.remove({...l, state: s})
      for (const g of [this.up, this.interval, this.flapping, this.maintenance]) g.remove(l)
      this.meta.delete(id)
    }
  }

  /** The exposition, with float noise (sums of histograms, prom-client's own arithmetic) cut to 15 significant digits. */
  async text(): Promise<string> {
    return denoise(await this.registry.metrics())
  }
}
