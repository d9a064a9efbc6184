import type {DB} from '../store/db.js'
import type {Scenario} from './model.js'
/** What the exercise commands do besides running one: release, answer, record actions, report, list. */
import {UserError} from '../errors.js'
import {gatherExport} from '../exporters/gather.js'
import {verifyChain} from '../incidents/chain.js'
import {appendEvents, mutate} from '../incidents/service.js'
import {
  appendExerciseLog,
  exerciseLog,
  type ExerciseRow,
  getExercise,
  listExerciseRows,
  requestRelease,
} from '../store/exercises.js'
import {eventsOf} from '../store/incidents.js'
import {didYouMean} from '../util/suggest.js'
import {packHtml, packMarkdown} from './pack-render.js'
import {buildPack, type PackFormat, packJson} from './report.js'
import {injectOrder} from './run.js'

export function parseExerciseId(text: string): number {
  const m = /^(?:EX-?)?(\d+)$/i.exec(text.trim())
  if (!m)
    throw new UserError(`"${text}" is not an exercise id.`, {
      hint: 'Exercise ids are numbers, e.g. 2 or EX-2 (see `watchkeeper exercise runs`).',
      code: 'E_EXERCISE_ID',
      exit: 2,
    })
  return Number(m[1])
}

export function requireExercise(db: DB, id: number): ExerciseRow {
  const row = getExercise(db, id)
  if (!row)
    throw new UserError(`No exercise ${id}.`, {
      hint: 'See `watchkeeper exercise runs`.',
      code: 'E_NO_EXERCISE',
      exit: 2,
    })
  return row
}

function scenarioOf(row: ExerciseRow): Scenario {
  return JSON.parse(row.scenarioJson) as Scenario
}

/** The exercise's events so far: its log, and its incident's timeline once there is one. */
function exerciseEvents(db: DB, row: ExerciseRow): {type: string; data: Record<string, unknown>}[] {
  return row.incidentId === null ? exerciseLog(db, row.id) : eventsOf(db, row.incidentId)
}

function write(
  db: DB,
  row: ExerciseRow,
  actor: string,
  now: number,
  type: string,
  data: Record<string, unknown>,
): void {
  if (row.incidentId === null) {
    appendExerciseLog(db, row.id, {occurredAt: now, actor, type, data})
  } else {
    appendEvents(db, row.incidentId, actor, now, [{type, data}])
  }
}

/** Asks the running exercise to release its next inject; `ref` (an inject id) must be that next one. */
export function releaseNext(db: DB, id: number, ref?: string): {inject: string; requests: number} {
  const row = requireExercise(db, id)
  if (row.state !== 'running') throw new UserError(`Exercise ${id} has ended.`, {code: 'E_EXERCISE_STATE'})
  const done = new Set(
    exerciseEvents(db, row)
      .filter((e) => e.type === 'inject_released')
      .map((e) => String(e.data.inject)),
  )
  const order = injectOrder(scenarioOf(row))
  const next = order.find((i) => !done.has(i.id))
  if (!next) throw new UserError(`Every inject of exercise ${id} has been released.`, {code: 'E_EXERCISE_STATE'})
  if (ref && ref !== 'next' && ref !== next.id) {
    const known = order.map((i) => i.id)
    if (!known.includes(ref)) {
      const guess = didYouMean(ref, known)
      throw new UserError(`Exercise ${id} has no inject "${ref}".`, {
        hint: guess ? `Did you mean "${guess}"?` : `Injects: ${known.join(', ')}.`,
        code: 'E_INJECT',
        exit: 2,
      })
    }

    throw new UserError(`Inject ${ref} is not the next one; the next is ${next.id} (${next.kind}, ${next.at}).`, {
      hint: 'Injects are released in order: `exercise inject ID next`.',
      code: 'E_INJECT',
      exit: 2,
    })
  }

  return {inject: next.id, requests: requestRelease(db, id)}
}

/** A participant's answer to a question inject, on the record with who and when. */
export function answerInject(db: DB, id: number, injectId: string, text: string, actor: string, now: number): void {
  const row = requireExercise(db, id)
  if (text.trim() === '') throw new UserError('An answer needs some text.', {code: 'E_USAGE', exit: 2})
  const scenario = scenarioOf(row)
  const inj = scenario.injects.find((i) => i.id === injectId)
  if (!inj) {
    const guess = didYouMean(
      injectId,
      scenario.injects.map((i) => i.id),
    )
    throw new UserError(`Exercise ${id} has no inject "${injectId}".`, {
      hint: guess ? `Did you mean "${guess}"?` : undefined,
      code: 'E_INJECT',
      exit: 2,
    })
  }

  if (!exerciseEvents(db, row).some((e) => e.type === 'inject_released' && e.data.inject === injectId)) {
    throw new UserError(`Inject ${injectId} has not been released yet.`, {code: 'E_INJECT', exit: 2})
  }

  write(db, row, actor, now, 'inject_answered', {inject: injectId, kind: inj.kind, text: text.trim()})
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

/** A lessons-learned action with its owner and due date (CAF D2.b), on the exercise incident's timeline. */
export function recordAction(
  db: DB,
  id: number,
  a: {text: string; owner: string; due: string; caf?: string},
  actor: string,
  now: number,
): void {
  const row = requireExercise(db, id)
  if (a.text.trim() === '') throw new UserError('An action needs some text: --text.', {code: 'E_USAGE', exit: 2})
  if (a.owner.trim() === '') throw new UserError('An action needs an owner: --owner.', {code: 'E_USAGE', exit: 2})
  if (!DATE.test(a.due) || Number.isNaN(Date.parse(a.due)))
    throw new UserError(`--due ${a.due}: expected a date such as 2027-03-31.`, {code: 'E_FLAG', exit: 2})
  if (row.incidentId === null)
    throw new UserError(`Exercise ${id} has no incident yet; record actions at the debrief, once it has.`, {
      code: 'E_EXERCISE_STATE',
    })
  write(db, row, actor, now, 'action_recorded', {
    text: a.text.trim(),
    owner: a.owner.trim(),
    due: a.due,
    caf: a.caf ?? 'D2.b',
  })
}

export function exerciseRuns(db: DB): (ExerciseRow & {scenario: string})[] {
  return listExerciseRows(db).map((r) => ({...r, scenario: r.scenarioId}))
}

/** The evidence pack of an exercise in one format. */
export function exerciseReport(
  db: DB,
  id: number,
  format: PackFormat,
  now: number,
): {text: string; incidentId: number} {
  const row = requireExercise(db, id)
  if (row.incidentId === null)
    throw new UserError(`Exercise ${id} has no incident yet, so there is nothing to report.`, {
      hint: 'The pack is made once the incident opens (or the exercise ends).',
      code: 'E_EXERCISE_STATE',
    })
  // Clock crossings due on the exercise incident (and nothing else) are recorded first.
  if (!db.readonly) mutate({db, actor: 'watchkeeper', now}, row.incidentId, () => ({events: [], result: undefined}))
  const input = gatherExport(db, row.incidentId, now)
  if (format === 'json') return {text: packJson(input), incidentId: row.incidentId}
  const pack = buildPack(input.events, input.summary, now)
  const {head} = verifyChain(input.events, row.incidentId)
  return {
    text: format === 'md' ? packMarkdown(pack, input.events, head) : packHtml(pack, input.events, head),
    incidentId: row.incidentId,
  }
}
