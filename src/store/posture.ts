import type {CheckResult, Finding, Severity, Status} from '../types.js'
import type {DB} from './db.js'
import {STATUS_CODE, statusFromCode} from '../types.js'
import {writeTx} from './lock.js'

/** Kinds whose every result is a posture result; a tls result counts when it carries posture details. */
export const POSTURE_KINDS = new Set(['web-security', 'email-security'])

export function isPostureResult(r: Pick<CheckResult, 'kind' | 'details'>): boolean {
  return POSTURE_KINDS.has(r.kind) || (r.details !== undefined && r.details !== null && 'posture' in r.details)
}

function gradeOf(r: CheckResult): {grade: string | null; score: number | null} {
  const d = r.details
  return {
    grade: typeof d?.grade === 'string' ? d.grade : null,
    score: typeof d?.score === 'number' ? Math.round(d.score) : null,
  }
}

/** Files posture rows for the posture results of a batch just written (ids as insertResults returned them). */
export function recordPosture(
  db: DB,
  refs: Map<string, number>,
  runId: number | null,
  results: readonly CheckResult[],
  ids: readonly number[],
): void {
  if (!results.some(isPostureResult)) return
  const row =
    db.prepare(`INSERT OR IGNORE INTO posture (result_id, check_ref, run_id, ts, status, evaluated, grade, score)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
  const fin = db.prepare('INSERT INTO posture_findings (posture_id, finding_id, severity, message) VALUES (?, ?, ?, ?)')
  writeTx(db, () => {
    for (const [i, r] of results.entries()) {
      const ref = refs.get(r.checkId)
      if (!isPostureResult(r) || ref === undefined || ids[i] === undefined) continue
      const {grade, score} = gradeOf(r)
      const info = row.run(
        ids[i],
        ref,
        runId,
        r.startedAt,
        STATUS_CODE[r.status],
        r.status === 'unknown' ? 0 : 1,
        grade,
        score,
      )
      if (info.changes === 0) continue
      for (const f of r.findings) fin.run(info.lastInsertRowid, f.id, f.severity, f.message)
    }
  })
}

export interface PostureSnapshot {
  checkId: string
  kind: string
  target: string
  name: string | null
  service: string | null
  resultId: number
  runId: number | null
  ts: number
  status: Status
  grade: string | null
  score: number | null
  findings: Finding[]
}

interface Row {
  id: number
  result_id: number
  run_id: number | null
  ts: number
  status: number
  grade: string | null
  score: number | null
  check_id: string
  kind: string
  target: string
  name: string | null
  service: string | null
}

const COLUMNS =
  'p.id, p.result_id, p.run_id, p.ts, p.status, p.grade, p.score, c.check_id, c.kind, c.target, c.name, c.service'

function findingsOf(db: DB, postureId: number): Finding[] {
  return db
    .prepare<[number], Finding>(
      'SELECT finding_id AS id, severity, message FROM posture_findings WHERE posture_id = ? ORDER BY rowid',
    )
    .all(postureId)
}

function toSnapshot(db: DB, row: Row): PostureSnapshot {
  return {
    checkId: row.check_id,
    kind: row.kind,
    target: row.target,
    name: row.name,
    service: row.service,
    resultId: row.result_id,
    runId: row.run_id,
    ts: row.ts,
    status: statusFromCode(row.status),
    grade: row.grade,
    score: row.score,
    findings: findingsOf(db, row.id),
  }
}

/** Each posture check's latest row (evaluated or not), sorted by check id; optionally only some checks. */
export function latestPosture(db: DB, checkIds?: readonly string[]): PostureSnapshot[] {
  const rows = db
    .prepare<[], Row>(
      `SELECT ${COLUMNS} FROM checks c
    JOIN posture p ON p.id = (SELECT id FROM posture WHERE check_ref = c.id ORDER BY ts DESC, id DESC LIMIT 1)
    ORDER BY c.check_id`,
    )
    .all()
  return rows.filter((r) => !checkIds || checkIds.includes(r.check_id)).map((r) => toSnapshot(db, r))
}

/** The latest evaluated row of a check at or before `until` (epoch ms), or strictly before result `beforeResult`. */
function evaluatedRow(
  db: DB,
  checkRef: number,
  opts: {until?: number; beforeResultId?: number; runId?: number},
): Row | undefined {
  if (opts.runId !== undefined) {
    return db
      .prepare<[number, number], Row>(
        `SELECT ${COLUMNS} FROM posture p JOIN checks c ON c.id = p.check_ref
      WHERE p.check_ref = ? AND p.evaluated = 1 AND p.run_id IS NOT NULL AND p.run_id <= ? ORDER BY p.run_id DESC, p.ts DESC, p.id DESC LIMIT 1`,
      )
      .get(checkRef, opts.runId)
  }

  if (opts.beforeResultId !== undefined) {
    return db
      .prepare<[number, number], Row>(
        `SELECT ${COLUMNS} FROM posture p JOIN checks c ON c.id = p.check_ref
      WHERE p.check_ref = ? AND p.evaluated = 1 AND p.result_id < ? ORDER BY p.ts DESC, p.id DESC LIMIT 1`,
      )
      .get(checkRef, opts.beforeResultId)
  }

  return db
    .prepare<[number, number], Row>(
      `SELECT ${COLUMNS} FROM posture p JOIN checks c ON c.id = p.check_ref
    WHERE p.check_ref = ? AND p.evaluated = 1 AND p.ts <= ? ORDER BY p.ts DESC, p.id DESC LIMIT 1`,
    )
    .get(checkRef, opts.until ?? Number.MAX_SAFE_INTEGER)
}

export interface FindingChange {
  id: string
  severity: Severity
  /** The messages under this id (several findings can share an id, e.g. one per leaking header). */
  messages: string[]
}

export interface PostureChange {
  checkId: string
  kind: string
  target: string
  /** The compared rows; `before` is null when the check had no evaluated posture then. */
  before: {resultId: number; runId: number | null; ts: number; grade: string | null; score: number | null} | null
  after: {resultId: number; runId: number | null; ts: number; grade: string | null; score: number | null}
  /** Finding ids present after but not before. */
  appeared: FindingChange[]
  /** Finding ids present before but not after. */
  fixed: FindingChange[]
}

function byId(findings: readonly Finding[]): Map<string, FindingChange> {
  const out = new Map<string, FindingChange>()
  const rank: Record<Severity, number> = {info: 0, warn: 1, crit: 2}
  for (const f of findings) {
    const c = out.get(f.id)
    if (c) {
      c.messages.push(f.message)
      if (rank[f.severity] > rank[c.severity]) c.severity = f.severity
    } else out.set(f.id, {id: f.id, severity: f.severity, messages: [f.message]})
  }

  return out
}

/** Findings compared by id: what appeared in `after` and what disappeared from `before`. */
export function compareFindings(
  before: readonly Finding[],
  after: readonly Finding[],
): {appeared: FindingChange[]; fixed: FindingChange[]} {
  const b = byId(before)
  const a = byId(after)
  return {appeared: [...a.values()].filter((f) => !b.has(f.id)), fixed: [...b.values()].filter((f) => !a.has(f.id))}
}

const brief = (r: Row) => ({resultId: r.result_id, runId: r.run_id, ts: r.ts, grade: r.grade, score: r.score})

/**
 * Posture changes of every posture check between a point in the past (a time, or a run id) and its
 * latest evaluated result. Checks without any change are included with empty lists.
 */
export function postureDiff(
  db: DB,
  since: {ts: number} | {runId: number},
  checkIds?: readonly string[],
): PostureChange[] {
  const checks = db
    .prepare<[], {ref: number; check_id: string}>(
      `SELECT DISTINCT c.id AS ref, c.check_id FROM checks c JOIN posture p ON p.check_ref = c.id ORDER BY c.check_id`,
    )
    .all()
  const out: PostureChange[] = []
  for (const c of checks) {
    if (checkIds && !checkIds.includes(c.check_id)) continue
    const after = evaluatedRow(db, c.ref, {})
    if (!after) continue
    const before =
      'runId' in since ? evaluatedRow(db, c.ref, {runId: since.runId}) : evaluatedRow(db, c.ref, {until: since.ts})
    const {appeared, fixed} = compareFindings(before ? findingsOf(db, before.id) : [], findingsOf(db, after.id))
    out.push({
      checkId: c.check_id,
      kind: after.kind,
      target: after.target,
      before: before ? brief(before) : null,
      after: brief(after),
      appeared,
      fixed,
    })
  }

  return out
}

/**
 * New findings of severity warn or crit in result `resultId` of `checkId`, against the check's previous
 * evaluated posture result. Empty when there is no previous result (a first run is not a regression),
 * when the result is not a posture result, or when it was not evaluated.
 */
export function postureRegressions(db: DB, checkId: string, resultId: number): Finding[] {
  const current = db
    .prepare<[string, number], {id: number; check_ref: number; evaluated: number}>(
      `SELECT p.id, p.check_ref, p.evaluated FROM posture p JOIN checks c ON c.id = p.check_ref
    WHERE c.check_id = ? AND p.result_id = ?`,
    )
    .get(checkId, resultId)
  if (!current || current.evaluated === 0) return []
  const previous = evaluatedRow(db, current.check_ref, {beforeResultId: resultId})
  if (!previous) return []
  const before = new Set(findingsOf(db, previous.id).map((f) => f.id))
  return findingsOf(db, current.id).filter((f) => f.severity !== 'info' && !before.has(f.id))
}

/** The run id of a run, if it exists (for --since RUN). */
export function runExists(db: DB, runId: number): boolean {
  return db.prepare('SELECT 1 FROM runs WHERE id = ?').get(runId) !== undefined
}
