import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {verifyChain} from '../../src/incidents/chain.js'
import {clockOutcome, clocksFromEvents} from '../../src/incidents/clocks.js'
import {addNote, openIncident, recordDueClockEvents, startClock, stopClock} from '../../src/incidents/service.js'
import {openDatabase} from '../../src/store/db.js'
import {eventsOf} from '../../src/store/incidents.js'
import {runCli, tmpDir} from '../helpers/cli.js'

const H = 3_600_000

describe('regulatory clocks on the timeline', () => {
  const tmp = tmpDir()
  afterAll(() => tmp.cleanup())

  it('records warning points and the deadline when the next command (or watch) touches the incident', () => {
    const db = openDatabase(path.join(tmp.dir, 'clocks.sqlite'))
    const now = Date.UTC(2026, 4, 6, 12)
    const a = {db, actor: 'ig', now}
    const {id} = openIncident(a, {title: 'Lost laptop'})
    startClock(a, id, 'ico_72h', now - 70 * H)
    const first = recordDueClockEvents(db, now)
    expect(first.map((e) => [e.type, e.data.remainingMs, e.occurredAt - (now - 70 * H)])).toEqual([
      ['clock_warned', 48 * H, 24 * H],
      ['clock_warned', 24 * H, 48 * H],
      ['clock_warned', 6 * H, 66 * H],
    ])
    expect(first.every((e) => e.actor === 'watchkeeper' && e.recordedAt === now)).toBe(true)
    expect(recordDueClockEvents(db, now + H)).toEqual([])
    // A note three hours later: the breach (at the deadline) is recorded first, in the same transaction.
    addNote({db, actor: 'scribe', now: now + 3 * H}, id, 'Still assessing')
    const tail = eventsOf(db, id).slice(-2)
    expect(tail.map((e) => e.type)).toEqual(['clock_breached', 'note'])
    expect(tail[0].occurredAt).toBe(now + 2 * H)
    stopClock({db, actor: 'ig', now: now + 4 * H}, id, 'ico_72h', {outcome: 'notified', reason: 'reported late'})
    const stopped = eventsOf(db, id).at(-1)!
    expect(stopped.data).toMatchObject({name: 'ico_72h', outcome: 'notified'})
    expect(clockOutcome(clocksFromEvents(eventsOf(db, id)).get('ico_72h')!, now + 5 * H)).toBe('late')
    expect(() => startClock(a, id, 'ico_72h')).toThrow(/already been started/)
    expect(() => startClock(a, id, 'ico_27h')).toThrow(/No clock "ico_27h"/)
    expect(verifyChain(eventsOf(db, id), id).ok).toBe(true)
    db.close()
  })

  it('incident step drives the cyber-alert playbook without prompts, stopping its clocks', async () => {
    const db = path.join(tmp.dir, 'step.sqlite')
    const cli = (args: string[]) => runCli([...args, '--db', db])
    const open = await cli([
      'incident',
      'open',
      '--title',
      'High severity alert cc-4686',
      '--playbook',
      'cyber-alert-high-severity',
      '--json',
    ])
    expect(open.code, open.stderr).toBe(0)
    const {id} = JSON.parse(open.stdout) as {id: number}
    const first = await cli([
      'incident',
      'step',
      String(id),
      'receive',
      '--done',
      '--var',
      'alert_ref=cc-4686',
      '--json',
    ])
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({status: 'stopped', at: ['acknowledge']})
    const early = await cli(['incident', 'step', String(id), 'applicability', '--var', 'applicable=no'])
    expect(early.code).toBe(1)
    expect(early.stderr).toContain('Step applicability is not open')
    expect(early.stderr).toContain('acknowledge')
    for (const args of [
      ['acknowledge', '--done'],
      ['applicability', '--var', 'applicable=no'],
      ['record-not-applicable', '--done', '--var', 'not_applicable_reason=No SonicWall appliances'],
    ]) {
      const r = await cli(['incident', 'step', String(id), ...args])
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }

    const shown = JSON.parse((await cli(['incident', 'show', String(id), '--json'])).stdout) as {
      currentSteps: string[]
      clocks: {name: string; stoppedAt: string | null; outcome: string; reason: string | null}[]
    }
    expect(shown.currentSteps).toEqual(['(ended)'])
    expect(shown.clocks.map((c) => [c.name, typeof c.stoppedAt, c.outcome])).toEqual([
      ['nhs_alert_48h', 'string', 'on_time'],
      ['nhs_alert_update_3d', 'string', 'not_required'],
    ])
    expect(shown.clocks[1].reason).toBe('not_applicable_reason: No SonicWall appliances')
  }, 240_000)
})
