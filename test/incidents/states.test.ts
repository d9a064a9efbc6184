import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import type {UserError} from '../../src/errors.js'
import type {Playbook} from '../../src/playbooks/model.js'
import {TRANSITIONS} from '../../src/incidents/lifecycle.js'
import {
  changeSeverity,
  changeState,
  incidentSummary,
  openIncident,
  verifyIncident,
} from '../../src/incidents/service.js'
import {openDatabase} from '../../src/store/db.js'
import {tmpDir} from '../helpers/cli.js'

describe('states and severity scales', () => {
  const tmp = tmpDir()
  const db = openDatabase(path.join(tmp.dir, 'states.sqlite'))
  afterAll(() => {
    db.close()
    tmp.cleanup()
  })
  const a = {db, actor: 'ic', now: Date.now()}

  it('allows exactly the listed moves', () => {
    for (const [from, allowed] of Object.entries(TRANSITIONS)) {
      for (const to of Object.keys(TRANSITIONS)) {
        const {id} = openIncident(a, {title: `${from} → ${to}`})
        const path: Record<string, string[]> = {
          triage: [],
          active: ['active'],
          mitigated: ['active', 'mitigated'],
          resolved: ['active', 'resolved'],
          closed: ['active', 'resolved', 'closed'],
          declined: ['declined'],
          merged: ['merged'],
        }
        for (const step of path[from]) changeState(a, id, step)
        const move = () => changeState(a, id, to)
        if (allowed.includes(to as never)) {
          move()
          expect(incidentSummary(db, id).summary.state).toBe(to)
        } else expect(move).toThrow(from === to ? /already/ : /Cannot move an incident/)
        expect(verifyIncident(db, id).ok).toBe(true)
      }
    }
  })

  it("uses the playbook's own severity scale", () => {
    const playbook: Playbook = {
      format: 'nhs-ir/1',
      id: 'p',
      name: 'P',
      severities: ['P1', 'P2', 'P3'],
      roles: {},
      variables: {},
      clocks: {},
      steps: [{id: 'done', type: 'end'}],
      meta: {},
      subs: {},
      file: '/dev/null',
    }
    const {id} = openIncident(a, {title: 'scaled', severity: 'p1', playbook})
    expect(incidentSummary(db, id).summary.severity).toBe('P1')
    let hint: string | undefined
    try {
      changeSeverity(a, id, 'SEV1')
    } catch (error) {
      hint = (error as UserError).hint
    }

    expect(hint).toBe('Use one of: P1, P2, P3.')
    expect(changeSeverity(a, id, 'p3')).toBe('P3')
    expect(() => openIncident(a, {title: 'bad', severity: 'SEV1', playbook})).toThrow(/Unknown severity/)
  })
})
