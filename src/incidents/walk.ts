import type {CheckTarget} from '../playbooks/check-facts.js'
import type {Responder} from '../playbooks/responder.js'
import type {DB} from '../store/db.js'
import type {ClockDef} from './clocks.js'
import {UserError} from '../errors.js'
import {type EngineDeps, runWalk, WALK_EVENT_TYPES, WalkConflict, type WalkResult} from '../playbooks/engine.js'
import {runCommand} from '../playbooks/run-command.js'
import {eventsOf, immediate, incidentCheckIds} from '../store/incidents.js'
import {lastResults} from '../store/results.js'
import {
  appendEvents,
  incidentClockDefs,
  incidentPlaybook,
  mutate,
  type NewEvent,
  replay,
  requireIncident,
} from './service.js'

/** The check an incident came from: the first attached evidence's, else the first linked check's last stored target. */
function incidentCheck(db: DB, incidentId: number): CheckTarget | undefined {
  const evidence = eventsOf(db, incidentId).find(
    (e) => e.type === 'evidence_attached' && typeof e.data.target === 'string',
  )
  if (evidence) return {checkId: String(evidence.data.checkId), target: String(evidence.data.target)}
  const first = incidentCheckIds(db, incidentId)[0]
  const last = first === undefined ? undefined : lastResults(db, [first])[0]
  return last ? {checkId: last.checkId, target: last.target} : undefined
}

/**
 * Walks an incident's playbook with a responder. Every answer is written at once in its own IMMEDIATE
 * transaction; if another responder wrote to the walk in between, the engine re-reads and asks again.
 */
export async function respond(
  db: DB,
  incidentId: number,
  opts: {
    actor: string
    responder: Responder
    prefer?: string
    now?: () => number
    runCommand?: EngineDeps['runCommand']
    clocks?: Map<string, ClockDef>
  },
): Promise<WalkResult & {written: number}> {
  const row = requireIncident(db, incidentId)
  const playbook = incidentPlaybook(row)
  if (!playbook)
    throw new UserError(`Incident ${incidentId} has no playbook.`, {
      hint: 'Open it with --playbook NAME to walk one.',
      code: 'E_NO_PLAYBOOK',
    })
  if (['closed', 'declined', 'merged'].includes(row.state))
    throw new UserError(`Incident ${incidentId} is ${row.state}.`, {code: 'E_STATE'})
  opts.responder.check?.(playbook)
  const now = opts.now ?? (() => Date.now())
  // Clock crossings due so far go on the timeline before anything else.
  mutate({db, actor: opts.actor, now: now()}, incidentId, () => ({events: [], result: undefined}))
  const deps: EngineDeps = {
    playbook,
    events: () => eventsOf(db, incidentId),
    append: (list: NewEvent[], basedOnSeq: number | null) =>
      immediate(db, () => {
        const last = eventsOf(db, incidentId).findLast((e) => WALK_EVENT_TYPES.has(e.type))?.seq ?? 0
        if (basedOnSeq !== null && last !== basedOnSeq) throw new WalkConflict()
        const written = appendEvents(db, incidentId, opts.actor, now(), list).filter((e) =>
          WALK_EVENT_TYPES.has(e.type),
        )
        return written.at(-1)?.seq ?? last
      }),
    now,
    runCommand: opts.runCommand ?? ((argv, o) => runCommand(argv, o)),
    responder: opts.responder,
    clockDefs: incidentClockDefs(db, row, opts.clocks),
    exercise: row.exerciseId !== null,
    roles: () => replay(row, eventsOf(db, incidentId)).roles,
    prefer: opts.prefer,
    check: incidentCheck(db, incidentId),
  }
  const before = eventsOf(db, incidentId).length
  const result = await runWalk(deps)
  return {...result, written: eventsOf(db, incidentId).length - before}
}
