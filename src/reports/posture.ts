import type {DB} from '../store/db.js'
import {UserError} from '../errors.js'
import {latestPosture, type PostureChange, postureDiff, type PostureSnapshot, runExists} from '../store/posture.js'
import {parseDuration} from '../util/duration.js'
import {globRegExp} from '../util/glob.js'

export interface PostureReport {
  generatedAt: string
  targets: (Omit<PostureSnapshot, 'ts'> & {checkedAt: string; counts: {crit: number; warn: number; info: number}})[]
}

/** A compared posture row, its time as ISO (the JSON convention). */
export type PostureSide = Omit<NonNullable<PostureChange['before']>, 'ts'> & {at: string}

export type PostureDiffChange = Omit<PostureChange, 'before' | 'after'> & {
  before: PostureSide | null
  after: PostureSide
}

function side({ts, ...rest}: NonNullable<PostureChange['before']>): PostureSide {
  return {...rest, at: new Date(ts).toISOString()}
}

function globs(patterns: readonly string[] | undefined): (id: string) => boolean {
  if (!patterns?.length) return () => true
  const res = patterns.map((g) => globRegExp(g))
  return (id) => res.some((r) => r.test(id))
}

/** Each posture target's grade and findings as of its latest result. */
export function postureReport(db: DB, opts: {checks?: readonly string[]; now?: number} = {}): PostureReport {
  const keep = globs(opts.checks)
  const targets = latestPosture(db)
    .filter((s) => keep(s.checkId))
    .map(({ts, ...s}) => {
      const counts = {crit: 0, warn: 0, info: 0}
      for (const f of s.findings) counts[f.severity]++
      return {...s, checkedAt: new Date(ts).toISOString(), counts}
    })
  return {generatedAt: new Date(opts.now ?? Date.now()).toISOString(), targets}
}

export type SinceSpec = {ts: number} | {runId: number}

/** --since: a run id (digits), an age (7d, 12h), or an ISO date/time. */
export function parseSince(text: string, now: number, db: DB): SinceSpec {
  const t = text.trim()
  if (/^\d+$/.test(t)) {
    const runId = Number(t)
    if (!runExists(db, runId))
      throw new UserError(`No run ${runId} in the database.`, {
        hint: 'Pass a run id from `check run --json` (runId), an age such as 7d, or a date such as 2026-11-01.',
        code: 'E_FLAG',
        exit: 2,
      })
    return {runId}
  }

  const age = parseDuration(t)
  if (age !== undefined) return {ts: now - age}
  const ts = Date.parse(t)
  if (Number.isNaN(ts))
    throw new UserError(`--since ${text}: expected a run id, an age such as 7d, or a date such as 2026-11-01`, {
      code: 'E_FLAG',
      exit: 2,
    })
  return {ts}
}

export interface PostureDiffReport {
  generatedAt: string
  since: {runId: number} | {time: string}
  summary: {targets: number; changed: number; regressions: number; fixes: number}
  /** Targets whose findings changed (all targets with --all). */
  changes: PostureDiffChange[]
}

/** What appeared (regressions) and disappeared (fixes) per posture target since a time or a run. */
export function postureDiffReport(
  db: DB,
  since: SinceSpec,
  opts: {checks?: readonly string[]; all?: boolean; now?: number} = {},
): PostureDiffReport {
  const keep = globs(opts.checks)
  const all = postureDiff(db, since).filter((c) => keep(c.checkId))
  const changed = all.filter((c) => c.appeared.length > 0 || c.fixed.length > 0 || c.before?.grade !== c.after.grade)
  return {
    generatedAt: new Date(opts.now ?? Date.now()).toISOString(),
    since: 'runId' in since ? {runId: since.runId} : {time: new Date(since.ts).toISOString()},
    summary: {
      targets: all.length,
      changed: changed.length,
      regressions: all.reduce((n, c) => n + c.appeared.length, 0),
      fixes: all.reduce((n, c) => n + c.fixed.length, 0),
    },
    changes: (opts.all ? all : changed).map((c) => ({
      ...c,
      before: c.before ? side(c.before) : null,
      after: side(c.after),
    })),
  }
}
