import type {NotifierConfig} from '../notify/types.js'
import type {DB} from '../store/db.js'
import type {LoadedScenario} from './load.js'
import {validateCatalogue} from '../catalogue/load.js'
import {DefinitionError, UserError} from '../errors.js'
/**
 * Runs an exercise: starts the simulated estate, points a real watch at it (the Watcher in-process, its
 * messages only to the scenario's test channels), releases the injects on the scenario's timeline (or by hand),
 * and records everything on the exercise incident's hash-chained timeline, marked EXERCISE. Events before the
 * incident opens wait in the exercise log and are copied onto the timeline, with their own times, when it does.
 */
import {canonicalJson, sha256Hex, type TimelineEvent} from '../incidents/chain.js'
import {clockStartEvent} from '../incidents/clocks.js'
import {appendEvents, incidentClockDefs, mutate, openIncident} from '../incidents/service.js'
import {parseIsoDuration, toIsoDuration} from '../incidents/time.js'
import {buildWatchConfig, type WatchConfig} from '../monitor/watch-config.js'
import {incidentStep} from '../monitor/watch-hooks.js'
import {type LogEntry, Watcher} from '../monitor/watch.js'
import {
  appendExerciseLog,
  endExercise,
  exerciseLog,
  getExercise,
  insertExercise,
  setExerciseIncident,
} from '../store/exercises.js'
import {eventsOf, getIncident, incidentCheckIds, linkChecks} from '../store/incidents.js'
import {durationMs} from '../util/duration.js'
import {Estate} from './estate/index.js'
import {checkIdsOf, type Inject, type Scenario} from './model.js'

export const FACILITATOR_ACTOR = 'exercise facilitator'
const WATCH_ACTOR = 'watchkeeper watch'

/** What the facilitator's terminal is told. */
export type FacilitatorEvent =
  | {
      kind: 'started'
      exerciseId: number
      compression: number
      endpoints: {id: string; kind: string; url: string}[]
      catalogue: string
    }
  | {kind: 'inject'; inject: Inject; offsetMs: number; realMs: number}
  | {kind: 'incident'; incidentId: number; title: string}
  | {kind: 'timeline'; event: TimelineEvent; realMs: number}
  | {kind: 'log'; entry: LogEntry}
  | {kind: 'waiting'; next: Inject}
  | {kind: 'ended'; reason: string; exerciseId: number; incidentId: number | null}

export interface RunOptions {
  db: DB
  loaded: LoadedScenario
  /** Notifiers of the trust's catalogue (--checks); only those the scenario names as test channels are used. */
  notifiers?: Map<string, NotifierConfig>
  /** Overrides the scenario's compression (e.g. a rehearsal of a live scenario at high speed). */
  compression?: number
  /** Injects wait for releaseNext() (Enter, or `exercise inject`) instead of their time. */
  manual?: boolean
  /** Folder for the exercise's files (its CA and catalogue). */
  dir: string
  onEvent?: (e: FacilitatorEvent) => void
  signal?: AbortSignal
  /** How often the database is looked at (release requests, the timeline); default 250 ms. */
  pollMs?: number
}

export interface RunOutcome {
  exerciseId: number
  incidentId: number | null
  reason: string
  released: string[]
}

/** Injects in release order: by offset, then as written. */
export function injectOrder(s: Scenario): Inject[] {
  return s.injects
    .map((inj, i) => ({inj, i, at: parseIsoDuration(inj.at) ?? 0}))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.inj)
}

/** The scenario as stored with the exercise (canonical JSON, the file path reduced to its name). */
export function scenarioRecord(s: Scenario): {json: string; sha256: string} {
  const json = canonicalJson({...s, file: s.file.split(/[\\/]/).pop()})
  return {json, sha256: sha256Hex(json)}
}

export class ExerciseRun {
  readonly id: number
  private readonly scenario: Scenario
  private readonly compression: number
  private startedAt: number
  private readonly order: Inject[]
  private released: string[] = []
  private incidentId: number | null = null
  private estate?: Estate
  private watcher?: Watcher
  private readonly timers: NodeJS.Timeout[] = []
  private manualPending = 0
  private releaseSeen = 0
  private lastSeq = 0
  private stopped?: string
  private catalogueFile = ''

  constructor(private readonly o: RunOptions) {
    this.scenario = o.loaded.scenario
    this.compression = o.compression ?? this.scenario.compression
    if (!(this.compression >= 1))
      throw new UserError(`--compression ${this.compression}: expected a number of at least 1`, {
        code: 'E_FLAG',
        exit: 2,
      })
    const channels = this.scenario.notify ?? []
    for (const c of channels) {
      if (!o.notifiers?.has(c)) {
        throw new UserError(`The scenario names test channel "${c}", but no notifier of that name is defined.`, {
          hint: 'Give the catalogue that defines it with --checks, or remove it from notify:.',
          code: 'E_NOTIFIER',
          exit: 2,
        })
      }
    }

    this.order = injectOrder(this.scenario)
    this.startedAt = Date.now()
    const rec = scenarioRecord(this.scenario)
    this.id = insertExercise(o.db, {
      scenarioId: this.scenario.id,
      title: this.scenario.title,
      scenarioJson: rec.json,
      scenarioSha256: rec.sha256,
      compression: this.compression,
      startedAt: this.startedAt,
    })
  }

  private now(): number {
    return Date.now()
  }

  /** Scenario time elapsed at a real instant. */
  private scenarioMs(at: number): number {
    return Math.round((at - this.startedAt) * this.compression)
  }

  /** Records an exercise event: on the incident's timeline once there is one, in the exercise log before. */
  private record(type: string, data: Record<string, unknown>, at = this.now(), actor = FACILITATOR_ACTOR): void {
    const full = {...data, scenarioOffset: toIsoDuration(this.scenarioMs(at)), realOffsetMs: at - this.startedAt}
    if (this.incidentId === null) {
      appendExerciseLog(this.o.db, this.id, {occurredAt: at, actor, type, data: full})
    } else {
      appendEvents(this.o.db, this.incidentId, actor, this.now(), [{type, occurredAt: at, data: full}])
    }
  }

  /** The exercise incident opened: link it, and copy what happened before onto its timeline. */
  private adopt(incidentId: number): void {
    if (this.incidentId !== null) return
    this.incidentId = incidentId
    setExerciseIncident(this.o.db, this.id, incidentId)
    const backlog = exerciseLog(this.o.db, this.id)
    // One append per run of the same actor keeps the order and who did what.
    let run: typeof backlog = []
    const flush = () => {
      if (run.length === 0) return
      appendEvents(
        this.o.db,
        incidentId,
        run[0].actor,
        this.now(),
        run.map((e) => ({type: e.type, occurredAt: e.occurredAt, data: e.data})),
      )
      run = []
    }

    for (const e of backlog) {
      if (run.length > 0 && run[0].actor !== e.actor) flush()
      run.push(e)
    }

    flush()
    const row = getIncident(this.o.db, incidentId)
    this.o.onEvent?.({kind: 'incident', incidentId, title: row?.title ?? ''})
  }

  private config(catalogueFile: string): WatchConfig {
    const {catalogue, problems} = validateCatalogue([catalogueFile])
    if (!catalogue) throw new DefinitionError(problems, 'exercise catalogue')
    const built = buildWatchConfig(catalogue, {})
    if (!built.config) throw new DefinitionError(built.problems, 'exercise catalogue')
    const channels = this.scenario.notify ?? []
    // Only the test channels exist for this watch; no real notifier is even constructed.
    built.config.notifiers = new Map(channels.map((c) => [c, this.o.notifiers!.get(c)!]))
    for (const w of built.config.checks) w.notify = [...channels]
    return built.config
  }

  async start(): Promise<void> {
    const s = this.scenario
    try {
      await this.prepare()
    } catch (error) {
      await this.finish(`could not start: ${error instanceof Error ? error.message : String(error)}`, false).catch(
        () => undefined,
      )
      throw error
    }

    // T+0 is when the estate is up and watched.
    this.startedAt = this.now()
    this.record(
      'exercise_started',
      {
        exerciseId: this.id,
        scenario: s.id,
        scenarioSha256: scenarioRecord(s).sha256,
        title: s.title,
        exerciseType: s.exercise_type,
        playbook: this.o.loaded.playbook.id,
        expect: s.expect ?? {},
        compression: this.compression,
        duration: s.duration,
        participants: s.participants,
        sources: s.sources,
        testChannels: s.notify ?? [],
        injects: this.order.map((i) => ({id: i.id, kind: i.kind, at: i.at})),
        manual: this.o.manual === true,
        estate: this.estate?.endpoints(),
      },
      this.startedAt,
    )
    this.watcher!.start()
    this.o.onEvent?.({
      kind: 'started',
      exerciseId: this.id,
      compression: this.compression,
      endpoints: this.estate!.endpoints(),
      catalogue: this.catalogueFile,
    })
    if (this.o.manual) {
      this.o.onEvent?.({kind: 'waiting', next: this.order[0]})
    } else {
      for (const inj of this.order) {
        const realMs = (parseIsoDuration(inj.at) ?? 0) / this.compression
        this.timers.push(setTimeout(() => this.release(inj), realMs))
      }
    }
  }

  /** Starts the estate and the watch on it (not yet scheduling). */
  private async prepare(): Promise<void> {
    const s = this.scenario
    this.estate = await Estate.start(s.estate, this.o.dir, `${s.id} #${this.id}`)
    const w = s.watch ?? {}
    const catalogueFile = (this.catalogueFile = this.estate.writeCatalogue(
      {
        intervalMs: w.interval ? durationMs(w.interval) : 1000,
        timeoutMs: w.timeout ? durationMs(w.timeout) : 2000,
        failures: w.failures ?? 2,
      },
      {playbook: this.o.loaded.playbook.id, severity: s.severity, title: s.title},
    ))
    const config = this.config(catalogueFile)
    const playbooks = new Map([[this.o.loaded.playbook.id, this.o.loaded.playbook]])
    this.watcher = new Watcher({
      db: this.o.db,
      load: () => ({config, problems: []}),
      instance: `exercise-${this.id}`,
      clocksEveryMs: 1000,
      exercise: {id: this.id, channels: s.notify ?? []},
      log: (entry) => this.o.onEvent?.({kind: 'log', entry}),
      hooks: {
        incident: (ctx) => {
          if (
            ctx.state.state !== ctx.previous.state &&
            (ctx.state.state === 'failing' || ctx.previous.state === 'failing')
          ) {
            const service = s.estate.find((e) => ctx.watched.check.id.startsWith(`exercise.${e.id}.`))
            this.record(
              'estate_check_changed',
              {
                checkId: ctx.watched.check.id,
                service: service?.id,
                from: ctx.previous.state,
                to: ctx.state.state,
                summary: ctx.result.summary,
                fault: service ? (this.estate?.faultOf(service.id) ?? null) : null,
              },
              ctx.result.startedAt + ctx.result.durationMs,
              WATCH_ACTOR,
            )
          }

          // One exercise, one incident: any estate check that would open one attaches to the exercise's incident instead.
          if (
            this.incidentId !== null &&
            ctx.watched.incident &&
            !incidentCheckIds(this.o.db, this.incidentId).includes(ctx.watched.check.id)
          ) {
            linkChecks(this.o.db, this.incidentId, [ctx.watched.check.id])
          }

          const out = incidentStep(ctx, playbooks, this.id)
          if (out?.opened) this.adopt(out.opened.id)
          return out
        },
        // Clock crossings of this exercise's incident only: an exercise writes to nothing else.
        recordClocks: (db, now) => {
          if (this.incidentId === null) return 0
          const before = eventsOf(db, this.incidentId).length
          mutate({db, actor: 'watchkeeper', now}, this.incidentId, () => ({events: [], result: undefined}))
          return eventsOf(db, this.incidentId).length - before
        },
      },
    })
    this.watcher.init()
  }

  /** Releases the next inject now (manual mode: Enter at the facilitator's terminal). */
  releaseNext(): void {
    this.manualPending++
  }

  private release(inj: Inject): void {
    if (this.released.includes(inj.id) || this.stopped) return
    this.released.push(inj.id)
    const at = this.now()
    try {
      if (inj.kind === 'fault') this.estate?.fault(inj.target, inj.fault, inj.delay)
      if (inj.kind === 'recover') this.estate?.recover(inj.target)
      const data: Record<string, unknown> = {inject: inj.id, kind: inj.kind, offset: inj.at, text: inj.text, to: inj.to}
      if (inj.kind === 'fault') Object.assign(data, {target: inj.target, fault: inj.fault, delay: inj.delay})
      if (inj.kind === 'recover') data.target = inj.target
      if (inj.kind === 'alert')
        Object.assign(data, {reference: inj.reference, severity: inj.severity, startsClock: inj.starts_clock})
      if (inj.kind === 'question') data.expects = inj.expects
      if (inj.kind === 'alert' && this.incidentId === null) {
        // The alert is the detection: the facilitator declares the exercise incident as a responder would.
        const opened = openIncident(
          {db: this.o.db, actor: FACILITATOR_ACTOR, now: at},
          {
            title: `${this.scenario.title}`,
            severity: this.scenario.severity,
            playbook: this.o.loaded.playbook,
            exercise: this.id,
            checks: this.scenario.estate.filter((e) => e.opens_incident !== false).flatMap(checkIdsOf),
          },
        )
        this.adopt(opened.id)
      }

      this.record('inject_released', data, at)
      if (inj.kind === 'alert' && inj.starts_clock && this.incidentId !== null) {
        const row = getIncident(this.o.db, this.incidentId)!
        const def = incidentClockDefs(this.o.db, row).get(inj.starts_clock)
        const started = eventsOf(this.o.db, this.incidentId).some(
          (e) => e.type === 'clock_started' && e.data.name === inj.starts_clock,
        )
        if (def && !started)
          appendEvents(this.o.db, this.incidentId, FACILITATOR_ACTOR, this.now(), [
            clockStartEvent(def, at, `inject ${inj.id} (issued ${inj.at})`),
          ])
      }
    } catch (error) {
      this.o.onEvent?.({
        kind: 'log',
        entry: {level: 'error', at, msg: `inject ${inj.id}: ${error instanceof Error ? error.message : String(error)}`},
      })
    }

    this.o.onEvent?.({
      kind: 'inject',
      inject: inj,
      offsetMs: parseIsoDuration(inj.at) ?? 0,
      realMs: at - this.startedAt,
    })
    if (this.o.manual) {
      const next = this.order.find((i) => !this.released.includes(i.id))
      if (next) this.o.onEvent?.({kind: 'waiting', next})
    }
  }

  /** Looks at the database: release requests from `exercise inject`, and new timeline events to show. */
  private poll(): void {
    const row = getExercise(this.o.db, this.id)
    if (row && row.releaseRequests > this.releaseSeen) {
      this.manualPending += row.releaseRequests - this.releaseSeen
      this.releaseSeen = row.releaseRequests
    }

    while (this.manualPending > 0) {
      this.manualPending--
      const next = this.order.find((i) => !this.released.includes(i.id))
      if (next) this.release(next)
    }

    if (this.incidentId !== null) {
      for (const e of eventsOf(this.o.db, this.incidentId)) {
        if (e.seq <= this.lastSeq) continue
        this.lastSeq = e.seq
        this.o.onEvent?.({kind: 'timeline', event: e, realMs: e.occurredAt - this.startedAt})
      }
    }
  }

  /** Why the exercise should end now, if it should. */
  private endReason(): string | undefined {
    if (this.o.signal?.aborted) return 'stopped by the facilitator'
    const all = this.released.length === this.order.length
    const walked =
      this.incidentId !== null && eventsOf(this.o.db, this.incidentId).some((e) => e.type === 'walk_completed')
    if (all && walked) return 'every inject released and the playbook walked to its end'
    const limit = (parseIsoDuration(this.scenario.duration) ?? 0) / this.compression
    if (!this.o.manual && this.now() - this.startedAt >= limit)
      return `the scenario's duration (${this.scenario.duration}) has passed`
    return undefined
  }

  /** Runs until the exercise ends, then stops the watch and the estate. */
  async wait(): Promise<RunOutcome> {
    const pollMs = this.o.pollMs ?? 250
    let reason: string | undefined
    while (!(reason = this.endReason())) {
      this.poll()
      await new Promise((resolve) => setTimeout(resolve, pollMs))
    }

    this.poll()
    return this.finish(reason)
  }

  private async finish(reason: string, declare = true): Promise<RunOutcome> {
    this.stopped = reason
    for (const t of this.timers.splice(0)) clearTimeout(t)
    await this.watcher?.stop(2000)
    await this.estate?.close()
    if (this.incidentId === null && declare) {
      // Nothing detected it: the facilitator declares the incident by hand so the record (and the miss) exist.
      const opened = openIncident(
        {db: this.o.db, actor: FACILITATOR_ACTOR, now: this.now()},
        {
          title: `${this.scenario.title} (not detected)`,
          severity: this.scenario.severity,
          playbook: this.o.loaded.playbook,
          exercise: this.id,
        },
      )
      this.adopt(opened.id)
    }

    this.record('exercise_ended', {
      exerciseId: this.id,
      reason,
      released: this.released,
      notReleased: this.order.filter((i) => !this.released.includes(i.id)).map((i) => i.id),
    })
    endExercise(this.o.db, this.id, this.now())
    this.poll()
    this.o.onEvent?.({kind: 'ended', reason, exerciseId: this.id, incidentId: this.incidentId})
    return {exerciseId: this.id, incidentId: this.incidentId, reason, released: [...this.released]}
  }
}
