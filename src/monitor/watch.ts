import os from 'node:os'

import type {CheckDefinition} from '../catalogue/load.js'
import type {Vantage} from '../metrics/vantage.js'
import type {WatchMetrics} from '../metrics/watch-metrics.js'
import type {Notification, NotifierConfig} from '../notify/types.js'
import type {DB} from '../store/db.js'
import type {CheckResult, Status} from '../types.js'
import type {WatchConfig, WatchedCheck} from './watch-config.js'
import {formatProblem, type Problem} from '../errors.js'
import {NotificationDispatcher} from '../notify/dispatcher.js'
import {formatOutage} from '../notify/format.js'
import {
  getMeta,
  insertMonitorEvents,
  loadMonitorStates,
  type MonitorEventRecord,
  saveMonitorStates,
  setMeta,
  type StoredMonitorState,
} from '../store/monitor.js'
import {heldSince, lastHeldEvents} from '../store/outbox.js'
import {finishRun, startRun, upsertChecks} from '../store/results.js'
import {Redactor} from '../util/redact.js'
import {evaluate, initialState, type MonitorEvent} from './evaluator.js'
import {activeMaintenance, windowActiveUntil, windowCovers} from './maintenance.js'
import {ResultWriter} from './result-writer.js'
import {resetLoopDelay, runCheck} from './runner.js'
import {type Job, Scheduler, silenceCronLogger, systemTimers, type TimerHost} from './scheduler.js'
import {canaryCheck, SelfCheck} from './selfcheck.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface LogEntry {
  level: LogLevel
  /** Epoch ms. */
  at: number
  msg: string
  [field: string]: unknown
}

export type WatchLog = (entry: LogEntry) => void

/** One log line: `2026-…Z warn  message key=value`, or the entry as one JSON object. */
export function formatLogLine(e: LogEntry, format: 'human' | 'json'): string {
  if (format === 'json') return JSON.stringify({...e, at: new Date(e.at).toISOString()})
  const {level, at, msg, ...fields} = e
  const extra = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
  return `${new Date(at).toISOString()} ${level.padEnd(5)} ${msg}${extra.length > 0 ? '  ' + extra.join(' ') : ''}`
}

/** Hooks into other wings, wired when they are present. */
export interface WatchHooks {
  /** Called after a check's state is evaluated; may open or update an incident. Returns the incident id now linked, if any. */
  incident?: (ctx: IncidentContext) => IncidentOutcome | undefined
  /** Regulatory clock crossings; called every `clocksEveryMs`. Returns how many events were recorded. */
  recordClocks?: (db: DB, now: number) => number
  /** Posture regressions (new findings of severity ≥ warn) of a stored result. */
  postureRegressions?: (db: DB, checkId: string, resultId: number) => {id: string; severity: string; message: string}[]
  /** Retention; called every `pruneEveryMs`. */
  prune?: (db: DB, now: number) => Promise<unknown> | unknown
}

export interface IncidentContext {
  db: DB
  watched: WatchedCheck
  state: StoredMonitorState
  previous: StoredMonitorState
  result: CheckResult
  resultId: number
  inMaintenance: boolean
  now: number
}

export interface IncidentOutcome {
  incidentId: number | null
  /** What happened, for the log and for notifiers. */
  opened?: {id: number; title: string; severity?: string}
  updated?: {id: number; title: string; message: string}
}

export interface WatchOptions {
  db: DB
  /** Loads and validates the catalogue; called at start and on reload. */
  load: () => {config?: WatchConfig; problems: Problem[]}
  host?: TimerHost
  log?: WatchLog
  metrics?: WatchMetrics
  hooks?: WatchHooks
  /** Overrides watch.concurrency. */
  concurrency?: number
  /** Name of this watchkeeper in notifications (default the host name). */
  instance?: string
  /** --vantage: overrides watch.vantage. */
  vantage?: Vantage
  /** Results per write transaction (default 50) and longest wait before writing (default 250 ms). */
  batchSize?: number
  flushMs?: number
  /** First retry delay of notifications without `backoff:` (default 1 s). */
  notifyBackoffMs?: number
  clocksEveryMs?: number
  pruneEveryMs?: number
  /** An exercise's watch: messages go only to its test channels, every title marked EXERCISE. */
  exercise?: {id: number; channels: readonly string[]}
}

export interface WatchSummary {
  startedAt: string
  stoppedAt: string
  runs: number
  results: Record<Status, number>
  notifications: number
  skipped: number
  /** Results still unwritten when it stopped (0 unless the database stayed locked past the grace). */
  unwritten: number
}

/** What evaluating one stored result works on: the check, its result, and its state before and after. */
interface EvaluationStep {
  w: WatchedCheck
  r: CheckResult
  resultId: number
  prev: StoredMonitorState
  next: StoredMonitorState
  /** The maintenance window covering the result, if any. */
  maint: ReturnType<typeof activeMaintenance>
}

/** Every message about a check in a maintenance window is held (logged, not sent). */
function holdOf({maint}: EvaluationStep): string | undefined {
  return maint ? `maintenance: ${maint.window.name}` : undefined
}

const CONNECTIVITY_KEY = 'connectivity'
/** Maintenance windows announced as open: name → when it opened and when it ends. */
const MAINTENANCE_KEY = 'maintenance'

/**
 * The core of `watchkeeper watch`: schedules every enabled check, stores each result, moves each check's
 * state machine, raises notifications (and incidents through the hooks), and keeps the metrics. It knows no
 * terminal: logs go to `log`, time comes from `host`.
 */
export class Watcher {
  private readonly host: TimerHost
  private readonly log: WatchLog
  private config!: WatchConfig
  private redactor?: {config: WatchConfig | undefined; r: Redactor}
  private checks = new Map<string, WatchedCheck>()
  private readonly refs = new Map<string, number>()
  private states = new Map<string, StoredMonitorState>()
  private readonly dirty = new Set<string>()
  private pendingEvents: MonitorEventRecord[] = []
  private scheduler!: Scheduler
  private writer!: ResultWriter
  private dispatcher!: NotificationDispatcher
  private selfcheck!: SelfCheck
  private runId!: number
  private readonly abort = new AbortController()
  /** One controller per check run in flight, aborted with `abort` (see run()). */
  private readonly runs = new Set<AbortController>()
  /** The pending timer of each periodic task. */
  private readonly timers = new Set<unknown>()
  private stopping = false
  private readonly startedAt: number
  private lastResultAt: number | undefined
  private lastTick: {wall: number; mono: number} | undefined
  private readonly inFlight = new Set<Promise<unknown>>()
  private readonly counts = {
    runs: 0,
    notifications: 0,
    skipped: 0,
    results: {ok: 0, warn: 0, crit: 0, unknown: 0} satisfies Record<Status, number>,
  }
  readonly instance: string

  constructor(private readonly opts: WatchOptions) {
    this.host = opts.host ?? systemTimers
    this.log = opts.log ?? (() => undefined)
    this.startedAt = this.host.now()
    this.instance = opts.instance ?? os.hostname()
  }

  private say(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    // Error messages from probes and notifiers may quote a target; no spelling of a secret reaches the log.
    if (!this.redactor || this.redactor.config !== this.config)
      this.redactor = {config: this.config, r: new Redactor(this.config?.all.flatMap((c) => c.secrets) ?? [])}
    const {r} = this.redactor
    this.log({level, at: this.host.now(), msg: r.text(msg), ...r.value(fields)})
  }

  /** Loads the catalogue and prepares everything; throws the load's problems as an Error list when invalid. */
  init(): void {
    silenceCronLogger()
    const {config, problems} = this.opts.load()
    if (!config) throw new WatchConfigError(problems)
    this.config = config
    const {db} = this.opts
    this.runId = startRun(db, 'watch', this.host.now())
    // Loop-delay figures from here on (runner.ts loopDelayNow(), for /metrics).
    resetLoopDelay()
    this.states = loadMonitorStates(db)
    this.writer = new ResultWriter(db, this.refs, this.runId, {
      batchSize: this.opts.batchSize ?? 50,
      flushMs: this.opts.flushMs ?? 250,
      keepIds: false,
      onWritten: (results, ids) => this.afterWrite(results, ids),
      onBusy: (error, pending) => {
        this.opts.metrics?.writeRetries.inc()
        this.say('warn', `database busy (${error.message}); keeping ${pending} result(s) and retrying`)
      },
    })
    this.dispatcher = new NotificationDispatcher(db, config.notifiers, {
      clock: this.host,
      timers: this.host,
      backoffMs: this.opts.notifyBackoffMs,
      log: (level, message, fields) => this.say(level, message, fields),
      onOutcome: (notifier, outcome) => this.opts.metrics?.notifications.inc({notifier, outcome}),
      onExpired: (notifier, n, reason) => this.undelivered(notifier, n, reason),
    })
    const lost = getMeta<{state: string; since: number}>(db, CONNECTIVITY_KEY)
    this.selfcheck = this.makeSelfCheck(lost?.state === 'lost' ? lost.since : undefined)
    this.applyChecks(config)
    const resumed = this.dispatcher.resumePending()
    if (resumed > 0) this.say('info', `resending ${resumed} notification(s) left pending by the previous run`)
  }

  private makeSelfCheck(lostSince?: number): SelfCheck {
    return new SelfCheck({
      canary: this.config.settings.canary,
      host: this.host,
      lostSince,
      log: (level, message) => this.say(level, message),
      runCanary: () =>
        this.track(
          (async () => {
            const c = this.config.settings.canary
            const def = c?.checkId
              ? this.config.all.find((x) => x.id === c.checkId)
              : c?.target
                ? canaryCheck(c.target)
                : undefined
            if (!def) return {passed: false, summary: 'no canary'}
            const r = await this.run(def)
            return {passed: r.status === 'ok' || r.status === 'warn', summary: `${def.id}: ${r.summary}`}
          })(),
        ),
      onChange: (state, d) => this.connectivityChanged(state, d),
    })
  }

  private connectivityChanged(
    state: 'lost' | 'restored',
    d: {summary: string; failing: number; total: number; since: number},
  ): void {
    const now = this.host.now()
    this.opts.metrics?.connectivity.set(state === 'lost' ? 0 : 1)
    try {
      setMeta(
        this.opts.db,
        CONNECTIVITY_KEY,
        state === 'lost' ? {state: 'lost', since: now} : {state: 'ok', since: now},
        now,
      )
    } catch (error) {
      this.say('warn', `could not store connectivity state: ${messageOf(error)}`)
    }

    const n: Notification =
      state === 'lost'
        ? {
            event: 'connectivity-lost',
            severity: 'crit',
            at: now,
            instance: this.instance,
            title: `Probe connectivity lost (${this.instance})`,
            text: `${d.failing} of ${d.total} checks failed at once and the canary failed too (${d.summary}). Check alerts are held until the canary passes again.`,
          }
        : {
            event: 'connectivity-restored',
            severity: 'ok',
            at: now,
            instance: this.instance,
            title: `Probe connectivity restored (${this.instance})`,
            text: `The canary passes again (${d.summary}); lost since ${new Date(d.since).toISOString()}. Check alerts resume.`,
          }
    this.say(state === 'lost' ? 'error' : 'info', n.title, {canary: d.summary})
    this.pendingEvents.push({
      kind: state === 'lost' ? 'connectivity-lost' : 'connectivity-restored',
      checkId: 'watchkeeper.connectivity',
      state: null,
      previous: null,
      at: now,
      resultId: null,
      message: n.text,
    })
    this.send(n, this.config.settings.canary ? [...this.config.notifiers.keys()] : [])
    this.persist()
  }

  private applyChecks(config: WatchConfig): void {
    const before = new Set(this.checks.keys())
    this.checks = new Map(config.checks.map((w) => [w.check.id, w]))
    const fresh = upsertChecks(
      this.opts.db,
      config.checks.map((w) => w.check),
      this.host.now(),
    )
    for (const [id, ref] of fresh) this.refs.set(id, ref)
    const removed = [...before].filter((id) => !this.checks.has(id))
    this.opts.metrics?.forget(removed)
    this.opts.metrics?.describe(config.checks, this.host.now())
    this.opts.metrics?.setVantage(this.opts.vantage ?? config.settings.vantage)
    this.writer.vantage = this.opts.vantage ?? config.settings.vantage
    this.selfcheck.forget(removed)
    this.opts.metrics?.checksWatched.set(this.checks.size)
    for (const w of config.checks) {
      const st = this.states.get(w.check.id)
      this.opts.metrics?.setState(w.check.id, st?.state ?? 'pending', st?.flapping ?? false, false)
    }
  }

  /** Starts scheduling; returns at once. */
  start(): void {
    const concurrency = this.opts.concurrency ?? this.config.settings.concurrency
    this.scheduler = new Scheduler({
      host: this.host,
      concurrency,
      staggerMs: this.config.settings.staggerMs,
      run: (id, info) => this.runOne(id, info.lagMs),
      onError: (id, error) => this.say('error', `check ${id}: ${messageOf(error)}`, {check: id}),
      onSkip: (id) => {
        this.counts.skipped++
        this.opts.metrics?.skipped.inc()
        this.say('warn', `check ${id} is still running from its last turn; skipped this one`, {check: id})
      },
    })
    this.scheduler.setJobs(this.jobs())
    this.every(this.opts.clocksEveryMs ?? 30_000, () => this.periodic())
    if (this.opts.hooks?.prune) this.every(this.opts.pruneEveryMs ?? 3_600_000, () => this.prune())
    this.lastTick = {wall: this.host.now(), mono: this.host.monotonic()}
    this.every(10_000, () => this.watchClock())
    this.maintenanceTick()
    const {canary} = this.config.settings
    this.say(
      'info',
      `watching ${this.checks.size} check(s), ${concurrency} at a time` +
        (this.config.disabled.length > 0 ? `; ${this.config.disabled.length} disabled` : '') +
        `; notifiers: ${[...this.config.notifiers.keys()].join(', ') || 'none'}` +
        (canary ? `; canary ${canary.checkId ?? canary.target}` : '; no canary'),
    )
    for (const d of this.config.disabled) this.say('info', `not watching ${d.id}: ${d.reason}`, {check: d.id})
  }

  private jobs(): Job[] {
    return [...this.checks.values()].map((w) => ({id: w.check.id, trigger: w.trigger}))
  }

  private every(ms: number, fn: () => void): void {
    let timer: unknown
    const tick = () => {
      this.timers.delete(timer)
      if (this.stopping) return
      try {
        fn()
      } catch (error) {
        this.say('error', `periodic task failed: ${messageOf(error)}`)
      }

      timer = this.host.setTimeout(tick, ms)
      this.timers.add(timer)
    }

    timer = this.host.setTimeout(tick, ms)
    this.timers.add(timer)
  }

  /**
   * Runs a check with a signal of its own that shutdown aborts. The runner joins it to the check's timeout
   * with AbortSignal.any; given the watcher's lifelong signal instead, Node 20 would keep a WeakRef per run
   * on it for ever (nodejs/node#55351).
   */
  private async run(def: CheckDefinition): Promise<CheckResult> {
    const c = new AbortController()
    if (this.abort.signal.aborted) c.abort(this.abort.signal.reason)
    this.runs.add(c)
    try {
      return await runCheck(def, {clock: this.host, signal: c.signal})
    } finally {
      this.runs.delete(c)
    }
  }

  /** Aborts every check in flight. */
  private abortRuns(): void {
    this.abort.abort()
    for (const c of this.runs) c.abort(this.abort.signal.reason)
  }

  private watchClock(): void {
    const now = {wall: this.host.now(), mono: this.host.monotonic()}
    const prev = this.lastTick!
    const drift = now.wall - prev.wall - (now.mono - prev.mono)
    if (Math.abs(drift) > 5000) {
      this.say(
        'warn',
        `the wall clock jumped ${drift > 0 ? 'forward' : 'back'} by ${Math.round(Math.abs(drift) / 1000)} s; interval checks keep their pace, cron schedules follow the new time`,
      )
    }

    this.lastTick = now
  }

  private periodic(): void {
    this.maintenanceTick()
    this.persist()
    const rec = this.opts.hooks?.recordClocks
    if (rec) {
      const n = rec(this.opts.db, this.host.now())
      if (n > 0) this.say('info', `recorded ${n} regulatory clock event(s)`)
    }
  }

  private prune(): void {
    const p = (async () => {
      try {
        await this.opts.hooks!.prune!(this.opts.db, this.host.now())
      } catch (error) {
        this.say('warn', `retention prune failed: ${messageOf(error)}`)
      }
    })()
    this.track(p)
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p)
    void p.finally(() => this.inFlight.delete(p))
    return p
  }

  private async runOne(id: string, lagMs: number): Promise<void> {
    const w = this.checks.get(id)
    if (!w || (this.stopping && this.abort.signal.aborted)) return
    this.opts.metrics?.startLag.observe(lagMs / 1000)
    const result = await this.run(w.check)
    if (this.abort.signal.aborted) {
      this.say('warn', `check ${id} was cut short by shutdown; its result is not stored`, {check: id})
      return
    }

    this.counts.runs++
    this.counts.results[result.status]++
    this.lastResultAt = this.host.now()
    this.opts.metrics?.observe(result)
    if (!this.refs.has(id)) this.refs.set(id, upsertChecks(this.opts.db, [w.check], this.host.now()).get(id)!)
    this.writer.add(result)
  }

  /** Results are in the store: move the state machines. */
  private afterWrite(results: CheckResult[], ids: number[]): void {
    for (const [i, r] of results.entries()) {
      const disposition = this.selfcheck.observe(r.checkId, r.status, () => this.evaluateOne(r, ids[i]))
      if (disposition === 'drop') {
        const st = this.states.get(r.checkId)?.state ?? 'pending'
        this.pendingEvents.push({
          kind: 'not-counted',
          checkId: r.checkId,
          state: st,
          previous: st,
          at: r.startedAt,
          resultId: ids[i],
          message: `${r.status} result not counted: probe connectivity lost (${r.summary})`,
          suppressed: 'connectivity',
        })
      }
    }

    this.persist()
  }

  private evaluateOne(r: CheckResult, resultId: number): void {
    const w = this.checks.get(r.checkId)
    if (!w) return
    const prev = this.states.get(r.checkId) ?? {...initialState(r.checkId, r.startedAt), incidentId: null}
    const maint = activeMaintenance(this.config.maintenance, w.check, r.startedAt)
    const ev = evaluate(
      prev,
      {status: r.status, ts: r.startedAt, resultId, summary: r.summary},
      {thresholds: w.thresholds, flapping: w.flapping, suppressed: maint !== undefined, remindEveryMs: w.remindEveryMs},
    )
    const next: StoredMonitorState = {...ev.state, incidentId: prev.incidentId}
    const step: EvaluationStep = {w, r, resultId, prev, next, maint}
    this.recordQuietChange(step, ev.changed, ev.events)
    this.announceEvents(step, ev.events)
    this.runIncidentHook(step)
    this.checkPosture(step)
    this.states.set(r.checkId, next)
    this.dirty.add(r.checkId)
    this.opts.metrics?.setState(r.checkId, next.state, next.flapping, maint !== undefined)
  }

  /** Records a state change no event announces (the first ok, or one flapping or maintenance holds back). */
  private recordQuietChange(
    {r, resultId, prev, next, maint}: EvaluationStep,
    changed: boolean,
    events: MonitorEvent[],
  ): void {
    const announced = new Set<string>(events.map((e) => e.kind))
    if (
      !changed ||
      (prev.state === 'pending' && next.state === 'ok') ||
      announced.has(next.state === 'ok' ? 'recovered' : next.state)
    )
      return
    const reason = next.flapping ? 'flapping' : maint ? `maintenance: ${maint.window.name}` : null
    this.pendingEvents.push({
      kind: 'state',
      checkId: r.checkId,
      state: next.state,
      previous: prev.state,
      at: r.startedAt,
      resultId,
      message: `${prev.state} → ${next.state}${reason ? ` (not announced: ${reason})` : ''}: ${r.summary}`,
      suppressed: reason,
    })
  }

  /** Logs and notifies each event of the state machine. */
  private announceEvents(step: EvaluationStep, events: MonitorEvent[]): void {
    const {w, r, prev, next} = step
    for (const e of events) {
      this.pendingEvents.push(e)
      this.say(
        e.kind === 'failing' ? 'error' : e.kind === 'recovered' || e.kind === 'stable' ? 'info' : 'warn',
        `${r.checkId} ${e.kind}: ${e.message}`,
        {check: r.checkId, state: next.state},
      )
      this.send(this.notificationFor(w, e, next, prev), w.notify, holdOf(step))
    }
  }

  /** Lets the incident wing open or update an incident, and announces what it did. */
  private runIncidentHook(step: EvaluationStep): void {
    const hook = this.opts.hooks?.incident
    if (!hook) return
    const {w, r, resultId, prev, next, maint} = step
    try {
      const out = hook({
        db: this.opts.db,
        watched: w,
        state: next,
        previous: prev,
        result: r,
        resultId,
        inMaintenance: maint !== undefined,
        now: this.host.now(),
      })
      if (!out) return
      next.incidentId = out.incidentId
      if (out.opened) this.incidentOpened(step, out.opened)
      if (out.updated) this.incidentUpdated(step, out.updated)
    } catch (error) {
      this.say('error', `${r.checkId}: incident step failed: ${messageOf(error)}`, {check: r.checkId})
    }
  }

  private incidentOpened(step: EvaluationStep, opened: NonNullable<IncidentOutcome['opened']>): void {
    const {w, r, resultId, prev, next} = step
    this.say('error', `${r.checkId}: opened incident #${opened.id} ${opened.title}`, {
      check: r.checkId,
      incident: opened.id,
    })
    this.pendingEvents.push({
      kind: 'incident',
      checkId: r.checkId,
      state: next.state,
      previous: prev.state,
      at: r.startedAt,
      resultId,
      message: `opened incident #${opened.id}`,
    })
    this.send(
      {
        event: 'incident-opened',
        severity: 'crit',
        at: r.startedAt,
        instance: this.instance,
        title: `Incident #${opened.id} opened: ${opened.title}`,
        text: `${w.check.name} has kept failing: ${r.summary}${respondText(opened.id, w.runbook)}`,
        check: this.checkInfo(w, next),
        incident: opened,
        resultId,
        ...responseOf(opened.id, w.runbook),
      },
      w.notify,
      holdOf(step),
    )
  }

  private incidentUpdated(step: EvaluationStep, updated: NonNullable<IncidentOutcome['updated']>): void {
    const {w, r, resultId, next} = step
    this.say('info', `${r.checkId}: incident #${updated.id}: ${updated.message}`, {
      check: r.checkId,
      incident: updated.id,
    })
    this.send(
      {
        event: 'incident-updated',
        severity: next.state === 'failing' ? 'crit' : 'info',
        at: r.startedAt,
        instance: this.instance,
        title: `Incident #${updated.id}: ${updated.message}`,
        text: `${w.check.name}: ${r.summary}${respondText(updated.id, w.runbook)}`,
        check: this.checkInfo(w, next),
        incident: {id: updated.id, title: updated.title},
        resultId,
        ...responseOf(updated.id, w.runbook),
      },
      w.notify,
      holdOf(step),
    )
  }

  /** Announces new posture findings of the stored result (never in maintenance). */
  private checkPosture({w, r, resultId, prev, next, maint}: EvaluationStep): void {
    const posture = this.opts.hooks?.postureRegressions
    if (!posture || maint) return
    try {
      const found = posture(this.opts.db, r.checkId, resultId)
      if (found.length === 0) return
      const text = found.map((f) => `${f.severity} ${f.id}: ${f.message}`).join('\n')
      this.pendingEvents.push({
        kind: 'posture',
        checkId: r.checkId,
        state: next.state,
        previous: prev.state,
        at: r.startedAt,
        resultId,
        message: text,
      })
      this.say('warn', `${r.checkId}: ${found.length} new posture finding(s)`, {check: r.checkId})
      this.send(
        {
          event: 'posture-regression',
          severity: found.some((f) => f.severity === 'crit') ? 'crit' : 'warn',
          at: r.startedAt,
          instance: this.instance,
          title: `Security posture regressed: ${w.check.name}`,
          text,
          check: this.checkInfo(w, next),
          resultId,
          ...(w.runbook ? {runbook: w.runbook} : {}),
        },
        w.notify,
      )
    } catch (error) {
      this.say('warn', `${r.checkId}: posture comparison failed: ${messageOf(error)}`, {check: r.checkId})
    }
  }

  private checkInfo(w: WatchedCheck, st: StoredMonitorState, previous?: string): NonNullable<Notification['check']> {
    const c = w.check
    return {
      id: c.id,
      name: c.name,
      target: c.target,
      ...(c.service ? {service: c.service} : {}),
      ...(c.tier ? {tier: c.tier} : {}),
      state: st.state,
      ...(previous ? {previous} : {}),
    }
  }

  private notificationFor(
    w: WatchedCheck,
    e: MonitorEvent,
    st: StoredMonitorState,
    prev?: StoredMonitorState,
  ): Notification {
    const c = w.check
    // A recovery says how long the check was down: from when it turned failing (or degraded) to now.
    const outageMs =
      e.kind === 'recovered' && prev && prev.state !== 'ok' && prev.state !== 'pending'
        ? Math.max(0, e.at - prev.since)
        : undefined
    const text =
      outageMs === undefined
        ? e.message
        : `${e.message}. ${prev!.state[0].toUpperCase()}${prev!.state.slice(1)} for ${formatOutage(outageMs)} (since ${new Date(prev!.since).toISOString()}).`
    const label = {
      failing: 'FAILING',
      degraded: 'DEGRADED',
      recovered: 'RECOVERED',
      reminder: 'STILL FAILING',
      flapping: 'FLAPPING',
      stable: 'STABLE',
    }[e.kind]
    const severity =
      e.kind === 'recovered'
        ? 'ok'
        : e.kind === 'failing' || e.kind === 'reminder'
          ? 'crit'
          : e.kind === 'stable'
            ? st.state === 'ok'
              ? 'ok'
              : st.state === 'failing'
                ? 'crit'
                : 'warn'
            : 'warn'
    return {
      event: e.kind,
      severity,
      at: e.at,
      instance: this.instance,
      title: `${label}: ${c.name}`,
      text,
      check: this.checkInfo(w, st, e.previous),
      ...(e.resultId === null ? {} : {resultId: e.resultId}),
      ...(outageMs === undefined ? {} : {outageMs}),
      ...(w.runbook ? {runbook: w.runbook} : {}),
    }
  }

  private send(n: Notification, to: readonly string[], hold?: string): void {
    const ex = this.opts.exercise
    if (ex) {
      // A real channel never hears of an exercise, whatever the catalogue says.
      to = to.filter((name) => ex.channels.includes(name))
      n = {...n, title: n.title.startsWith('EXERCISE') ? n.title : `EXERCISE ${ex.id}: ${n.title}`}
    }

    if (to.length === 0) return
    if (hold) this.dispatcher.notify(n, to, {hold})
    else this.counts.notifications += this.dispatcher.notify(n, to)
  }

  /** Tells the other notifiers that one gave up on a message (never about a notice of this kind, so it cannot echo). */
  private undelivered(notifier: NotifierConfig, n: Notification, reason: string): void {
    if (n.event === 'undelivered' || n.event === 'test') return
    const others = [...this.config.notifiers.keys()].filter((name) => name !== notifier.name)
    this.send(
      {
        event: 'undelivered',
        severity: 'warn',
        at: this.host.now(),
        instance: this.instance,
        title: `Notifier ${notifier.name} (${notifier.type}) could not deliver: ${n.title}`.slice(0, 200),
        text: `${reason}. Check the receiver and ${notifier.from}; see watchkeeper notify log --notifier ${notifier.name} --status expired.`,
        ...(n.check ? {check: n.check} : {}),
        ...(n.incident ? {incident: n.incident} : {}),
      },
      others,
    )
  }

  /**
   * Announces maintenance windows as they open and close (to the notifiers of the checks they cover). The
   * closing notice counts the messages held; a recovery held in the window is sent then, so an alert raised
   * before the window is closed. Open windows are kept in watch_meta, so a restart announces nothing twice.
   */
  private maintenanceTick(): void {
    const {db} = this.opts
    const now = this.host.now()
    try {
      const open = getMeta<Record<string, {since: number; until: number}>>(db, MAINTENANCE_KEY) ?? {}
      const seen = new Set<string>()
      let changed = false
      for (const win of this.config.maintenance) {
        if (seen.has(win.name)) continue
        seen.add(win.name)
        const covered = [...this.checks.values()].filter((w) => windowCovers(win, w.check))
        const until = windowActiveUntil(win, now)
        const was = open[win.name]
        if (until !== undefined && !was && covered.length > 0) {
          open[win.name] = {since: now, until}
          changed = true
          this.maintenanceNotice('started', win.name, covered, {since: now, until})
        } else if (until === undefined && was) {
          delete open[win.name]
          changed = true
          this.maintenanceNotice('ended', win.name, covered, was)
        }
      }

      for (const [name, was] of Object.entries(open)) {
        if (seen.has(name)) continue
        delete open[name]
        changed = true
        this.maintenanceNotice('ended', name, [], was)
      }

      if (changed) setMeta(db, MAINTENANCE_KEY, open, now)
    } catch (error) {
      this.say('warn', `maintenance windows: ${messageOf(error)}`)
    }
  }

  private maintenanceNotice(
    kind: 'started' | 'ended',
    name: string,
    covered: WatchedCheck[],
    window: {since: number; until: number},
  ): void {
    const now = this.host.now()
    const ids = covered.map((w) => w.check.id)
    const list = ids.slice(0, 10).join(', ') + (ids.length > 10 ? ` and ${ids.length - 10} more` : '')
    const to = [...new Set(covered.flatMap((w) => w.notify))]
    let text: string
    let held: number | undefined
    if (kind === 'started') {
      text = `Messages about ${ids.length} check(s) are held until ${new Date(window.until).toISOString()}: ${list}.`
    } else {
      held = heldSince(this.opts.db, ids, window.since)
      const failing = covered.filter((w) => this.states.get(w.check.id)?.state === 'failing').map((w) => w.check.id)
      text =
        `${held} message(s) were held during the window (since ${new Date(window.since).toISOString()}); alerts resume.` +
        (failing.length > 0
          ? ` Still failing: ${failing.join(', ')}.`
          : ids.length > 0
            ? ' No covered check is failing.'
            : '')
    }

    const title = `Maintenance ${kind}: ${name}`
    this.say('info', `${title}: ${text}`, {window: name})
    this.pendingEvents.push({
      kind: `maintenance-${kind}`,
      checkId: 'watchkeeper.maintenance',
      state: null,
      previous: null,
      at: now,
      resultId: null,
      message: `${name}: ${text}`,
    })
    this.send(
      {
        event: `maintenance-${kind}`,
        severity: 'info',
        at: now,
        instance: this.instance,
        title,
        text,
        maintenance: {
          name,
          checks: ids,
          ...(kind === 'started' ? {until: new Date(window.until).toISOString()} : {held}),
        },
      },
      to,
    )
    if (kind === 'ended') {
      const last = lastHeldEvents(this.opts.db, ids, window.since)
      for (const w of covered) {
        const st = this.states.get(w.check.id)
        if (last.get(w.check.id) !== 'recovered' || st?.state !== 'ok') continue
        this.send(
          {
            event: 'recovered',
            severity: 'ok',
            at: now,
            instance: this.instance,
            title: `RECOVERED: ${w.check.name}`,
            text: `recovered during maintenance window "${name}"; ok since ${new Date(st.since).toISOString()}`,
            check: this.checkInfo(w, st),
            ...(w.runbook ? {runbook: w.runbook} : {}),
          },
          w.notify,
        )
      }
    }
  }

  /** Writes dirty states and pending events; a locked database leaves them for the next try. */
  private persist(): void {
    if (this.dirty.size === 0 && this.pendingEvents.length === 0) return
    try {
      const {db} = this.opts
      const states = [...this.dirty].map((id) => this.states.get(id)!).filter(Boolean)
      const events = this.pendingEvents
      db.transaction(() => {
        saveMonitorStates(db, states, this.host.now())
        insertMonitorEvents(db, events)
      })()
      this.dirty.clear()
      this.pendingEvents = []
    } catch (error) {
      this.say('warn', `could not store check states yet (${messageOf(error)}); will retry`)
    }
  }

  /** Re-reads the catalogue. An invalid one is reported and the running one kept. */
  reload(): {ok: boolean; problems: Problem[]} {
    let loaded: {config?: WatchConfig; problems: Problem[]}
    try {
      loaded = this.opts.load()
    } catch (error) {
      loaded = {problems: [{file: '', line: 0, col: 0, path: '', message: messageOf(error)}]}
    }

    if (!loaded.config) {
      this.say(
        'error',
        `reload refused: ${loaded.problems.length} problem(s) in the catalogue; still watching the previous one`,
      )
      for (const p of loaded.problems) this.say('error', formatProblem(p))
      return {ok: false, problems: loaded.problems}
    }

    const before = new Set(this.checks.keys())
    this.config = loaded.config
    this.applyChecks(loaded.config)
    this.dispatcher.setNotifiers(loaded.config.notifiers)
    this.scheduler?.setJobs(this.jobs())
    const after = new Set(this.checks.keys())
    const added = [...after].filter((id) => !before.has(id)).length
    const removed = [...before].filter((id) => !after.has(id)).length
    this.say('info', `reloaded the catalogue: ${after.size} check(s) (+${added} −${removed})`)
    return {ok: true, problems: []}
  }

  /** Runs every enabled check once (bounded pool), evaluates, delivers notifications, and returns. */
  async runOnce(): Promise<void> {
    const ids = [...this.checks.keys()]
    const concurrency = this.opts.concurrency ?? this.config.settings.concurrency
    let next = 0
    const worker = async () => {
      while (next < ids.length && !this.abort.signal.aborted) await this.runOne(ids[next++], 0)
    }

    await Promise.all(Array.from({length: Math.min(concurrency, ids.length)}, worker))
  }

  /** Waits for runs in flight and writes what is buffered (tests and --once use this between steps). */
  async settle(): Promise<void> {
    do {
      await this.scheduler?.idle()
      await Promise.all(this.inFlight)
      // Let verdicts that resolved just now (the canary) release what they hold.
      await new Promise((resolve) => setImmediate(resolve))
      this.writer.flush()
    } while (this.inFlight.size > 0 || (this.scheduler?.running ?? 0) > 0)

    this.persist()
  }

  /** Resolves when queued notifications are delivered, or after `ms`. */
  drainNotifications(ms: number): Promise<boolean> {
    return this.dispatcher.drain(ms)
  }

  /** Where this probe sees services from: --vantage, else watch.vantage. */
  get vantage(): Vantage | undefined {
    return this.opts.vantage ?? this.config?.settings.vantage
  }

  health(): {healthy: boolean; [k: string]: unknown} {
    const now = this.host.now()
    return {
      healthy: !this.stopping,
      status: this.stopping ? 'stopping' : 'watching',
      instance: this.instance,
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      checks: this.checks.size,
      running: this.scheduler?.running ?? 0,
      queued: this.scheduler?.queued ?? 0,
      connectivity: this.selfcheck.connectivity,
      lastResultAgeSeconds: this.lastResultAt === undefined ? null : Math.round((now - this.lastResultAt) / 1000),
      unwrittenResults: this.writer.pending,
      notificationBacklog: this.dispatcher.backlog,
    }
  }

  /**
   * Stops scheduling, lets checks in flight finish (aborting them after `graceMs`), writes every result
   * and state, gives notifications a moment to go out, and closes the run.
   */
  async stop(graceMs = this.config?.settings.shutdownGraceMs ?? 15_000): Promise<WatchSummary> {
    this.stopping = true
    for (const t of this.timers) this.host.clearTimeout(t)
    this.timers.clear()
    this.scheduler?.stop()
    this.selfcheck?.stop()
    const idle = this.scheduler ? this.scheduler.idle() : Promise.resolve()
    let graceTimer: NodeJS.Timeout | undefined
    const inTime = await Promise.race([
      idle.then(() => true),
      new Promise<boolean>((resolve) => {
        graceTimer = setTimeout(() => resolve(false), graceMs)
      }),
    ])
    clearTimeout(graceTimer)
    if (!inTime) {
      this.say('warn', `checks still running after ${Math.round(graceMs / 1000)} s; cutting them short`)
      this.abortRuns()
      await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, 2000))])
    }

    await Promise.race([Promise.all(this.inFlight), new Promise((resolve) => setTimeout(resolve, 2000))])
    // Write everything; a database locked by another process gets a few more seconds.
    const deadline = Date.now() + 10_000
    this.writer.flush()
    while (this.writer.pending > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      this.writer.flush()
    }

    this.persist()
    await this.dispatcher.drain(Math.min(5000, graceMs))
    this.dispatcher.stop()
    try {
      finishRun(this.opts.db, this.runId, this.host.now())
    } catch (error) {
      this.say('warn', `could not close the run record: ${messageOf(error)}`)
    }

    if (this.writer.pending > 0)
      this.say('error', `${this.writer.pending} result(s) could not be written: the database stayed locked`)
    return {
      startedAt: new Date(this.startedAt).toISOString(),
      stoppedAt: new Date(this.host.now()).toISOString(),
      runs: this.counts.runs,
      results: this.counts.results,
      notifications: this.counts.notifications,
      skipped: this.counts.skipped,
      unwritten: this.writer.pending,
    }
  }

  /** Entries held in the watcher's own structures (tests check they stay bounded over a long watch). */
  footprint(): Record<
    'checks' | 'states' | 'refs' | 'timers' | 'runs' | 'tracked' | 'pendingEvents' | 'dirty',
    number
  > {
    return {
      checks: this.checks.size,
      states: this.states.size,
      refs: this.refs.size,
      timers: this.timers.size,
      runs: this.runs.size,
      tracked: this.inFlight.size,
      pendingEvents: this.pendingEvents.length,
      dirty: this.dirty.size,
    }
  }

  /** The checks being watched (for status output). */
  watched(): WatchedCheck[] {
    return [...this.checks.values()]
  }

  stateOf(checkId: string): StoredMonitorState | undefined {
    return this.states.get(checkId)
  }
}

/** The message of something thrown (an Error's, or the value as text). */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** How to take up an incident, for its messages. */
function responseOf(id: number, runbook?: string): Pick<Notification, 'respond' | 'runbook'> {
  return {respond: `watchkeeper incident respond ${id}`, ...(runbook ? {runbook} : {})}
}

function respondText(id: number, runbook?: string): string {
  return `\nTo respond: watchkeeper incident respond ${id}${runbook ? `\nRunbook: ${runbook}` : ''}`
}

/** The catalogue did not validate at start. */
export class WatchConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`${problems.length} problem(s) in the catalogue`)
  }
}

export {type CheckDefinition} from '../catalogue/load.js'
