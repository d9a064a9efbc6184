/** What keeps an exercise apart from real incidents: marks, lists, merges, auto-open, commands and clocks. */
import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {WatchedCheck} from '../../src/monitor/watch-config.js'
import type {IncidentContext} from '../../src/monitor/watch.js'
import {type ClockDef, compressClockDefs} from '../../src/incidents/clocks.js'
import {changeState, listIncidents, openIncident, startClock} from '../../src/incidents/service.js'
import {respond} from '../../src/incidents/walk.js'
import {initialState} from '../../src/monitor/evaluator.js'
import {incidentStep} from '../../src/monitor/watch-hooks.js'
import {answersFrom, AnswersResponder} from '../../src/playbooks/answers.js'
import {loadPlaybookRef} from '../../src/playbooks/load.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {insertExercise} from '../../src/store/exercises.js'
import {eventsOf, getIncident, linkChecks} from '../../src/store/incidents.js'
import {lastResults, storeRun} from '../../src/store/results.js'
import {tmpDir} from '../helpers/cli.js'

let tmp: {dir: string; cleanup: () => void}
let db: DB
const NOW = Date.UTC(2026, 11, 1, 9, 0, 0)

beforeEach(() => {
  tmp = tmpDir('wk-exsafe-')
  db = openDatabase(path.join(tmp.dir, 'wk.db'))
})
afterEach(() => {
  db.close()
  tmp.cleanup()
})

function exercise(compression = 60): number {
  return insertExercise(db, {
    scenarioId: 'drill',
    title: 'Drill',
    scenarioJson: '{}',
    scenarioSha256: '0',
    compression,
    startedAt: NOW,
  })
}

const a = (actor = 'alice') => ({db, actor, now: NOW})

/** A failing result of check `id` stored, and the context the watch hands the incident step after it. */
function failing(id: string): IncidentContext {
  const started = NOW - 1000
  const result = {
    checkId: id,
    kind: 'http',
    target: 'https://www.nhs.uk/',
    status: 'crit' as const,
    summary: 'HTTP 503',
    startedAt: started,
    durationMs: 10,
    attempts: 1,
    timings: {},
    findings: [],
    metrics: {},
  }
  const runId = storeRun(db, {
    source: 'test',
    startedAt: started,
    finishedAt: NOW,
    checks: [{id, name: id, kind: 'http', target: 'https://www.nhs.uk/', tags: []}] as never,
    results: [result as never],
  })
  const {resultId} = lastResults(db, [id])[0]
  void runId
  const state = {
    ...initialState(id, started),
    state: 'failing' as const,
    badStreak: 3,
    badSince: started - 60_000,
    incidentId: null,
  }
  const watched = {
    check: {id, name: id, service: 'NHS website', target: 'https://www.nhs.uk/', source: {file: 'x', line: 1, col: 1}},
    incident: {afterFailures: 3},
  } as unknown as WatchedCheck
  return {
    db,
    watched,
    state,
    previous: {...state, state: 'failing'},
    result: result as never,
    resultId,
    inMaintenance: false,
    now: NOW,
  }
}

describe('exercise incidents are kept apart from real ones', () => {
  it('an exercise incident is titled and marked EXERCISE on every event, and hidden from the ordinary list', () => {
    const ex = exercise()
    const {id} = openIncident(a(), {title: 'Pathology down', exercise: ex})
    openIncident(a(), {title: 'Real outage'})
    expect(getIncident(db, id)?.title).toBe('EXERCISE: Pathology down')
    for (const e of eventsOf(db, id)) expect(e.data.exercise).toBe(ex)
    expect(listIncidents(db, {}).map((i) => i.title)).toEqual(['Real outage'])
    expect(listIncidents(db, {exercise: 'exercise'}).map((i) => i.title)).toEqual(['EXERCISE: Pathology down'])
    expect(listIncidents(db, {exercise: 'all'})).toHaveLength(2)
  })

  it('a real check never attaches to an open exercise incident, and an exercise never to a real one', () => {
    const ex = exercise()
    const drill = openIncident(a(), {title: 'Drill', exercise: ex}).id
    linkChecks(db, drill, ['www-nhs-uk'])
    const real = incidentStep(failing('www-nhs-uk'), new Map())
    expect(real?.opened).toBeDefined()
    expect(real?.incidentId).not.toBe(drill)
    expect(getIncident(db, real!.incidentId!)?.exerciseId).toBeNull()
    // The exercise's own watch, on a check linked to that real incident, opens its own.
    linkChecks(db, real!.incidentId!, ['exercise.site.http'])
    const mine = incidentStep(failing('exercise.site.http'), new Map(), ex)
    expect(getIncident(db, mine!.incidentId!)?.exerciseId).toBe(ex)
    // A state remembering the other kind's incident is not taken up either.
    const ctx = failing('www-nhs-uk')
    ctx.previous = {...ctx.previous, incidentId: mine!.incidentId}
    expect(incidentStep(ctx, new Map())?.incidentId).toBe(real!.incidentId)
  })

  it('an exercise incident cannot be merged into a real one, nor a real one into an exercise', () => {
    const ex = exercise()
    const drill = openIncident(a(), {title: 'Drill', exercise: ex}).id
    const real = openIncident(a(), {title: 'Real'}).id
    expect(() => changeState(a(), drill, 'merged', undefined, {into: String(real)})).toThrow(/cannot be merged/)
    expect(() => changeState(a(), real, 'merged', undefined, {into: String(drill)})).toThrow(/cannot be merged/)
    expect(getIncident(db, drill)?.state).toBe('triage')
  })

  it('compresses clocks by the exercise factor, and records the factor and the real length on the clock', () => {
    const defs = new Map<string, ClockDef>([
      ['ico_72h', {name: 'ico_72h', durationMs: 72 * 3_600_000, warnBeforeMs: [24 * 3_600_000]}],
      ['pir_5bd', {name: 'pir_5bd', businessDays: 5, warnBeforeMs: []}],
    ])
    const c = compressClockDefs(defs, 60)
    expect(c.get('ico_72h')).toMatchObject({
      durationMs: 72 * 60_000,
      realDurationMs: 72 * 3_600_000,
      warnBeforeMs: [24 * 60_000],
      compression: 60,
    })
    expect(c.get('pir_5bd')).toMatchObject({durationMs: (5 * 86_400_000) / 60, businessDays: undefined})
    const ex = exercise(60)
    const {id} = openIncident(a(), {title: 'Drill', exercise: ex})
    const e = startClock(a(), id, 'ico_72h', NOW)
    expect(e.data).toMatchObject({
      compression: 60,
      realDurationMs: 72 * 3_600_000,
      durationMs: 72 * 60_000,
      dueAt: NOW + 72 * 60_000,
      exercise: ex,
    })
  })

  it('runs a playbook command in an exercise only when it is marked exercise_safe', async () => {
    const file = path.join(tmp.dir, 'drill-commands.yaml')
    fs.writeFileSync(
      file,
      `format: nhs-ir/1
id: drill-commands
name: Drill commands
steps:
  - id: safe
    type: command
    argv: [node, --version]
    exercise_safe: true
  - id: unsafe
    type: command
    argv: [isolate-host, --all]
  - id: done
    type: end
`,
    )
    const playbook = loadPlaybookRef(file)
    const ran: string[][] = []
    const runCommand = async (argv: string[]) => {
      ran.push(argv)
      return {exitCode: 0, output: Buffer.from('ok'), durationMs: 1, timedOut: false}
    }

    const answers = () => new AnswersResponder(answersFrom({safe: {confirm: true}, unsafe: {confirm: true}}))
    const drill = openIncident(a(), {title: 'Drill', playbook, exercise: exercise()}).id
    expect((await respond(db, drill, {actor: 'alice', responder: answers(), runCommand, now: () => NOW})).status).toBe(
      'ended',
    )
    expect(ran).toEqual([['node', '--version']])
    const declined = eventsOf(db, drill).find((e) => e.type === 'command_declined')
    expect(declined?.data).toMatchObject({
      argv: ['isolate-host', '--all'],
      reason: 'exercise: the step is not marked exercise_safe',
    })
    // A real incident runs both, as before.
    ran.length = 0
    const real = openIncident(a(), {title: 'Real', playbook}).id
    await respond(db, real, {actor: 'alice', responder: answers(), runCommand, now: () => NOW})
    expect(ran).toEqual([
      ['node', '--version'],
      ['isolate-host', '--all'],
    ])
  })
})
