import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {changeState} from '../../src/incidents/service.js'
import {watchHooks} from '../../src/monitor/watch-hooks.js'
import {eventsOf, incidentCheckIds, listIncidentRows} from '../../src/store/incidents.js'
import {getMonitorState} from '../../src/store/monitor.js'
import {tmpDir} from '../helpers/cli.js'
import {makeHarness, toggleServer, webhookReceiver, writeCatalogue} from './harness.js'

let tmp: {dir: string; cleanup: () => void}
let api: Awaited<ReturnType<typeof toggleServer>>
let hook: Awaited<ReturnType<typeof webhookReceiver>>

beforeEach(async () => {
  tmp = tmpDir('wk-inc-')
  api = await toggleServer()
  hook = await webhookReceiver()
})

afterEach(async () => {
  await Promise.all([api.close(), hook.close()])
  tmp.cleanup()
})

function file(incident: string): string {
  return writeCatalogue(
    tmp.dir,
    `
checks:
  - id: pds
    name: PDS FHIR API
    kind: http
    target: ${api.url}/FHIR/R4/metadata
    service: PDS
    interval: 10s
    incident: ${incident}
notifiers:
  ops: {type: webhook, url: "\${env:HOOK_URL}"}
`,
  )
}

const env = () => ({HOOK_URL: `${hook.url}/h`})
const hooks = () => watchHooks({})

describe('incidents from checks', () => {
  it('opens one incident after a sustained failure, with evidence, and records recovery and re-failure without resolving it', async () => {
    const h = makeHarness(tmp.dir, file('{after: 40s, severity: SEV2}'), env(), {hooks: hooks()})
    await h.clock.advance(5000)
    api.mode = 'fail'
    await h.clock.advance(40_000) // failures at 10, 20, 30, 40 s: failing at the 3rd, 30 s failing at the 4th
    expect(h.sent()).toEqual(['failing pds'])
    expect(listIncidentRows(h.db)).toEqual([])
    await h.clock.advance(10_000) // 5th failure: 40 s since the first
    expect(h.sent()).toEqual(['failing pds', 'incident-opened pds'])
    const [inc] = listIncidentRows(h.db)
    expect(inc).toMatchObject({title: 'PDS FHIR API failing', severity: 'SEV2', state: 'triage', service: 'PDS'})
    expect(incidentCheckIds(h.db, inc.id)).toEqual(['pds'])
    const opened = eventsOf(h.db, inc.id)
    expect(opened.map((e) => e.type)).toEqual([
      'incident_opened',
      'evidence_attached',
      'evidence_attached',
      'evidence_attached',
      'evidence_attached',
      'evidence_attached',
      'note',
    ])
    expect(opened[1].data).toMatchObject({kind: 'check_result', checkId: 'pds', status: 'crit'})
    expect(getMonitorState(h.db, 'pds')?.incidentId).toBe(inc.id)

    await h.clock.advance(60_000) // still failing: never a second incident
    expect(listIncidentRows(h.db).length).toBe(1)
    api.mode = 'ok'
    await h.clock.advance(20_000)
    expect(h.sent()).toEqual(['failing pds', 'incident-opened pds', 'recovered pds', 'incident-updated pds'])
    expect(eventsOf(h.db, inc.id).at(-1)).toMatchObject({type: 'check_recovered', data: {checkId: 'pds', state: 'ok'}})
    expect(listIncidentRows(h.db)[0].state).toBe('triage') // a person resolves it, not watch

    // A restart in between must not forget the open incident.
    const again = h.restart()
    api.mode = 'fail'
    await again.clock.advance(80_000)
    expect(listIncidentRows(again.db).length).toBe(1)
    expect(again.sent()).toEqual([
      'failing pds',
      'incident-opened pds',
      'recovered pds',
      'incident-updated pds',
      'failing pds',
      'incident-updated pds',
    ])
    expect(
      eventsOf(again.db, inc.id)
        .map((e) => e.type)
        .slice(-2),
    ).toEqual(['check_failing_again', 'evidence_attached'])

    // Once a person has resolved it, a new sustained failure opens a new incident.
    const actor = {db: again.db, actor: 'duty manager', now: again.clock.now()}
    changeState(actor, inc.id, 'active')
    changeState(actor, inc.id, 'resolved')
    await again.clock.advance(10_000)
    expect(listIncidentRows(again.db).map((i) => i.state)).toEqual(['triage', 'resolved'])
    expect(again.sent().at(-1)).toBe('incident-opened pds')
    await again.watcher.stop(1000)
  })

  it('counts consecutive failures with after: N, and opens nothing in a maintenance window', async () => {
    const h = makeHarness(
      tmp.dir,
      writeCatalogue(
        tmp.dir,
        `
checks:
  - {id: pds, name: PDS, kind: http, target: "${api.url}/", interval: 10s, incident: {after: 2, severity: SEV1}, tags: [pds]}
  - {id: ers, name: e-RS, kind: http, target: "${api.url}/ers", interval: 10s, incident: {after: 2}}
maintenance:
  - {name: PDS release, tags: [pds], start: "2026-11-25T08:00", duration: 3h}
`,
      ),
      {},
      {hooks: hooks()},
    )
    api.mode = 'fail'
    await h.clock.advance(15_000)
    const rows = listIncidentRows(h.db)
    expect(rows.map((r) => [r.title, r.severity])).toEqual([['e-RS failing', 'SEV2']])
    await h.watcher.stop(1000)
  })
})
