import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {verifyChain} from '../../src/incidents/chain.js'
import {clockRegistry, validateClocks} from '../../src/incidents/clock-load.js'
import {clockOutcome, clocksFromEvents, clockSummaries, parseClockTime} from '../../src/incidents/clocks.js'
import {adjustClock, openIncident, recordDueClockEvents, startClock, stopClock} from '../../src/incidents/service.js'
import {respond} from '../../src/incidents/walk.js'
import {answersFrom, AnswersResponder} from '../../src/playbooks/answers.js'
import {loadPlaybookRef} from '../../src/playbooks/load.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {eventsOf} from '../../src/store/incidents.js'
import {ROOT, tmpDir} from '../helpers/cli.js'

const H = 3_600_000
const D = 24 * H
const T0 = Date.UTC(2026, 4, 11, 9, 30)
const iso = (t: number) => new Date(t).toISOString()

describe('clock outcomes from a walk (fake clock, real SQLite)', () => {
  const tmp = tmpDir()
  afterAll(() => tmp.cleanup())
  let n = 0
  const fresh = (playbook: string): {db: DB; id: number} => {
    const db = openDatabase(path.join(tmp.dir, `o${++n}.sqlite`))
    const {id} = openIncident(
      {db, actor: 'ig', now: T0 - 90 * H},
      {title: 'Breach', playbook: loadPlaybookRef(playbook)},
    )
    return {db, id}
  }

  const breach = async (awareAgo: number, likelihood: number) => {
    const {db, id} = fresh('personal-data-breach')
    const answers = answersFrom({
      aware: {
        aware_at: iso(T0 - awareAgo),
        what_happened: 'discharge letters emailed to the wrong GP practice',
        aware_reason: 'the practice phoned',
      },
      contain: {},
      report: {dspt_ref: 'DSPT-4471'},
      'not-reportable': {},
      assess: {
        dspt_likelihood: likelihood,
        dspt_impact: 3,
        assessment_reasoning:
          'recipient is a GP practice bound by confidentiality; letters deleted and confirmed in writing',
      },
      vars: {
        breach_nature: '',
        data_subject_categories: '',
        data_subjects_approx: null,
        record_categories: '',
        records_approx: null,
        dpo_contact: '',
        likely_consequences: '',
        measures_taken: '',
      },
    })
    await respond(db, id, {actor: 'ig', responder: new AnswersResponder(answers), now: () => T0})
    return {db, id, events: eventsOf(db, id)}
  }

  it('aware 80 h ago and notified now is late; the asserted start and the time it was recorded are both kept', async () => {
    const {db, id, events} = await breach(80 * H, 4)
    const started = events.find((e) => e.type === 'clock_started' && e.data.name === 'ico_72h')!
    expect(started.occurredAt).toBe(T0 - 80 * H)
    expect(started.recordedAt).toBe(T0)
    expect(started.data).toMatchObject({startsFrom: 'aware', dueAt: T0 - 8 * H, source: 'step aware'})
    expect(clockSummaries(events, T0)).toEqual([
      expect.objectContaining({
        name: 'ico_72h',
        outcome: 'late',
        stoppedAt: T0,
        reason: 'step report (dspt_ref: DSPT-4471)',
      }),
    ])
    expect(verifyChain(events, id).ok).toBe(true)
    db.close()
  })

  it('aware 10 h ago and notified now is on_time', async () => {
    const {db, events} = await breach(10 * H, 4)
    expect(clockSummaries(events, T0 + 100 * D).map((c) => [c.name, c.outcome])).toEqual([['ico_72h', 'on_time']])
    db.close()
  })

  it("not notifiable is not_required, with the step's recorded reasoning, even after the due time", async () => {
    const {db, events} = await breach(80 * H, 1)
    const [c] = clockSummaries(events, T0)
    expect(c).toMatchObject({
      outcome: 'not_required',
      reason: expect.stringContaining(
        'reasoning recorded at step assess: recipient is a GP practice bound by confidentiality; letters deleted and confirmed in writing',
      ),
    })
    db.close()
  })

  it('asks for the reasoning when a not_required step records none, and will not stop without it', async () => {
    // The shipped playbooks decide notifiability in assessment steps, which record their reasoning; this one does not.
    const file = path.join(tmp.dir, 'no-reasoning.yaml')
    fs.writeFileSync(
      file,
      `format: nhs-ir/1
id: no-reasoning
name: A not_required stop that records no reasoning
steps:
  - {id: aware, type: manual, starts_clock: ico_72h, checklist: [Became aware]}
  - {id: record-not-reportable, type: manual, checklist: [Decided not to notify], stops_clock: {ico_72h: not_required}}
  - {id: done, type: end}
`,
    )
    const {db, id} = fresh(file)
    const base = {aware: {aware_at: iso(T0 - 5 * H)}}
    const ran = async (extra: Record<string, unknown>) =>
      respond(db, id, {actor: 'ig', responder: new AnswersResponder(answersFrom({...base, ...extra})), now: () => T0})
    const stopped = await ran({'record-not-reportable': {}})
    expect(stopped).toMatchObject({status: 'stopped', at: ['record-not-reportable']})
    expect(stopped.reason).toMatch(/no answer for variable reason/)
    expect(clocksFromEvents(eventsOf(db, id)).get('ico_72h')?.stoppedAt).toBeUndefined()
    await ran({
      'record-not-reportable': {reason: 'only encrypted copies of rota spreadsheets; no personal data in scope'},
    })
    const ico = clocksFromEvents(eventsOf(db, id)).get('ico_72h')!
    expect(clockOutcome(ico, T0)).toBe('not_required')
    expect(ico.stopReason).toBe('only encrypted copies of rota spreadsheets; no personal data in scope')
    expect(clocksFromEvents(eventsOf(db, id)).has('nis_72h')).toBe(false)
    db.close()
  })

  it('restarts the alert update clock at each update: three on-time restarts are never late or overdue', async () => {
    for (const firstUpdate of [2 * D, 3.5 * D]) {
      const {db, id} = fresh('cyber-alert-high-severity')
      const step = async (at: number, name: string, answer: Record<string, unknown> = {}) => {
        const r = await respond(db, id, {
          actor: 'lead',
          prefer: name,
          now: () => at,
          responder: new AnswersResponder(answersFrom({[name]: answer}), {singleInvocation: true}),
        })
        expect(r.reason ?? '', `${name}: ${r.reason}`).not.toMatch(/no answer|not open/)
      }

      const update = () => clocksFromEvents(eventsOf(db, id)).get('nhs_alert_update_3d')!
      await step(T0, 'receive', {issued_at: iso(T0 - 6 * H), alert_ref: 'cc-4686'})
      await step(T0, 'acknowledge')
      await step(T0 + H, 'applicability', {applicable: 'yes'})
      await step(T0 + H, 'record-applicable', {affected_assets: 'edge firewalls'})
      const alert = clocksFromEvents(eventsOf(db, id)).get('nhs_alert_48h')!
      expect(alert.startedAt).toBe(T0 - 6 * H)
      expect(clockOutcome(alert, T0 + 10 * D)).toBe('on_time')
      const updates = [T0 + firstUpdate, T0 + firstUpdate + 2.5 * D, T0 + firstUpdate + 5 * D]
      const outcomes: string[] = []
      for (const [i, at] of updates.entries()) {
        for (const look of [at - H, at - 5 * 60_000]) {
          recordDueClockEvents(db, look)
          outcomes.push(clockOutcome(update(), look))
        }

        await step(at, 'remediate', {remediated: i === updates.length - 1 ? 'yes' : 'no'})
        outcomes.push(clockOutcome(update(), at + 60_000))
      }

      await step(updates[2] + H, 'close')
      const c = update()
      expect(c.periods).toHaveLength(4)
      expect(c.stoppedAt).toBe(updates[2] + H)
      const events = eventsOf(db, id)
      expect(events.filter((e) => e.type === 'clock_restarted').map((e) => e.occurredAt)).toEqual(updates)
      if (firstUpdate <= 3 * D) {
        expect(
          outcomes.every((o) => o === 'running'),
          outcomes.join(' '),
        ).toBe(true)
        expect(clockOutcome(c, updates[2] + 2 * D)).toBe('on_time')
        expect(events.some((e) => e.type === 'clock_breached')).toBe(false)
      } else {
        // Control: the first update came half a day after its due time.
        expect(
          outcomes.join(' '),
          JSON.stringify(
            c.periods.map((p) => [
              (p.start - T0) / H,
              (p.dueAt - T0) / H,
              p.end === undefined ? null : (p.end - T0) / H,
            ]),
          ),
        ).toMatch(/^overdue overdue/)
        expect(clockOutcome(c, updates[2] + 2 * D)).toBe('late')
        expect(events.filter((e) => e.type === 'clock_breached').map((e) => e.data.dueAt)).toEqual([T0 + 3 * D])
      }

      expect(verifyChain(events, id).ok).toBe(true)
      db.close()
    }
  })
})

describe('hand clocks: adjust keeps the original, bad input writes nothing', () => {
  const tmp = tmpDir()
  afterAll(() => tmp.cleanup())

  it('adjusts a start and a stop as new events; the original events stay and the chain verifies', () => {
    const db = openDatabase(path.join(tmp.dir, 'adjust.sqlite'))
    const a = {db, actor: 'ig', now: T0}
    const {id} = openIncident(a, {title: 'Lost laptop'})
    startClock(a, id, 'ico_72h', T0 - 10 * H)
    stopClock(a, id, 'ico_72h', {outcome: 'notified', reason: 'DSPT-1'})
    expect(clockOutcome(clocksFromEvents(eventsOf(db, id)).get('ico_72h')!, T0)).toBe('on_time')
    const adj = adjustClock({...a, now: T0 + H}, id, 'ico_72h', {
      field: 'start',
      at: T0 - 80 * H,
      reason: 'the ward reported the loss three days earlier',
    })
    expect(adj.data).toMatchObject({field: 'start', from: T0 - 10 * H, to: T0 - 80 * H, dueAt: T0 - 8 * H})
    const events = eventsOf(db, id)
    const original = events.find((e) => e.type === 'clock_started')!
    expect(original.occurredAt).toBe(T0 - 10 * H)
    expect(original.data.dueAt).toBe(T0 + 62 * H)
    const c = clocksFromEvents(events).get('ico_72h')!
    expect([c.startedAt, c.dueAt, clockOutcome(c, T0 + H)]).toEqual([T0 - 80 * H, T0 - 8 * H, 'late'])
    expect(c.adjustments).toEqual([
      expect.objectContaining({field: 'start', from: T0 - 10 * H, to: T0 - 80 * H, actor: 'ig'}),
    ])
    adjustClock({...a, now: T0 + 2 * H}, id, 'ico_72h', {
      field: 'stop',
      at: T0 - 9 * H,
      reason: 'the DSPT form was submitted at 00:30',
    })
    expect(clockOutcome(clocksFromEvents(eventsOf(db, id)).get('ico_72h')!, T0 + 2 * H)).toBe('on_time')
    expect(
      eventsOf(db, id)
        .filter((e) => e.type === 'clock_stopped')
        .map((e) => e.occurredAt),
    ).toEqual([T0])
    expect(verifyChain(eventsOf(db, id), id).ok).toBe(true)
    db.close()
  })

  it('refuses a start after its stop, a stop before its start, an adjust without a reason and not_required without reasoning', () => {
    const db = openDatabase(path.join(tmp.dir, 'bad.sqlite'))
    const a = {db, actor: 'ig', now: T0}
    const {id} = openIncident(a, {title: 'Mis-sent letter'})
    startClock(a, id, 'ico_72h', T0 - 10 * H)
    const before = eventsOf(db, id).length
    const refuses = (fn: () => unknown, message: RegExp) => {
      expect(fn).toThrow(message)
      try {
        fn()
      } catch (error) {
        expect((error as {exit?: number}).exit).toBe(2)
      }

      expect(eventsOf(db, id)).toHaveLength(before)
    }

    refuses(() => stopClock(a, id, 'ico_72h', {outcome: 'not_required'}), /needs the reasoning/)
    refuses(() => stopClock(a, id, 'ico_72h', {outcome: 'not_required', reason: '   '}), /needs the reasoning/)
    refuses(() => stopClock(a, id, 'ico_72h', {outcome: 'notified', at: T0 - 11 * H}), /cannot stop before it starts/)
    refuses(() => adjustClock(a, id, 'ico_72h', {field: 'start', at: T0 - 20 * H, reason: ''}), /needs the reason/)
    refuses(() => adjustClock(a, id, 'ico_72h', {field: 'stop', at: T0, reason: 'x'}), /has not been stopped/)
    refuses(() => startClock(a, id, 'csrb_initial_24h'), /not in force/)
    refuses(() => startClock(a, id, 'ico_72h', T0 + D), /in the future/)
    stopClock(a, id, 'ico_72h', {outcome: 'notified'})
    const stopped = eventsOf(db, id).length
    expect(() => adjustClock(a, id, 'ico_72h', {field: 'start', at: T0 + 30_000, reason: 'typo'})).toThrow(
      /cannot start after its stop/,
    )
    expect(eventsOf(db, id)).toHaveLength(stopped)
    db.close()
  })
})

describe('clock definitions', () => {
  it('ships every contract clock, the proposed regimes disabled and labelled not in force', () => {
    const defs = clockRegistry([])
    expect([...defs.keys()].sort()).toEqual([
      'ca_revocation_24h',
      'ca_revocation_5d',
      'csrb_full_72h',
      'csrb_initial_24h',
      'ico_72h',
      'nhs_alert_48h',
      'nhs_alert_update_3d',
      'nis_72h',
      'pir_5bd',
      'ransomware_report',
    ])
    for (const n of ['csrb_initial_24h', 'csrb_full_72h', 'ransomware_report']) {
      expect(defs.get(n)).toMatchObject({enabled: false, note: expect.stringMatching(/^not in force/)})
    }

    expect(defs.get('ico_72h')).toMatchObject({durationMs: 72 * H, startsFrom: 'aware'})
    expect(defs.get('nis_72h')).toMatchObject({durationMs: 72 * H, startsFrom: 'aware'})
    expect(defs.get('nhs_alert_48h')).toMatchObject({durationMs: 48 * H, startsFrom: 'issued'})
    expect(defs.get('nhs_alert_update_3d')).toMatchObject({durationMs: 3 * D, restartable: true})
    expect(defs.get('ca_revocation_24h')).toMatchObject({durationMs: 24 * H})
    expect(defs.get('ca_revocation_5d')).toMatchObject({durationMs: 5 * D})
    expect(defs.get('pir_5bd')).toMatchObject({businessDays: 5})
    expect(defs.get('csrb_initial_24h')).toMatchObject({durationMs: 24 * H})
    expect(defs.get('csrb_full_72h')).toMatchObject({durationMs: 72 * H})
  })

  it("adds a user's clock file and reports an unknown key with its position and a did-you-mean", () => {
    const dir = path.join(ROOT, 'test', 'fixtures', 'clocks')
    expect(clockRegistry([path.join(dir, 'board.yaml')]).get('trust_board_24h')).toMatchObject({
      durationMs: 24 * H,
      startsFrom: 'declared',
    })
    const {problems} = validateClocks([path.join(dir, 'unknown-key.yaml')])
    expect(problems).toContainEqual(
      expect.objectContaining({
        line: 4,
        col: 5,
        path: 'clocks[0].duraton',
        message: expect.stringMatching(/unknown key "duraton"; did you mean "duration"\?.*clock trust_board_24h/),
      }),
    )
  })

  it('reads the start time a responder gives', () => {
    expect(parseClockTime('now', T0)).toBe(T0)
    expect(parseClockTime('', T0)).toBe(T0)
    expect(parseClockTime('80h ago', T0)).toBe(T0 - 80 * H)
    expect(parseClockTime('PT80H ago', T0)).toBe(T0 - 80 * H)
    expect(parseClockTime('2026-05-11T08:30:00+01:00', T0)).toBe(T0 - 2 * H)
    expect(parseClockTime('2026-05-11T08:30', T0)).toMatch(/with a zone/)
    expect(parseClockTime('2026-05-12T08:30:00Z', T0)).toMatch(/in the future/)
  })
})
