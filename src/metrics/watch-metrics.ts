import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from 'prom-client'

import type {CheckState} from '../monitor/evaluator.js'
import {type CheckResult, STATUS_CODE} from '../types.js'

const CHECK_LABELS = ['check', 'kind', 'service', 'target'] as const
const STATES: CheckState[] = ['pending', 'ok', 'degraded', 'failing']
const PHASES = {dnsMs: 'resolve', connectMs: 'connect', tlsMs: 'tls', processingMs: 'processing'} as const

type CheckLabels = Record<(typeof CHECK_LABELS)[number], string>

function labelsOf(r: {checkId: string; kind: string; service?: string; target: string}): CheckLabels {
  return {check: r.checkId, kind: r.kind, service: r.service ?? '', target: r.target}
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
  private readonly known = new Map<string, CheckLabels>()

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

  /** Records the latest result of a check. */
  observe(r: CheckResult): void {
    const l = labelsOf(r)
    const prev = this.known.get(r.checkId)
    if (prev && (prev.target !== l.target || prev.kind !== l.kind || prev.service !== l.service)) this.forget([r.checkId])
    this.known.set(r.checkId, l)
    this.success.set(l, r.status === 'ok' || r.status === 'warn' ? 1 : 0)
    this.duration.set(l, r.durationMs / 1000)
    this.status.set(l, STATUS_CODE[r.status])
    this.timestamp.set(l, r.startedAt / 1000)
    if (r.metrics.httpStatus !== undefined) this.httpStatus.set(l, r.metrics.httpStatus)
    if (r.metrics.certNotAfter !== undefined) this.certExpiry.set(l, r.metrics.certNotAfter)
    if (r.kind === 'http') {
      for (const [key, phase] of Object.entries(PHASES)) {
        const v = r.timings[key as keyof typeof PHASES]
        if (v !== undefined) this.httpPhase.set({...l, phase}, v / 1000)
      }
    }
    this.results.inc({status: r.status})
  }

  setState(checkId: string, state: CheckState, flapping: boolean, inMaintenance: boolean): void {
    for (const s of STATES) this.state.set({check: checkId, state: s}, s === state ? 1 : 0)
    this.flapping.set({check: checkId}, flapping ? 1 : 0)
    this.maintenance.set({check: checkId}, inMaintenance ? 1 : 0)
  }

  /** Drops the series of checks that left the catalogue. */
  forget(checkIds: Iterable<string>): void {
    for (const id of checkIds) {
      const l = this.known.get(id)
      if (l) {
        for (const g of [this.success, this.duration, this.httpStatus, this.certExpiry, this.status, this.timestamp]) g.remove(l)
        for (const phase of Object.values(PHASES)) this.httpPhase.remove({...l, phase})
      }
      for (const s of STATES) this.state.remove({check: id, state: s})
      this.flapping.remove({check: id})
      this.maintenance.remove({check: id})
      this.known.delete(id)
    }
  }

  async text(): Promise<string> {
    return this.registry.metrics()
  }
}
