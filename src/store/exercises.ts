import type {DB} from './db.js'
import {writeTx} from './lock.js'

/** One exercise run: the scenario as it was run, its compression and where it stands. */
export interface ExerciseRow {
  id: number
  scenarioId: string
  title: string
  scenarioJson: string
  scenarioSha256: string
  compression: number
  state: 'running' | 'ended'
  startedAt: number
  endedAt: number | null
  incidentId: number | null
  releaseRequests: number
}

interface RawExercise {
  id: number
  scenario_id: string
  title: string
  scenario_json: string
  scenario_sha256: string
  compression: number
  state: 'running' | 'ended'
  started_at: number
  ended_at: number | null
  incident_id: number | null
  release_requests: number
}

function toRow(r: RawExercise): ExerciseRow {
  return {
    id: r.id,
    scenarioId: r.scenario_id,
    title: r.title,
    scenarioJson: r.scenario_json,
    scenarioSha256: r.scenario_sha256,
    compression: r.compression,
    state: r.state,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    incidentId: r.incident_id,
    releaseRequests: r.release_requests,
  }
}

export function insertExercise(
  db: DB,
  e: {
    scenarioId: string
    title: string
    scenarioJson: string
    scenarioSha256: string
    compression: number
    startedAt: number
  },
): number {
  return writeTx(db, () =>
    Number(
      db
        .prepare(
          `INSERT INTO exercises (scenario_id, title, scenario_json, scenario_sha256, compression, state, started_at)
    VALUES (?, ?, ?, ?, ?, 'running', ?)`,
        )
        .run(e.scenarioId, e.title, e.scenarioJson, e.scenarioSha256, e.compression, e.startedAt).lastInsertRowid,
    ),
  )
}

export function getExercise(db: DB, id: number): ExerciseRow | undefined {
  const r = db.prepare<[number], RawExercise>('SELECT * FROM exercises WHERE id = ?').get(id)
  return r ? toRow(r) : undefined
}

export function listExerciseRows(db: DB): ExerciseRow[] {
  return db.prepare<[], RawExercise>('SELECT * FROM exercises ORDER BY id DESC').all().map(toRow)
}

export function setExerciseIncident(db: DB, id: number, incidentId: number): void {
  db.prepare('UPDATE exercises SET incident_id = ? WHERE id = ? AND incident_id IS NULL').run(incidentId, id)
}

export function endExercise(db: DB, id: number, at: number): void {
  writeTx(db, () =>
    db.prepare(`UPDATE exercises SET state = 'ended', ended_at = ? WHERE id = ? AND state = 'running'`).run(at, id),
  )
}

/** Asks a running exercise to release its next inject (the runner polls for it). */
export function requestRelease(db: DB, id: number): number {
  return writeTx(db, () => {
    db.prepare('UPDATE exercises SET release_requests = release_requests + 1 WHERE id = ?').run(id)
    return db.prepare<[number], {n: number}>('SELECT release_requests AS n FROM exercises WHERE id = ?').get(id)?.n ?? 0
  })
}

/** An exercise event written before its incident opened. */
export interface ExerciseLogEntry {
  seq: number
  occurredAt: number
  actor: string
  type: string
  data: Record<string, unknown>
}

export function appendExerciseLog(db: DB, id: number, e: Omit<ExerciseLogEntry, 'seq'>): void {
  writeTx(db, () => {
    const last = db
      .prepare<[number], {s: number | null}>('SELECT MAX(seq) AS s FROM exercise_log WHERE exercise_id = ?')
      .get(id)
    db.prepare(
      'INSERT INTO exercise_log (exercise_id, seq, occurred_at, actor, type, data) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(id, (last?.s ?? 0) + 1, e.occurredAt, e.actor, e.type, JSON.stringify(e.data))
  })
}

export function exerciseLog(db: DB, id: number): ExerciseLogEntry[] {
  return db
    .prepare<[number], {seq: number; occurredAt: number; actor: string; type: string; data: string}>(
      'SELECT seq, occurred_at AS occurredAt, actor, type, data FROM exercise_log WHERE exercise_id = ? ORDER BY seq',
    )
    .all(id)
    .map((r) => ({...r, data: JSON.parse(r.data) as Record<string, unknown>}))
}
