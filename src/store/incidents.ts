import type {DB} from './db.js'
import {canonicalJson, eventHash, SEAL_TYPE, type Sealer, type TimelineEvent} from '../incidents/chain.js'
import {writeTx} from './lock.js'

/** One row of the incidents table: the current summary, kept in step with the timeline. */
export interface IncidentRow {
  id: number
  title: string
  severity: string
  state: string
  service: string | null
  openedAt: number
  updatedAt: number
  resolvedAt: number | null
  closedAt: number | null
  playbookId: string | null
  playbookJson: string | null
  playbookSha256: string | null
  /** The exercise that opened it; null for a real incident. */
  exerciseId: number | null
}

interface RawIncident {
  id: number
  title: string
  severity: string
  state: string
  service: string | null
  opened_at: number
  updated_at: number
  resolved_at: number | null
  closed_at: number | null
  playbook_id: string | null
  playbook_json: string | null
  playbook_sha256: string | null
  exercise_id?: number | null
}

function toRow(r: RawIncident): IncidentRow {
  return {
    id: r.id,
    title: r.title,
    severity: r.severity,
    state: r.state,
    service: r.service,
    openedAt: r.opened_at,
    updatedAt: r.updated_at,
    resolvedAt: r.resolved_at,
    closedAt: r.closed_at,
    playbookId: r.playbook_id,
    playbookJson: r.playbook_json,
    playbookSha256: r.playbook_sha256,
    exerciseId: r.exercise_id ?? null,
  }
}

/**
 * Runs fn in an IMMEDIATE transaction: the write lock is taken at BEGIN, so a second writer (another
 * process) waits for it (up to the lock timeout, saying so) instead of both reading the same chain head.
 */
export function immediate<T>(db: DB, fn: () => T, what?: string): T {
  if (db.inTransaction) return fn()
  try {
    return writeTx(
      db,
      () => {
        const out = fn()
        sealTouched(db)
        return out
      },
      what,
    )
  } finally {
    touched.get(db)?.clear()
  }
}

const sealers = new WeakMap<DB, Sealer>()
const touched = new WeakMap<DB, Set<number>>()

/** From now on every transaction that writes to an incident through this connection ends with a seal of its head. */
export function setSealer(db: DB, sealer: Sealer): void {
  sealers.set(db, sealer)
  touched.set(db, new Set())
}

/** Appends a seal of the head of every incident written in this transaction (inside it). */
function sealTouched(db: DB): void {
  const sealer = sealers.get(db)
  const ids = touched.get(db)
  if (!sealer || !ids || ids.size === 0) return
  for (const id of [...ids].sort((a, b) => a - b)) {
    const last = db
      .prepare<[number], {seq: number; hash: string; type: string; recordedAt: number}>(
        'SELECT seq, hash, type, recorded_at AS recordedAt FROM timeline_events WHERE incident_id = ? ORDER BY seq DESC LIMIT 1',
      )
      .get(id)
    if (!last || last.type === SEAL_TYPE) continue
    // A seal on an exercise incident says so too, like every other event of it.
    const exercise = exerciseOfIncident(db, id)
    const data = JSON.parse(
      canonicalJson({...sealer.seal(id, last.seq, last.hash), ...(exercise === null ? {} : {exercise})}),
    ) as Record<string, unknown>
    const e: Omit<TimelineEvent, 'hash'> = {
      incidentId: id,
      seq: last.seq + 1,
      occurredAt: last.recordedAt,
      recordedAt: last.recordedAt,
      actor: 'watchkeeper',
      type: SEAL_TYPE,
      data,
      prevHash: last.hash,
    }
    insertEvent(db, {...e, hash: eventHash(e)}, canonicalJson(data))
  }

  ids.clear()
}

export function insertIncident(
  db: DB,
  i: {title: string; severity: string; state: string; service?: string; openedAt: number; exerciseId?: number},
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO incidents (title, severity, state, service, opened_at, updated_at, exercise_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(i.title, i.severity, i.state, i.service ?? null, i.openedAt, i.openedAt, i.exerciseId ?? null)
      .lastInsertRowid,
  )
}

/** The exercise an incident belongs to, or null for a real one. */
export function exerciseOfIncident(db: DB, incidentId: number): number | null {
  const r = db
    .prepare<[number], {e: number | null}>('SELECT exercise_id AS e FROM incidents WHERE id = ?')
    .get(incidentId)
  return r?.e ?? null
}

export function getIncident(db: DB, id: number): IncidentRow | undefined {
  const r = db.prepare<[number], RawIncident>('SELECT * FROM incidents WHERE id = ?').get(id)
  return r ? toRow(r) : undefined
}

export type IncidentUpdate = Partial<
  Pick<
    IncidentRow,
    | 'title'
    | 'severity'
    | 'state'
    | 'service'
    | 'resolvedAt'
    | 'closedAt'
    | 'playbookId'
    | 'playbookJson'
    | 'playbookSha256'
  >
>

const COLUMNS: Record<keyof IncidentUpdate, string> = {
  title: 'title',
  severity: 'severity',
  state: 'state',
  service: 'service',
  resolvedAt: 'resolved_at',
  closedAt: 'closed_at',
  playbookId: 'playbook_id',
  playbookJson: 'playbook_json',
  playbookSha256: 'playbook_sha256',
}

export function updateIncident(db: DB, id: number, changes: IncidentUpdate, at: number): void {
  const sets: string[] = ['updated_at = @updatedAt']
  const params: Record<string, unknown> = {id, updatedAt: at}
  for (const [k, v] of Object.entries(changes)) {
    const col = COLUMNS[k as keyof IncidentUpdate]
    if (!col || v === undefined) continue
    sets.push(`${col} = @${k}`)
    params[k] = v
  }

  db.prepare(`UPDATE incidents SET ${sets.join(', ')} WHERE id = @id`).run(params)
}

export interface IncidentFilter {
  states?: readonly string[]
  service?: string
  severity?: string
  since?: number
  /** Real incidents only (real), exercise incidents only (exercise), one exercise's (a number), or both (all, the default). */
  exercise?: 'real' | 'exercise' | 'all' | number
}

export function listIncidentRows(db: DB, f: IncidentFilter = {}): IncidentRow[] {
  const where: string[] = []
  const params: Record<string, unknown> = {}
  if (f.states && f.states.length > 0) {
    where.push(`state IN (${f.states.map((_, i) => `@s${i}`).join(', ')})`)
    for (const [i, s] of f.states.entries()) params[`s${i}`] = s
  }

  if (f.service) {
    where.push('lower(service) = lower(@service)')
    params.service = f.service
  }

  if (f.severity) {
    where.push('upper(severity) = upper(@severity)')
    params.severity = f.severity
  }

  if (f.since !== undefined) {
    where.push('opened_at >= @since')
    params.since = f.since
  }

  if (f.exercise === 'real') where.push('exercise_id IS NULL')
  else if (f.exercise === 'exercise') where.push('exercise_id IS NOT NULL')
  else if (typeof f.exercise === 'number') {
    where.push('exercise_id = @exercise')
    params.exercise = f.exercise
  }

  const rows = db
    .prepare<[Record<string, unknown>], RawIncident>(
      `SELECT * FROM incidents ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY opened_at DESC, id DESC`,
    )
    .all(params)
  return rows.map(toRow)
}

export function linkChecks(db: DB, incidentId: number, checkIds: readonly string[]): void {
  const ins = db.prepare('INSERT OR IGNORE INTO incident_checks (incident_id, check_id) VALUES (?, ?)')
  for (const c of checkIds) ins.run(incidentId, c)
}

export function incidentCheckIds(db: DB, incidentId: number): string[] {
  return db
    .prepare<[number], {check_id: string}>(
      'SELECT check_id FROM incident_checks WHERE incident_id = ? ORDER BY check_id',
    )
    .all(incidentId)
    .map((r) => r.check_id)
}

interface RawEvent {
  incident_id: number
  seq: number
  occurred_at: number
  recorded_at: number
  actor: string
  type: string
  data: string
  prev_hash: string
  hash: string
}

function toEvent(r: RawEvent): TimelineEvent {
  let data: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(r.data)
    data = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? {...parsed} : {unparseable: r.data}
  } catch {
    // A hand-edited row that is no longer JSON still has to reach verify, which reports it.
    data = {unparseable: r.data}
  }

  return {
    incidentId: r.incident_id,
    seq: r.seq,
    occurredAt: r.occurred_at,
    recordedAt: r.recorded_at,
    actor: r.actor,
    type: r.type,
    data,
    prevHash: r.prev_hash,
    hash: r.hash,
  }
}

export function lastEventOf(db: DB, incidentId: number): {seq: number; hash: string} | undefined {
  return db
    .prepare<[number], {seq: number; hash: string}>(
      'SELECT seq, hash FROM timeline_events WHERE incident_id = ? ORDER BY seq DESC LIMIT 1',
    )
    .get(incidentId)
}

/** Stores one event; `data` is written as given (the caller serialises it canonically). */
export function insertEvent(db: DB, e: TimelineEvent, dataText: string): void {
  if (e.type !== SEAL_TYPE) touched.get(db)?.add(e.incidentId)
  db.prepare(
    `INSERT INTO timeline_events (incident_id, seq, occurred_at, recorded_at, actor, type, data, prev_hash, hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(e.incidentId, e.seq, e.occurredAt, e.recordedAt, e.actor, e.type, dataText, e.prevHash, e.hash)
}

export function eventsOf(db: DB, incidentId: number): TimelineEvent[] {
  return db
    .prepare<[number], RawEvent>('SELECT * FROM timeline_events WHERE incident_id = ? ORDER BY seq')
    .all(incidentId)
    .map(toEvent)
}

/** Ids of incidents not yet closed, declined or merged. */
export function activeIncidentIds(db: DB): number[] {
  return db
    .prepare<[], {id: number}>(
      `SELECT id FROM incidents WHERE state NOT IN ('closed', 'declined', 'merged') ORDER BY id`,
    )
    .all()
    .map((r) => r.id)
}
