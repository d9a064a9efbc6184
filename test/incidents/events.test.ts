import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {EXPORT_FORMAT, serialiseExport, verifyExportText} from '../../src/exporters/json.js'
import {canonicalJson, eventHash, GENESIS_HASH, sha256Hex, type TimelineEvent} from '../../src/incidents/chain.js'
import {clocksFromEvents, clocksJson} from '../../src/incidents/clocks.js'
import {
  decodeEnvelope,
  decodeEvent,
  decodeTimeline,
  EVENT_FIELDS,
  EventDecodeError,
  firstOf,
  ofType,
} from '../../src/incidents/events.js'
import {stepEvents} from '../../src/playbooks/steps/index.js'
import {runCli, tmpDir} from '../helpers/cli.js'

const T0 = Date.UTC(2026, 4, 6, 7, 40)

/** A chained timeline of these (type, data) pairs: hashes recomputed, so only the decoder can object. */
function timeline(items: [string, Record<string, unknown>][]): TimelineEvent[] {
  const out: TimelineEvent[] = []
  let prev = GENESIS_HASH
  for (const [i, [type, data]] of items.entries()) {
    const e = {
      incidentId: 7,
      seq: i + 1,
      occurredAt: T0 + i * 60_000,
      recordedAt: T0 + i * 60_000,
      actor: 'tester',
      type,
      data,
      prevHash: prev,
    }
    const hash = eventHash(e)
    out.push({...e, hash})
    prev = hash
  }

  return out
}

const OPENED: [string, Record<string, unknown>] = [
  'incident_opened',
  {title: 'EPR down', severity: 'SEV2', state: 'triage', checks: []},
]

/** An export document of these events, digest and all, as `incident export --format json` writes one. */
function exportOf(events: TimelineEvent[]): string {
  const head = events.at(-1)?.hash ?? GENESIS_HASH
  const body = {
    format: EXPORT_FORMAT,
    exportedAt: new Date(T0 + 3_600_000).toISOString(),
    incident: {
      id: 7,
      title: 'EPR down',
      severity: 'SEV2',
      state: 'triage',
      service: null,
      openedAt: T0,
      resolvedAt: null,
      closedAt: null,
      checks: [],
      roles: {},
      playbook: null,
    },
    clocks: clocksJson(events, T0 + 3_600_000),
    events,
    chain: {algorithm: 'sha256' as const, count: events.length, head},
  }
  return serialiseExport({...body, digest: sha256Hex(canonicalJson(body))})
}

describe('the timeline event decoder', () => {
  it('types a known event and keeps its data object as stored (fields outside the vocabulary pass through)', () => {
    const [opened, started] = timeline([
      OPENED,
      [
        'clock_started',
        {name: 'ico_72h', dueAt: T0 + 72 * 3_600_000, warnBeforeMs: [3_600_000], exercise: 3, extra: 'kept'},
      ],
    ])
    const e = decodeEvent(started)
    expect(e.data).toBe(started.data)
    if (e.type !== 'clock_started') throw new Error(`decoded as ${e.type}`)
    expect(e.data.dueAt - e.occurredAt).toBe(72 * 3_600_000 - 60_000)
    expect(e.data.exercise).toBe(3)
    const decoded = decodeTimeline([opened, started])
    expect(ofType(decoded.events, 'incident_opened').map((x) => x.data.title)).toEqual(['EPR down'])
    expect(firstOf(decoded.events, 'clock_started', (x) => x.data.name === 'ico_72h')?.seq).toBe(2)
  })

  it('names the event and the field of a malformed or unknown event', () => {
    const events = timeline([
      OPENED,
      ['clock_started', {name: 'ico_72h', dueAt: 'soon'}],
      ['clock_warned', {name: 'ico_72h', dueAt: T0}],
      ['teleported', {to: 'mars'}],
      ['note', {text: ['a', 'list']}],
    ])
    const problems = decodeTimeline(events).problems.map((p) => p.message)
    expect(problems).toEqual([
      'event 2 (clock_started): data.dueAt must be a number, found string "soon"',
      'event 3 (clock_warned): data.remainingMs is missing',
      'event 4 (teleported): unknown event type "teleported"',
      'event 5 (note): data.text must be a string, found an array',
    ])
    expect(() => decodeEvent(events[3])).toThrow(EventDecodeError)
    // Readers see only the events that decode: the clock with a bad due time is not invented.
    expect(clocksFromEvents(events).size).toBe(0)
  })

  it('checks the envelope of an imported event', () => {
    const [e] = timeline([OPENED])
    expect(decodeEnvelope(e, 0)).toBe(e)
    expect(() => decodeEnvelope({...e, seq: '1'}, 0)).toThrow('event #1: seq must be a number, found string "1"')
    const {hash: _, ...noHash} = e
    expect(() => decodeEnvelope(noHash, 4)).toThrow('event 1 (incident_opened): hash is missing')
    expect(() => decodeEnvelope([e], 2)).toThrow('event #3: expected an object, found an array')
    expect(() => decodeEnvelope({...e, data: 'x'}, 0)).toThrow(
      'event 1 (incident_opened): data must be an object, found string "x"',
    )
  })

  it('knows every type describeEvent describes: its own cases and the events of every step type', () => {
    const describe = fs.readFileSync(path.resolve(__dirname, '../../src/incidents/describe.ts'), 'utf8')
    const described = [...describe.matchAll(/case '([a-z_]+)':/g)].map((m) => m[1])
    const all = [...new Set([...described, ...stepEvents().keys()])].sort()
    expect(all.length).toBeGreaterThan(described.length)
    expect(Object.keys(EVENT_FIELDS).sort()).toEqual(all)
  })
})

describe('verify of an export with an event the decoder refuses', () => {
  const tmp = tmpDir('wk-decode-')
  afterAll(() => tmp.cleanup())

  it('an export whose chain holds but one event is malformed fails verify, naming the event and field', () => {
    const text = exportOf(timeline([OPENED, ['clock_started', {name: 'ico_72h', dueAt: 'soon'}]]))
    expect(verifyExportText(text)).toMatchObject({
      ok: false,
      count: 2,
      problems: ['event 2 (clock_started): data.dueAt must be a number, found string "soon"'],
    })
    expect(verifyExportText(exportOf(timeline([OPENED, ['note', {text: 'fine'}]])))).toMatchObject({
      ok: true,
      problems: [],
    })
  })

  it('incident verify --file says which event is malformed, in one line, and exits 1', async () => {
    const good = exportOf(timeline([OPENED, ['note', {text: 'fine'}]]))
    const file = path.join(tmp.dir, 'bad-envelope.json')
    fs.writeFileSync(file, good.replace('"seq": 2', '"seq": "2"'))
    const r = await runCli(['incident', 'verify', '--file', file])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('MISMATCH malformed event: event #2: seq must be a number, found string "2"')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    const unknown = path.join(tmp.dir, 'unknown-type.json')
    fs.writeFileSync(unknown, exportOf(timeline([OPENED, ['teleported', {to: 'mars'}]])))
    const j = await runCli(['incident', 'verify', '--file', unknown, '--json'])
    expect(j.code).toBe(1)
    expect((JSON.parse(j.stdout) as {problems: string[]}).problems).toEqual([
      'event 2 (teleported): unknown event type "teleported"',
    ])
  })
})
