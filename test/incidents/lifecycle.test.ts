import Database from 'better-sqlite3'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {CheckResult} from '../../src/types.js'
import {openDatabase} from '../../src/store/db.js'
import {finishRun, insertResults, startRun, upsertChecks} from '../../src/store/results.js'
import {runCli, tmpDir} from '../helpers/cli.js'

const result = (status: CheckResult['status'], startedAt: number, summary: string): CheckResult => ({
  checkId: 'pds-ping',
  kind: 'http',
  target: 'https://127.0.0.1:1/_ping',
  status,
  summary,
  timings: {totalMs: 120},
  findings: [],
  metrics: {},
  startedAt,
  durationMs: 120,
  attempts: 1,
})

describe('incident lifecycle through the CLI', () => {
  const tmp = tmpDir()
  const db = path.join(tmp.dir, 'wk.sqlite')
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli([...args, '--db', db], {env: {WATCHKEEPER_ACTOR: 'sam', ...env}})
  const t0 = Date.now() - 30 * 60_000

  beforeAll(() => {
    const store = openDatabase(db)
    const refs = upsertChecks(
      store,
      [{id: 'pds-ping', kind: 'http', target: 'https://127.0.0.1:1/_ping', service: 'PDS'}],
      t0,
    )
    const run = startRun(store, 'test', t0)
    insertResults(store, refs, run, [
      result('ok', t0, 'HTTP 200'),
      result('crit', t0 + 60_000, 'HTTP 503 Service Unavailable'),
      result('crit', t0 + 120_000, 'HTTP 503 again'),
    ])
    finishRun(store, run, t0)
    store.close()
  })
  afterAll(() => tmp.cleanup())

  it('opens from a failing check, records the lifecycle, refuses illegal moves, and verifies', async () => {
    const open = await cli([
      'incident',
      'open',
      '--title',
      'PDS returning 503',
      '--severity',
      'sev2',
      '--service',
      'PDS',
      '--from-check',
      'pds-ping',
      '--json',
    ])
    expect(open.code, open.stderr).toBe(0)
    const {id} = JSON.parse(open.stdout) as {id: number}

    const illegal = await cli(['incident', 'resolve', String(id)])
    expect(illegal.code).toBe(1)
    expect(illegal.stderr).toContain('Cannot move an incident from triage to resolved')
    expect(illegal.stderr).toContain('active, declined, merged')

    for (const args of [
      ['incident', 'status', String(id), 'active'],
      ['incident', 'assign', String(id), 'ic', 'Sam Patel'],
      ['incident', 'severity', String(id), 'SEV1', '--actor', 'alex'],
      ['incident', 'note', String(id), 'Spine team engaged', '--at', '20m'],
      ['incident', 'clock', String(id), 'start', 'nis_72h', '--at', '25m'],
      ['incident', 'status', String(id), 'mitigated'],
      ['incident', 'resolve', String(id)],
    ]) {
      const r = await cli(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }

    const bad = await cli(['incident', 'severity', String(id), 'SEV9'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('SEV1, SEV2, SEV3, SEV4')

    const show = await cli(['incident', 'show', String(id), '--json'])
    const shown = JSON.parse(show.stdout) as {
      incident: {state: string; severity: string; roles: Record<string, string>}
      clocks: {name: string; dueAt: string; startedAt: string; outcome: string}[]
      events: {type: string; actor: string; occurredAt: string; recordedAt: string; data: Record<string, unknown>}[]
    }
    expect(shown.incident.state).toBe('resolved')
    expect(shown.incident.severity).toBe('SEV1')
    expect(shown.incident.roles).toEqual({ic: 'Sam Patel'})
    expect(shown.clocks[0]).toMatchObject({name: 'nis_72h', outcome: 'running'})
    expect(Date.parse(shown.clocks[0].dueAt) - Date.parse(shown.clocks[0].startedAt)).toBe(72 * 3_600_000)
    const types = shown.events.map((e) => e.type)
    expect(types).toEqual([
      'incident_opened',
      'evidence_attached',
      'state_changed',
      'role_assigned',
      'severity_changed',
      'note',
      'clock_started',
      'state_changed',
      'state_changed',
    ])
    const evidence = shown.events[1]
    expect(evidence.data).toMatchObject({checkId: 'pds-ping', status: 'crit', summary: 'HTTP 503 again'})
    expect(evidence.occurredAt).toBe(new Date(t0 + 120_000).toISOString())
    const note = shown.events.find((e) => e.type === 'note')!
    expect(Date.parse(note.recordedAt) - Date.parse(note.occurredAt)).toBeGreaterThan(19 * 60_000)
    expect(shown.events.find((e) => e.type === 'severity_changed')?.actor).toBe('alex')
    expect(shown.events[0].actor).toBe('sam')

    const human = await cli(['incident', 'show', String(id)])
    expect(human.stdout).toContain('nis_72h')
    expect(human.stdout).toMatch(/\d+h\d+m left|\d+d\d+h left/)

    const list = await cli(['incident', 'list', '--open', '--json'])
    expect(JSON.parse(list.stdout).incidents).toEqual([])
    const all = await cli(['incident', 'list', '--service', 'pds', '--severity', 'SEV1', '--json'])
    expect(JSON.parse(all.stdout).incidents.map((i: {id: number}) => i.id)).toEqual([id])

    const ok = await cli(['incident', 'verify', String(id)])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('verified')

    // Tampering: the trigger refuses an ordinary UPDATE; dropping it lets a hand edit through, which verify names.
    const raw = new Database(db)
    expect(() =>
      raw.prepare("UPDATE timeline_events SET data = '{}' WHERE incident_id = ? AND seq = 6").run(id),
    ).toThrow(/append-only/)
    raw.exec('DROP TRIGGER timeline_events_no_update')
    raw
      .prepare(
        `UPDATE timeline_events SET data = json_set(data, '$.text', 'Spine team NOT engaged') WHERE incident_id = ? AND seq = 6`,
      )
      .run(id)
    raw.close()
    const tampered = await cli(['incident', 'verify', String(id)])
    expect(tampered.code).toBe(1)
    expect(tampered.stdout).toMatch(/MISMATCH event 6 \(note .*content does not match its hash/)
    const asJson = await cli(['incident', 'verify', String(id), '--json'])
    expect(asJson.code).toBe(1)
    expect(JSON.parse(asJson.stdout)).toMatchObject({ok: false, firstBad: {seq: 6}})
  }, 240_000)

  it('refuses --from-check for a check without stored failures, with a hint', async () => {
    const r = await cli(['incident', 'open', '--title', 'x', '--from-check', 'pds-pong'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Did you mean "pds-ping"?')
  }, 60_000)
})
