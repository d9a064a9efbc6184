import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {AssessmentStep} from '../../src/playbooks/model.js'
import {UserError} from '../../src/errors.js'
import {openIncident} from '../../src/incidents/service.js'
import {respond} from '../../src/incidents/walk.js'
import {answersFrom, AnswersResponder} from '../../src/playbooks/answers.js'
import {
  checkAssessmentAnswers,
  decide,
  GRID,
  gridProblem,
  questions,
  UNVERIFIED,
} from '../../src/playbooks/assessment.js'
import {loadPlaybookRef} from '../../src/playbooks/load.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {eventsOf} from '../../src/store/incidents.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'

const DIR = path.join('test', 'fixtures', 'playbooks', 'assessment')
const ico: AssessmentStep = {id: 'a', type: 'assessment', assess: ['ico'], then: 'x', else: 'y'}
const nis: AssessmentStep = {id: 'a', type: 'assessment', assess: ['nis'], then: 'x', else: 'y'}

describe('DSPT grid (only the verified ICO rule is applied)', () => {
  for (let l = 1; l <= 5; l++) {
    for (let i = 1; i <= 5; i++) {
      const expected = l >= 3 && i >= 2
      it(`likelihood ${l} × impact ${i} is ${expected ? 'notifiable' : 'not notifiable'} to the ICO`, () => {
        const r = decide(ico, {dspt_likelihood: l, dspt_impact: i, assessment_reasoning: 'why'})
        expect(r.ico?.notifiable).toBe(expected)
        expect(r.decision).toBe(expected ? 'ico' : 'none')
        expect(r.ico?.because).toContain(expected ? 'at or above the ICO threshold' : 'below the ICO threshold')
      })
    }
  }

  it('shows the rules it does not apply as unverified, and labels unverified grades', () => {
    // Impact 5 with likelihood 2: the recalled DHSC rule would say more; only the ICO rule decides.
    const r = decide(ico, {dspt_likelihood: 2, dspt_impact: 5, assessment_reasoning: 'why'})
    expect(r.ico?.notifiable).toBe(false)
    expect(r.unverified).toEqual(UNVERIFIED)
    expect(r.unverified.join(' ')).toMatch(/DHSC notification criterion .* not applied: unverified/)
    expect(r.grid).toMatchObject({
      likelihoodText: '2 (not likely, label unverified)',
      impactText: '5 (catastrophic, label unverified)',
    })
    expect(decide(ico, {dspt_likelihood: 3, dspt_impact: 2}).grid).toMatchObject({
      likelihoodText: '3 (likely)',
      impactText: '2 (minor)',
    })
    expect(GRID.likelihood.filter((g) => g.verified).map((g) => g.value)).toEqual([3])
    expect(GRID.impact.filter((g) => g.verified).map((g) => g.value)).toEqual([2])
  })

  it('rejects grades outside the grid', () => {
    for (const bad of [0, 6, '2.5', 'high', '', -1, true])
      expect(gridProblem('dspt_likelihood', bad), String(bad)).toMatch(/outside the DSPT grid/)
    for (const good of [1, 5, '3', ' 4 ']) expect(gridProblem('dspt_impact', good)).toBeUndefined()
  })
})

describe('NIS significant impact, gated on OES designation', () => {
  it('does not ask about impact, and is not required, when the operator is not a designated OES', () => {
    expect(questions(nis, {nis_oes: false})).toEqual(['nis_oes', 'assessment_reasoning'])
    const r = decide(nis, {
      nis_oes: false,
      nis_significant_impact: true,
      assessment_reasoning: 'NHS England national service',
    })
    expect(r.nis).toMatchObject({notifiable: false, oes: false, clock: 'nis_72h'})
    expect(r.nis?.because).toBe(
      'the operator is not a designated operator of essential services (OES), so NIS incident reporting does not apply',
    )
    expect(r.decision).toBe('none')
  })

  it('asks about impact for an OES, and decides on it', () => {
    expect(questions(nis, {nis_oes: true})).toEqual(['nis_oes', 'nis_significant_impact', 'assessment_reasoning'])
    expect(decide(nis, {nis_oes: true, nis_significant_impact: true}).nis).toMatchObject({
      notifiable: true,
      significantImpact: true,
    })
    const no = decide(nis, {nis_oes: true, nis_significant_impact: false})
    expect(no.nis).toMatchObject({
      notifiable: false,
      because: 'no significant impact on the continuity of the essential service',
    })
    expect(no.unverified).toEqual([])
  })

  it('joins the regimes into the decision word', () => {
    const both: AssessmentStep = {...ico, assess: ['ico', 'nis']}
    expect(
      decide(both, {dspt_likelihood: 5, dspt_impact: 4, nis_oes: true, nis_significant_impact: true}).decision,
    ).toBe('ico+nis')
    expect(
      decide(both, {dspt_likelihood: 1, dspt_impact: 4, nis_oes: true, nis_significant_impact: true}).decision,
    ).toBe('nis')
    expect(decide(both, {dspt_likelihood: 4, dspt_impact: 4, nis_oes: false}).decision).toBe('ico')
  })
})

describe('answers checked before the walk writes anything', () => {
  const p = loadPlaybookRef(path.join(ROOT, DIR, 'both.yaml'))
  const check =
    (steps: Record<string, unknown>, vars: Record<string, unknown> = {}, label = 'the answers file') =>
    () =>
      checkAssessmentAnswers(p, answersFrom({steps, vars}), label)
  const fails = (fn: () => void): UserError => {
    try {
      fn()
    } catch (error) {
      return error as UserError
    }

    throw new Error('expected an error')
  }

  it('names the answer, the step and the grid', () => {
    const e = fails(check({assess: {dspt_likelihood: 7, dspt_impact: 2}}))
    expect(e).toBeInstanceOf(UserError)
    expect(e.exit).toBe(2)
    expect(e.message).toBe(
      'the answers file, step assess: dspt_likelihood=7 is outside the DSPT grid (likelihood is a whole number from 1 to 5).',
    )
    expect(fails(check({}, {dspt_impact: 'severe'})).message).toBe(
      'the answers file, vars: dspt_impact=severe is outside the DSPT grid (impact is a whole number from 1 to 5).',
    )
  })

  it('names the flag for incident step', () => {
    expect(fails(check({assess: {dspt_impact: 0}}, {}, 'the flags')).message).toBe(
      '--var: dspt_impact=0 is outside the DSPT grid (impact is a whole number from 1 to 5).',
    )
  })

  it('rejects a yes/no question answered otherwise, and a bare value', () => {
    expect(fails(check({assess: {nis_oes: 'maybe'}})).message).toMatch(/nis_oes=maybe is not yes or no/)
    expect(fails(check({assess: 3})).message).toMatch(/answer them by name/)
  })

  it('accepts good answers', () => {
    expect(check({assess: {dspt_likelihood: 3, dspt_impact: '2', nis_oes: false}})).not.toThrow()
  })
})

describe('assessment steps in a walk', () => {
  let tmp: ReturnType<typeof tmpDir>
  let db: DB
  beforeEach(() => {
    tmp = tmpDir()
    db = openDatabase(path.join(tmp.dir, 'db.sqlite'))
  })
  afterEach(() => {
    db.close()
    tmp.cleanup()
  })
  const walk = async (assess: Record<string, unknown>) => {
    const {id} = openIncident(
      {db, actor: 't', now: Date.now()},
      {title: 'x', playbook: loadPlaybookRef(path.join(ROOT, DIR, 'both.yaml'))},
    )
    const steps = {
      aware: {},
      assess: {
        assessment_reasoning: 'graded with the DPO',
        breach_nature: null,
        data_subject_categories: 'patients',
        data_subjects_approx: 10,
        record_categories: null,
        records_approx: null,
        dpo_contact: null,
        likely_consequences: null,
        measures_taken: null,
        ...assess,
      },
      'report-both': {},
      'report-ico': {},
      'report-nis': {},
      'not-required': {},
    }
    const r = await respond(db, id, {actor: 't', responder: new AnswersResponder(answersFrom({steps}))})
    expect(r.status, r.reason).toBe('ended')
    const events = eventsOf(db, id)
    return {
      path: events.filter((e) => e.type === 'step_started').map((e) => String(e.data.step)),
      stops: events
        .filter((e) => e.type === 'clock_stopped')
        .map((e) => ({
          name: e.data.name,
          outcome: e.data.outcome,
          step: events.find((x) => x.seq > e.seq && x.type === 'step_completed')?.data.step,
        })),
      assessment: events.find((e) => e.type === 'assessment_recorded')?.data,
      vars: Object.fromEntries(
        events.filter((e) => e.type === 'variable_recorded').map((e) => [e.data.name, e.data.value]),
      ),
    }
  }

  it('ico+nis: both clocks keep running for the report step', async () => {
    const w = await walk({dspt_likelihood: 4, dspt_impact: 3, nis_oes: true, nis_significant_impact: true})
    expect(w.path).toEqual(['aware', 'assess', 'report-both', 'done'])
    expect(w.stops.map((s) => [s.name, s.step])).toEqual([
      ['ico_72h', 'report-both'],
      ['nis_72h', 'report-both'],
    ])
    expect(w.vars).toMatchObject({
      ico_notifiable: true,
      nis_notifiable: true,
      notification_decision: 'ico+nis',
      data_subjects_approx: 10,
      breach_nature: null,
    })
  })

  it('ico only: the NIS clock stops as not_required with the reasoning at the assessment', async () => {
    const w = await walk({dspt_likelihood: 3, dspt_impact: 2, nis_oes: false})
    expect(w.path).toEqual(['aware', 'assess', 'report-ico', 'done'])
    expect(w.stops).toEqual([
      {name: 'nis_72h', outcome: 'not_required', step: 'assess'},
      {name: 'ico_72h', outcome: 'notified', step: 'report-ico'},
    ])
    expect(w.assessment).toMatchObject({
      decision: 'ico',
      step: 'assess',
      next: 'report-ico',
      reasoning: 'graded with the DPO',
    })
    expect(w.vars).not.toHaveProperty('nis_significant_impact')
  })

  it('none: both clocks stop as not_required, each with its own reasoning', async () => {
    const id = await walk({dspt_likelihood: 2, dspt_impact: 4, nis_oes: true, nis_significant_impact: false})
    expect(id.path).toEqual(['aware', 'assess', 'not-required', 'done'])
    expect(id.stops).toEqual([
      {name: 'ico_72h', outcome: 'not_required', step: 'assess'},
      {name: 'nis_72h', outcome: 'not_required', step: 'assess'},
    ])
  })

  it('a grade outside the grid stops the walk before anything is written: exit 2 via the CLI', async () => {
    const dbFile = path.join(tmp.dir, 'cli.sqlite')
    const open = await runCli([
      'incident',
      'open',
      '--title',
      'x',
      '--playbook',
      path.join(DIR, 'both.yaml'),
      '--db',
      dbFile,
      '--json',
    ])
    const id = String((JSON.parse(open.stdout) as {id: number}).id)
    const count = async () =>
      (JSON.parse((await runCli(['incident', 'show', id, '--db', dbFile, '--json'])).stdout) as {events: unknown[]})
        .events.length
    const before = await count()
    const answers = path.join(tmp.dir, 'bad.yaml')
    const fs = await import('node:fs')
    fs.writeFileSync(answers, 'aware: {}\nassess: {dspt_likelihood: 3, dspt_impact: 9}\n')
    const r = await runCli(['incident', 'respond', id, '--answers', answers, '--db', dbFile])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('the answers file, step assess: dspt_impact=9 is outside the DSPT grid')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(await count()).toBe(before)
    const flag = await runCli(['incident', 'step', id, 'assess', '--var', 'dspt_likelihood=0', '--db', dbFile])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain('--var: dspt_likelihood=0 is outside the DSPT grid')
    expect(await count()).toBe(before)
  })
})

describe('playbook validate on assessment steps', () => {
  const cases: [string, string, RegExp][] = [
    [
      'bad-case.yaml',
      '9:7',
      /steps\[0\]\.cases\.nis: decision "nis" cannot happen: this step assesses ico \(decisions: ico, none\)/,
    ],
    ['bad-regime.yaml', '7:19', /steps\[0\]\.assess\[1\]: expected one of "ico", "nis", got string "gdpr"/],
    ['no-else.yaml', '5:9', /an assessment needs then and else/],
    ['no-else.yaml', '8:19', /steps\[0\]\.clocks\.ico: clock for ico, which this step does not assess/],
    ['clash.yaml', '5:27', /dspt_likelihood is an assessment variable of type integer/],
    ['off-grid.yaml', '5:43', /variables\.dspt_likelihood\.value: dspt_likelihood=7 is outside the DSPT grid/],
    ['off-grid.yaml', '6:51', /variables\.dspt_impact\.values\[2\]: dspt_impact=6 is outside the DSPT grid/],
  ]
  for (const [file, pos, message] of cases) {
    it(`rejects ${file} at ${pos}`, async () => {
      const r = await runCli(['playbook', 'validate', path.join(DIR, file)])
      expect(r.code).toBe(2)
      const line = r.stderr.split('\n').find((l) => l.includes(`${path.join(DIR, file)}:${pos}`))
      expect(line, r.stderr).toBeDefined()
      expect(line).toMatch(message)
    })
  }
})

describe('CACAO export of an assessment step', () => {
  it('is a manual action of the questions, then a condition on the decision', async () => {
    const {cacaoPlaybook, uuidV5} = await import('../../src/exporters/cacao.js')
    const p = loadPlaybookRef('personal-data-breach')
    const doc = cacaoPlaybook(p, '2026-12-01T00:00:00.000Z') as {workflow: Record<string, Record<string, unknown>>}
    const id = (step: string, type: string) => `${type}--${uuidV5(`${p.id}/${step}`)}`
    const action = doc.workflow[id('assess', 'action')]
    expect(action.type).toBe('action')
    expect((action.commands as {type: string; command: string}[]).map((c) => c.type)).toEqual([
      'manual',
      'manual',
      'manual',
    ])
    expect(action.out_args).toEqual(
      expect.arrayContaining([
        '__dspt_likelihood__',
        '__dspt_impact__',
        '__assessment_reasoning__',
        '__dpo_contact__',
        '__notification_decision__',
      ]),
    )
    const decide = doc.workflow[action.on_completion as string]
    expect(decide).toMatchObject({
      type: 'if-condition',
      condition: "__notification_decision__:value != 'none'",
      on_true: id('report', 'action'),
      on_false: id('not-reportable', 'action'),
    })
    expect(doc.workflow[id('contain', 'action')].on_completion).toBe(id('assess', 'action'))
  })
})
