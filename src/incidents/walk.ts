import {UserError} from '../errors.js'
import type {ClockDef} from './clocks.js'
import {type EngineDeps, runWalk, WALK_EVENT_TYPES, WalkConflict, type WalkResult} from '../playbooks/engine.js'
import type {Responder} from '../playbooks/responder.js'
import {runCommand} from '../playbooks/run-command.js'
import type {DB} from '../store/db.js'
import {eventsOf, immediate} from '../store/incidents.js'
import {appendEvents, clockDefsFor, incidentPlaybook, mutate, type NewEvent, replay, requireIncident} from './service.js'

/**
 * Walks an incident's playbook with a responder. Every answer is written at once in its own IMMEDIATE
 * transaction; if another responder wrote to the walk in between, the engine re-reads and asks again.
 */
export async function respond(db: DB, incidentId: number, opts: {actor: string; responder: Responder; prefer?: string; now?: () => number;
  runCommand?: EngineDeps['runCommand']; clocks?: Map<string, ClockDef>}): Promise<WalkResult & {written: number}> {
  const row = requireIncident(db, incidentId)
  const playbook = incidentPlaybook(row)
  if (!playbook) throw new UserError(`Incident ${incidentId} has no playbook.`, {hint: 'Open it with --playbook NAME to walk one.', code: 'E_NO_PLAYBOOK'})
  if (['closed', 'declined', 'merged'].includes(row.state)) throw new UserError(`Incident ${incidentId} is ${row.state}.`, {code: 'E_STATE'})
  const now = opts.now ?? (() => Date.now())
  // Clock crossings due so far go on the timeline before anything else.
  mutate({db, actor: opts.actor, now: now()}, incidentId, () => ({events: [], result: undefined}))
  const deps: EngineDeps = {
    playbook,
    events: () => eventsOf(db, incidentId),
    append: (list: NewEvent[], basedOnSeq: number | null) => immediate(db, () => {
      const last = eventsOf(db, incidentId).filter((e) => WALK_EVENT_TYPES.has(e.type)).at(-1)?.seq ?? 0
      if (basedOnSeq !== null && last !== basedOnSeq) throw new WalkConflict()
      const written = appendEvents(db, incidentId, opts.actor, now(), list).filter((e) => WALK_EVENT_TYPES.has(e.type))
      return written.at(-1)?.seq ?? last
    }),
    now,
    runCommand: opts.runCommand ?? ((argv, o) => runCommand(argv, o)),
    responder: opts.responder,
    clockDefs: clockDefsFor(playbook, opts.clocks),
    roles: () => replay(row, eventsOf(db, incidentId)).roles,
    prefer: opts.prefer,
  }
  const before = eventsOf(db, incidentId).length
  const result = await runWalk(deps)
  return {...result, written: eventsOf(db, incidentId).length - before}
}
