import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {watchHooks} from '../../src/monitor/watch-hooks.js'
import {listIncidentRows} from '../../src/store/incidents.js'
import {tmpDir} from '../helpers/cli.js'
import {closedPort} from '../helpers/servers.js'
import {makeHarness, toggleServer, webhookReceiver, writeCatalogue} from '../monitor/harness.js'

let tmp: {dir: string; cleanup: () => void}
let api: Awaited<ReturnType<typeof toggleServer>>
let pager: Awaited<ReturnType<typeof webhookReceiver>>
let channel: Awaited<ReturnType<typeof webhookReceiver>>

beforeEach(async () => {
  tmp = tmpDir('wk-wn-')
  api = await toggleServer()
  pager = await webhookReceiver()
  channel = await webhookReceiver()
})

afterEach(async () => {
  await Promise.all([api.close(), pager.close(), channel.close()])
  tmp.cleanup()
})

const env = () => ({PAGER_URL: `${pager.url}/pager`, CHANNEL_URL: `${channel.url}/channel`})

// 09:00 UTC is 09:00 in London in November.
const START = Date.UTC(2026, 10, 25, 9, 0, 0)

function catalogue(extra = ''): string {
  return writeCatalogue(
    tmp.dir,
    `
checks:
  - id: pds
    name: PDS FHIR API
    kind: http
    target: ${api.url}/FHIR/R4/metadata
    interval: 10s
    runbook: https://runbooks.example.nhs.uk/pds
    incident: {after: 3, severity: SEV2}
notifiers:
  pager: {type: webhook, url: "\${env:PAGER_URL}", events: [failing, recovered, incident], min_interval: 1s}
  channel: {type: webhook, url: "\${env:CHANNEL_URL}", min_interval: 1s}
${extra}`,
  )
}

type Body = {
  event: string
  title: string
  text: string
  respond?: string
  runbook?: string
  outageSeconds?: number
  maintenance?: {name: string; held?: number}
}

describe('what watch tells the notifiers', () => {
  it('incident messages say how to respond and link the runbook; a recovery carries the outage length', async () => {
    const h = makeHarness(tmp.dir, catalogue(), env(), {start: START, hooks: watchHooks({})})
    await h.clock.advance(5000)
    api.mode = 'fail'
    await h.clock.advance(30_000) // failures at 10, 20, 30 s: failing and an incident at the 3rd
    await h.watcher.drainNotifications(5000)
    const [failing, opened] = pager.received.map((r) => r.body as Body)
    expect(failing).toMatchObject({event: 'failing', runbook: 'https://runbooks.example.nhs.uk/pds'})
    const [inc] = listIncidentRows(h.db)
    expect(opened).toMatchObject({
      event: 'incident-opened',
      respond: `watchkeeper incident respond ${inc.id}`,
      runbook: 'https://runbooks.example.nhs.uk/pds',
    })
    expect(opened.text).toContain(
      `To respond: watchkeeper incident respond ${inc.id}\nRunbook: https://runbooks.example.nhs.uk/pds`,
    )
    api.mode = 'ok'
    await h.clock.advance(20_000) // ok at 40 and 50 s: recovered at the 2nd
    await h.watcher.drainNotifications(5000)
    const recovered = pager.received.map((r) => r.body as Body).find((b) => b.event === 'recovered')!
    // Failing from the 3rd failure (30 s) to the 2nd ok result (50 s).
    expect(recovered.outageSeconds).toBe(20)
    expect(recovered.text).toMatch(/Failing for 20 s \(since 2026-11-25T09:00:30\.000Z\)\.$/)
    await h.watcher.stop(1000)
  })

  it('a maintenance window holds every message about its checks, the failing-again incident update too, and says when it opens and closes', async () => {
    const h = makeHarness(
      tmp.dir,
      catalogue(`maintenance:
  - {name: PDS release, checks: [pds], start: "2026-11-25T09:02", end: "2026-11-25T09:06"}
`),
      env(),
      {start: START, hooks: watchHooks({})},
    )
    await h.clock.advance(5000)
    api.mode = 'fail'
    await h.clock.advance(30_000) // failing and an incident at 09:00:30, before the window
    await h.watcher.drainNotifications(5000)
    expect(pager.received.map((r) => (r.body as Body).event)).toEqual(['failing', 'incident-opened'])

    await h.clock.advance(90_000) // 09:02:05: the window is open, the check still failing
    await h.watcher.drainNotifications(5000)
    expect(channel.received.map((r) => (r.body as Body).title)).toEqual([
      'FAILING: PDS FHIR API',
      'Incident #1 opened: PDS FHIR API failing',
      'Maintenance started: PDS release',
    ])
    const inside = {pager: pager.received.length, channel: channel.received.length}
    api.mode = 'ok'
    await h.clock.advance(20_000) // recovers inside the window
    api.mode = 'fail'
    await h.clock.advance(30_000) // fails again: the incident's "failing again" update
    api.mode = 'ok'
    await h.clock.advance(20_000) // and recovers
    await h.watcher.drainNotifications(5000)
    // Zero deliveries inside the window.
    expect(pager.received.length).toBe(inside.pager)
    expect(channel.received.length).toBe(inside.channel)
    const held = h.deliveries().filter((d) => d.status === 'held')
    expect(held.map((d) => `${d.notifier} ${d.event}`)).toEqual([
      'pager recovered',
      'channel recovered',
      'pager incident-updated',
      'channel incident-updated',
      'pager incident-updated',
      'channel incident-updated',
      'pager incident-updated',
      'channel incident-updated',
    ])
    expect(held.map((d) => d.message).filter((m, i) => i % 2 === 0)).toEqual([
      'RECOVERED: PDS FHIR API',
      'Incident #1: pds recovered (ok); the incident stays open until a person resolves it',
      'Incident #1: pds is failing again',
      'Incident #1: pds recovered (ok); the incident stays open until a person resolves it',
    ])
    expect(held.every((d) => d.error === 'maintenance: PDS release')).toBe(true)

    await h.clock.advance(180_000) // past 09:06
    await h.watcher.drainNotifications(5000)
    const after = channel.received.slice(inside.channel).map((r) => r.body as Body)
    expect(after[0]).toMatchObject({
      event: 'maintenance-ended',
      title: 'Maintenance ended: PDS release',
      maintenance: {name: 'PDS release', held: 4},
    })
    expect(after[0].text).toMatch(
      /^4 message\(s\) were held during the window \(since 2026-11-25T09:02:00\.000Z\); alerts resume\. No covered check is failing\.$/,
    )
    // The pager takes no maintenance notices; the last state message held was a recovery, so it goes out now and closes the alert.
    expect(pager.received.slice(inside.pager).map((r) => (r.body as Body).event)).toEqual(['recovered'])
    expect(after.map((b) => b.event)).toEqual(['maintenance-ended', 'recovered'])
    await h.watcher.stop(1000)
  })

  it('reports a message given up at expire_after to the other notifiers', async () => {
    const dead = await closedPort()
    const file = writeCatalogue(
      tmp.dir,
      `
checks:
  - {id: pds, name: PDS FHIR API, kind: http, target: "${api.url}/", interval: 10s, thresholds: {failure: 1}}
notifiers:
  pager: {type: webhook, url: "\${env:DEAD_URL}", retries: 0, backoff: 1s, expire_after: 10s}
  channel: {type: webhook, url: "\${env:CHANNEL_URL}"}
`,
    )
    const h = makeHarness(tmp.dir, file, {...env(), DEAD_URL: `http://127.0.0.1:${dead}/pager`}, {start: START})
    api.mode = 'fail'
    await h.clock.advance(10_000)
    for (let i = 0; i < 12; i++) {
      await h.watcher.drainNotifications(5000)
      await h.clock.advance(1000)
    }

    await h.watcher.drainNotifications(5000)
    const pager = h.deliveries().find((d) => d.notifier === 'pager')!
    expect(pager.status).toBe('expired')
    const notice = channel.received.map((r) => r.body as Body).find((b) => b.event === 'undelivered')!
    expect(notice.title).toBe('Notifier pager (webhook) could not deliver: FAILING: PDS FHIR API')
    expect(notice.text).toMatch(
      /^not delivered within expire_after \(10s\) after \d+ attempt\(s\); last error: ECONNREFUSED .*Check the receiver and \$\{env:DEAD_URL\}; see watchkeeper notify log --notifier pager --status expired\.$/,
    )
    await h.watcher.stop(1000)
  })

  it('announces an open window once across a restart', async () => {
    const file = catalogue(`maintenance:
  - {name: nightly, checks: [pds], start: "08:30", duration: 2h, every: day}
`)
    const first = makeHarness(tmp.dir, file, env(), {start: START})
    await first.clock.advance(61_000)
    await first.watcher.drainNotifications(5000)
    const second = first.restart(START + 120_000)
    await second.clock.advance(61_000)
    await second.watcher.drainNotifications(5000)
    expect(channel.received.map((r) => (r.body as Body).title)).toEqual(['Maintenance started: nightly'])
    await second.watcher.stop(1000)
  })
})
