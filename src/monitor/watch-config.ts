import type {Catalogue, CheckDefinition} from '../catalogue/load.js'
import type {Problem} from '../errors.js'
import {isVantage, type Vantage} from '../metrics/vantage.js'
import {PROVIDERS} from '../notify/providers/index.js'
import {
  DEFAULT_MIN_INTERVAL_MS,
  DEFAULT_NOTIFY_EXPIRE_MS,
  DEFAULT_NOTIFY_RETRIES,
  DEFAULT_NOTIFY_TIMEOUT_MS,
  type NotifierConfig,
  NOTIFY_EVENTS,
  type NotifyCategory,
} from '../notify/types.js'
import {durationMs} from '../util/duration.js'
import {didYouMean} from '../util/suggest.js'
import {
  formatPath,
  type KeyPath,
  type ParsedYaml,
  parseYamlFile,
  positionOf,
  sortProblems,
} from '../util/yaml-schema.js'
import {DEFAULT_FLAPPING, DEFAULT_THRESHOLDS, type FlappingPolicy, type Thresholds} from './evaluator.js'
import {DEFAULT_TIMEZONE, isTimeZone, type MaintenanceWindow, parseLocalDateTime, weekdayNumber} from './maintenance.js'
import {cronProblems, type Trigger} from './scheduler.js'

export const DEFAULT_INTERVAL_MS = 60_000
export const DEFAULT_WATCH_CONCURRENCY = 32

/** How a check opens an incident: after it has been failing this long, or after N failed results in a row. */
export interface IncidentPolicy {
  afterMs?: number
  afterFailures?: number
  severity?: string
  playbook?: string
  title?: string
}

/** One enabled check as `watch` runs it. */
export interface WatchedCheck {
  check: CheckDefinition
  trigger: Trigger
  thresholds: Thresholds
  flapping: FlappingPolicy
  /** Notifier names. */
  notify: string[]
  remindEveryMs?: number
  incident?: IncidentPolicy
  /** Linked from its messages. */
  runbook?: string
}

export interface CanaryConfig {
  /** A catalogue check to run, or a TCP host:port. */
  checkId?: string
  target?: string
  ratio: number
  minChecks: number
  everyMs: number
}

export interface WatchSettings {
  concurrency: number
  staggerMs: number
  shutdownGraceMs: number
  canary?: CanaryConfig
  /** watch.vantage: labels on every metric series. */
  vantage?: Vantage
}

export interface WatchConfig {
  checks: WatchedCheck[]
  disabled: {id: string; reason: string}[]
  notifiers: Map<string, NotifierConfig>
  maintenance: MaintenanceWindow[]
  settings: WatchSettings
  /** Every check of the catalogue (for the canary and for `notify test`). */
  all: CheckDefinition[]
}

/** Locates problems in the catalogue files (re-parsed once each) by key path. */
class Locator {
  private parsed = new Map<string, ParsedYaml | undefined>()
  readonly problems: Problem[] = []

  at(file: string, path: KeyPath, message: string, key = false): void {
    if (!this.parsed.has(file)) this.parsed.set(file, parseYamlFile(file).parsed)
    const p = this.parsed.get(file)
    const pos = p ? positionOf(p, path, key) : {line: 0, col: 0}
    this.problems.push({file, line: pos.line, col: pos.col, path: formatPath(path), message})
  }

  /** Key path of a check inside its file. */
  checkPath(c: CheckDefinition): KeyPath {
    if (!this.parsed.has(c.source.file)) this.parsed.set(c.source.file, parseYamlFile(c.source.file).parsed)
    const {checks} = obj(this.parsed.get(c.source.file)?.value)
    const index = Array.isArray(checks) ? checks.findIndex((x) => obj(x).id === c.id) : -1
    return index >= 0 ? ['checks', index] : ['checks']
  }
}

type Obj = Record<string, unknown>

const isNotifyCategory = (v: unknown): v is NotifyCategory => NOTIFY_EVENTS.some((e) => e === v)

// Readers of values the schema has already checked: the type, or undefined when absent.
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const obj = (v: unknown): Obj => (isObj(v) ? v : {})
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined)
const strs = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined

function thresholdsOf(v: unknown, base: Thresholds): Thresholds {
  const o = obj(v)
  return {failure: num(o.failure) ?? base.failure, recovery: num(o.recovery) ?? base.recovery}
}

function flappingOf(v: unknown, base: FlappingPolicy): FlappingPolicy {
  const o = obj(v)
  return {
    changes: num(o.changes) ?? base.changes,
    windowMs: typeof o.window === 'string' ? durationMs(o.window) : base.windowMs,
  }
}

/** The notifiers of the catalogue, URLs resolved from the environment; problems for those that cannot be used. */
export function loadNotifiers(
  catalogue: Catalogue,
  env: NodeJS.ProcessEnv = process.env,
): {notifiers: Map<string, NotifierConfig>; problems: Problem[]} {
  const loc = new Locator()
  const notifiers = parseNotifiers(catalogue, env, loc)
  return {notifiers, problems: sortProblems(loc.problems)}
}

function parseNotifiers(catalogue: Catalogue, env: NodeJS.ProcessEnv, loc: Locator): Map<string, NotifierConfig> {
  const notifiers = new Map<string, NotifierConfig>()
  const notifierFile = new Map<string, string>()
  for (const {file, value} of catalogue.sections.get('notifiers') ?? []) {
    for (const [name, raw] of Object.entries(obj(value))) {
      const o = obj(raw)
      if (notifiers.has(name)) {
        loc.at(file, ['notifiers', name], `notifier "${name}" is already defined in ${notifierFile.get(name)}`, true)
        continue
      }

      const provider = PROVIDERS.get(String(o.type))
      if (!provider) continue
      const settings = provider.parse(o, env, (key, message) =>
        loc.at(file, ['notifiers', name, key], message.replace('this notifier', `notifier "${name}"`)),
      )
      if (settings === undefined) continue
      notifierFile.set(name, file)
      notifiers.set(name, {
        name,
        type: provider.type,
        provider,
        settings,
        from: provider.from(settings),
        events: Array.isArray(o.events) ? new Set(o.events.filter((e) => isNotifyCategory(e))) : null,
        minIntervalMs: typeof o.min_interval === 'string' ? durationMs(o.min_interval) : DEFAULT_MIN_INTERVAL_MS,
        retries: num(o.retries) ?? DEFAULT_NOTIFY_RETRIES,
        timeoutMs: typeof o.timeout === 'string' ? durationMs(o.timeout) : DEFAULT_NOTIFY_TIMEOUT_MS,
        ...(typeof o.backoff === 'string' ? {backoffMs: durationMs(o.backoff)} : {}),
        expireMs: typeof o.expire_after === 'string' ? durationMs(o.expire_after) : DEFAULT_NOTIFY_EXPIRE_MS,
      })
    }
  }

  return notifiers
}

/** Where a maintenance window is in the catalogue, for its problems. */
interface WindowSite {
  file: string
  here: KeyPath
  loc: Locator
}

type WindowBase = Pick<MaintenanceWindow, 'checks' | 'name' | 'tags' | 'timezone'>

/** A recurring window (with every:), or undefined after reporting why it is not one. */
function recurringWindow(w: Obj, base: WindowBase, {file, here, loc}: WindowSite): MaintenanceWindow | undefined {
  const hm = /^(\d{2}):(\d{2})$/.exec(String(w.start))
  if (!hm || Number(hm[1]) > 23 || Number(hm[2]) > 59) {
    loc.at(file, [...here, 'start'], 'a recurring window (with every:) starts at a time of day such as 22:00')
    return undefined
  }

  if (typeof w.duration !== 'string') {
    loc.at(file, here, 'a recurring window needs duration: (e.g. 2h)')
    return undefined
  }

  if (w.end !== undefined) {
    loc.at(file, [...here, 'end'], 'a recurring window takes duration:, not end:', true)
    return undefined
  }

  const dur = durationMs(w.duration)
  if (dur <= 0 || dur > 7 * 86_400_000) {
    loc.at(file, [...here, 'duration'], 'duration must be more than 0 and at most 7d')
    return undefined
  }

  return {
    ...base,
    recurring: {
      startMinute: Number(hm[1]) * 60 + Number(hm[2]),
      durationMs: dur,
      days: w.every === 'day' ? null : (strs(w.every) ?? []).map(weekdayNumber),
    },
  }
}

/** A one-off window (a start date and time), or undefined after reporting why it is not one. */
function oneOffWindow(w: Obj, base: WindowBase, {file, here, loc}: WindowSite): MaintenanceWindow | undefined {
  const tz = base.timezone
  const from = parseLocalDateTime(String(w.start), tz)
  if (from === undefined) {
    loc.at(
      file,
      [...here, 'start'],
      'a one-off window starts at a date and time such as 2026-12-01T22:00 (a time of day alone needs every:)',
    )
    return undefined
  }

  let until: number | undefined
  if (typeof w.end === 'string' && typeof w.duration === 'string') {
    loc.at(file, [...here, 'duration'], 'give end: or duration:, not both', true)
    return undefined
  }

  if (typeof w.end === 'string') until = parseLocalDateTime(w.end, tz)
  else if (typeof w.duration === 'string') until = from + durationMs(w.duration)
  if (until === undefined) {
    loc.at(file, here, 'a one-off window needs end: (a date and time) or duration:')
    return undefined
  }

  if (until <= from) {
    loc.at(file, [...here, w.end ? 'end' : 'duration'], 'the window ends before it starts')
    return undefined
  }

  return {...base, once: {start: from, end: until}}
}

/** The maintenance: windows of a validated catalogue; problems go to `loc`. */
function parseMaintenance(catalogue: Catalogue, loc: Locator): MaintenanceWindow[] {
  const maintenance: MaintenanceWindow[] = []
  for (const {file, value} of catalogue.sections.get('maintenance') ?? []) {
    for (const [i, w] of (Array.isArray(value) ? value : []).map(obj).entries()) {
      const here: KeyPath = ['maintenance', i]
      const tz = str(w.timezone) ?? DEFAULT_TIMEZONE
      if (!isTimeZone(tz)) {
        loc.at(file, [...here, 'timezone'], `unknown time zone "${tz}" (expected an IANA name such as Europe/London)`)
        continue
      }

      const base = {name: String(w.name), checks: strs(w.checks) ?? [], tags: strs(w.tags) ?? [], timezone: tz}
      const site = {file, here, loc}
      const window = w.every === undefined ? oneOffWindow(w, base, site) : recurringWindow(w, base, site)
      if (window) maintenance.push(window)
    }
  }

  return maintenance
}

/** The maintenance windows of a validated catalogue alone (for `status`), with their problems. */
export function maintenanceWindows(catalogue: Catalogue): {windows: MaintenanceWindow[]; problems: Problem[]} {
  const loc = new Locator()
  const windows = parseMaintenance(catalogue, loc)
  return {windows, problems: sortProblems(loc.problems)}
}

/** The watch: settings of every file (several may each set different keys), and the file that set each. */
function mergeWatchSettings(catalogue: Catalogue, loc: Locator): {watch: Obj; watchFrom: Map<string, string>} {
  const watch: Obj = {}
  const watchFrom = new Map<string, string>()
  for (const {file, value} of catalogue.sections.get('watch') ?? []) {
    for (const [k, v] of Object.entries(obj(value))) {
      if (watchFrom.has(k)) loc.at(file, ['watch', k], `watch.${k} is already set in ${watchFrom.get(k)}`, true)
      else {
        watch[k] = v
        watchFrom.set(k, file)
      }
    }
  }

  return {watch, watchFrom}
}

/** Checks a list of notifier names against those declared; returns the list. */
type NotifyNames = (names: unknown, file: string, path: () => KeyPath) => string[]

function notifyNames(catalogue: Catalogue, loc: Locator): NotifyNames {
  const declared = new Set<string>()
  for (const {value} of catalogue.sections.get('notifiers') ?? [])
    for (const n of Object.keys(obj(value))) declared.add(n)
  return (names, file, path) => {
    const list = strs(names) ?? []
    for (const [i, n] of list.entries()) {
      if (!declared.has(n)) {
        const guess = didYouMean(n, declared)
        loc.at(
          file,
          [...path(), i],
          `no notifier named "${n}"` +
            (guess
              ? `; did you mean "${guess}"?`
              : declared.size > 0
                ? `; notifiers: ${[...declared].join(', ')}`
                : '; define it under notifiers:'),
        )
      }
    }

    return list
  }
}

function triggerOf(c: CheckDefinition, loc: Locator, path: () => KeyPath): Trigger {
  const s = c.spec
  if (typeof s.schedule === 'string') {
    const tz = str(s.timezone) ?? DEFAULT_TIMEZONE
    for (const p of cronProblems(s.schedule, tz))
      loc.at(
        c.source.file,
        [...path(), p.startsWith('unknown time zone') ? 'timezone' : 'schedule'],
        `${p} (check ${c.id})`,
      )
    return {kind: 'cron', expression: s.schedule, timezone: tz}
  }

  const every = typeof s.interval === 'string' ? durationMs(s.interval) : DEFAULT_INTERVAL_MS
  if (every < 1000) loc.at(c.source.file, [...path(), 'interval'], `interval must be at least 1s (check ${c.id})`)
  return {kind: 'interval', everyMs: every}
}

function incidentOf(v: unknown): IncidentPolicy | undefined {
  if (v === undefined) return undefined
  const inc = obj(v)
  const incident: IncidentPolicy = {severity: str(inc.severity), playbook: str(inc.playbook), title: str(inc.title)}
  if (typeof inc.after === 'number') incident.afterFailures = inc.after
  else incident.afterMs = durationMs(String(inc.after))
  return incident
}

interface CheckDefaults {
  notify: string[]
  thresholds: Thresholds
  flapping: FlappingPolicy
  names: NotifyNames
}

/** One enabled check as watch runs it, or undefined when it has a problem (reported to `loc`). */
function watchedCheck(c: CheckDefinition, d: CheckDefaults, loc: Locator): WatchedCheck | undefined {
  const s = c.spec
  // The key path re-parses the file with positions: only worth it when a problem is reported.
  let at: KeyPath | undefined
  const path = () => (at ??= loc.checkPath(c))
  const before = loc.problems.length
  const trigger = triggerOf(c, loc, path)
  const notify = s.notify === undefined ? d.notify : d.names(s.notify, c.source.file, () => [...path(), 'notify'])
  if (loc.problems.length > before) return undefined
  return {
    check: c,
    trigger,
    notify,
    incident: incidentOf(s.incident),
    thresholds: thresholdsOf(s.thresholds, d.thresholds),
    flapping: flappingOf(s.flapping, d.flapping),
    remindEveryMs: typeof s.remind_every === 'string' ? durationMs(s.remind_every) : undefined,
    ...(typeof s.runbook === 'string' ? {runbook: s.runbook} : {}),
  }
}

function canaryOf(v: unknown, file: string | undefined, catalogue: Catalogue, loc: Locator): CanaryConfig | undefined {
  if (v === undefined || file === undefined) return undefined
  const cn = obj(v)
  if ((cn.check === undefined) === (cn.target === undefined))
    loc.at(file, ['watch', 'canary'], 'give check: (a check id) or target: (host:port), one of them')
  else if (typeof cn.check === 'string' && !catalogue.checks.some((c) => c.id === cn.check)) {
    const guess = didYouMean(
      cn.check,
      catalogue.checks.map((c) => c.id),
    )
    loc.at(
      file,
      ['watch', 'canary', 'check'],
      `no check with id "${cn.check}"` + (guess ? `; did you mean "${guess}"?` : ''),
    )
  }

  return {
    checkId: str(cn.check),
    target: str(cn.target),
    ratio: num(cn.ratio) ?? 0.5,
    minChecks: num(cn.min_checks) ?? 3,
    everyMs: typeof cn.every === 'string' ? durationMs(cn.every) : 30_000,
  }
}

/**
 * Builds what `watch` needs from a validated catalogue: triggers, thresholds, notifiers (URLs from the
 * environment), maintenance windows and watch settings. Problems the schema cannot see (bad cron
 * expressions, unknown zones and notifier names, clashing settings) come back located in the files.
 */
export function buildWatchConfig(
  catalogue: Catalogue,
  env: NodeJS.ProcessEnv = process.env,
): {config?: WatchConfig; problems: Problem[]} {
  const loc = new Locator()
  const {watch, watchFrom} = mergeWatchSettings(catalogue, loc)
  const notifiers = parseNotifiers(catalogue, env, loc)
  const names = notifyNames(catalogue, loc)
  const defaults: CheckDefaults = {
    notify:
      watch.notify === undefined
        ? [...notifiers.keys()]
        : names(watch.notify, watchFrom.get('notify') ?? '', () => ['watch', 'notify']),
    thresholds: thresholdsOf(watch.thresholds, DEFAULT_THRESHOLDS),
    flapping: flappingOf(watch.flapping, DEFAULT_FLAPPING),
    names,
  }
  const maintenance = parseMaintenance(catalogue, loc)
  const checks: WatchedCheck[] = []
  const disabled: {id: string; reason: string}[] = []
  for (const c of catalogue.checks) {
    if (c.enabled) {
      const w = watchedCheck(c, defaults, loc)
      if (w) checks.push(w)
    } else {
      disabled.push({id: c.id, reason: c.disabledReason ?? 'disabled'})
    }
  }

  const canary = canaryOf(watch.canary, watchFrom.get('canary'), catalogue, loc)
  if (loc.problems.length > 0) return {problems: sortProblems(loc.problems)}
  return {
    problems: [],
    config: {
      checks,
      disabled,
      notifiers,
      maintenance,
      all: catalogue.checks,
      settings: {
        concurrency: num(watch.concurrency) ?? DEFAULT_WATCH_CONCURRENCY,
        staggerMs: typeof watch.stagger === 'string' ? durationMs(watch.stagger) : 60_000,
        shutdownGraceMs: typeof watch.shutdown_grace === 'string' ? durationMs(watch.shutdown_grace) : 15_000,
        canary,
        ...(isVantage(watch.vantage) ? {vantage: watch.vantage} : {}),
      },
    },
  }
}
