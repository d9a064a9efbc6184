import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {clocksSchema} from '../../src/incidents/clock-schema.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'

const H = 3_600_000
const FIXTURES = path.join('test', 'fixtures', 'clocks')

describe('clocks through the CLI', () => {
  const tmp = tmpDir()
  afterAll(() => tmp.cleanup())
  const db = path.join(tmp.dir, 'wk.sqlite')
  const cli = (args: string[]) => runCli([...args, '--db', db], {env: {WATCHKEEPER_ACTOR: 'ig-lead'}})
  const eventCount = async (id: number) =>
    (JSON.parse((await cli(['incident', 'show', String(id), '--json'])).stdout) as {events: unknown[]}).events.length

  it('walks a not-notifiable breach: not_required and its reasoning in show and every export, and no view says "met"', async () => {
    const open = await cli([
      'incident',
      'open',
      '--title',
      'Letters to the wrong practice',
      '--playbook',
      'personal-data-breach',
      '--json',
    ])
    expect(open.code, open.stderr).toBe(0)
    const {id} = JSON.parse(open.stdout) as {id: number}
    const answers = path.join(tmp.dir, 'answers.yaml')
    fs.writeFileSync(
      answers,
      `
aware: {aware_at: "30h ago", what_happened: "discharge letters sent to the wrong GP practice", aware_reason: "the practice phoned"}
contain: {}
assess: {dspt_likelihood: 1, dspt_impact: 2, assessment_reasoning: "Recipient practice deleted the letters and confirmed in writing", breach_nature: "", data_subject_categories: "", data_subjects_approx: null, record_categories: "", records_approx: null, dpo_contact: "", likely_consequences: "", measures_taken: ""}
not-reportable: {}
individuals: {high_risk_to_individuals: false}
schedule-review: {}
review: {}
`,
    )
    const walk = await cli(['incident', 'respond', String(id), '--answers', answers, '--json'])
    expect(walk.code, walk.stderr).toBe(0)
    const show = await cli(['incident', 'show', String(id), '--json'])
    const shown = JSON.parse(show.stdout) as {
      clocks: Record<string, unknown>[]
      events: {type: string; occurredAt: string; recordedAt: string; data: Record<string, unknown>}[]
    }
    const ico = shown.clocks.find((c) => c.name === 'ico_72h')!
    expect(ico).toMatchObject({
      outcome: 'not_required',
      reason: expect.stringContaining(
        'is below the ICO threshold (at least likely and at least minor); reasoning recorded at step assess: Recipient practice deleted the letters and confirmed in writing',
      ),
    })
    expect(Object.keys(ico).sort()).toEqual(['dueAt', 'name', 'outcome', 'reason', 'startedAt', 'stoppedAt', 'to'])
    for (const k of ['startedAt', 'dueAt', 'stoppedAt'])
      expect(ico[k]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    const started = shown.events.find((e) => e.type === 'clock_started' && e.data.name === 'ico_72h')!
    expect(Date.parse(started.recordedAt) - Date.parse(started.occurredAt)).toBeGreaterThan(29.9 * H)
    expect(shown.clocks.find((c) => c.name === 'pir_5bd')).toMatchObject({outcome: 'on_time'})

    const text = await cli(['incident', 'show', String(id)])
    expect(text.stdout).toContain(
      'not_required: DSPT grid: likelihood 1 (not occurred, label unverified) × impact 2 (minor) is below the ICO threshold',
    )
    const views: Record<string, string> = {show: text.stdout}
    for (const f of ['md', 'json', 'csv', 'html']) {
      const r = await cli(['incident', 'export', String(id), '--format', f])
      expect(r.code, r.stderr).toBe(0)
      views[f] = r.stdout
      expect(r.stdout, f).toContain('not_required')
      expect(r.stdout, f).toContain('Recipient practice deleted the letters and confirmed in writing')
    }

    expect(views.md).toMatch(
      /\| ico_72h \| .* \| not_required \| Reasoning: DSPT grid: likelihood 1 .*reasoning recorded at step assess: Recipient practice/,
    )
    expect(views.html).toMatch(
      /<tr class="clock-not_required">.*<td class="outcome">not_required<\/td><td>Reasoning: DSPT grid: likelihood 1 .*reasoning recorded at step assess: Recipient practice/,
    )
    expect(JSON.parse(views.json).clocks[0]).toMatchObject({name: 'ico_72h', outcome: 'not_required'})
    expect(views.csv).toMatch(
      /,clock_stopped,"?Clock ico_72h stopped: not_required \(DSPT grid: likelihood 1 .*reasoning recorded at step assess: Recipient practice/,
    )
    for (const [k, v] of Object.entries(views)) expect(v, k).not.toMatch(/\bmet\b|\bmissed\b/)

    const out = path.join(tmp.dir, 'export.json')
    expect((await cli(['incident', 'export', String(id), '--format', 'json', '--out', out])).code).toBe(0)
    expect((await cli(['incident', 'verify', '--file', out])).code).toBe(0)
  }, 240_000)

  it('adjust keeps the original event, and incident verify still passes', async () => {
    const open = await cli(['incident', 'open', '--title', 'Lost laptop', '--json'])
    const {id} = JSON.parse(open.stdout) as {id: number}
    const start = new Date(Date.now() - 10 * H).toISOString()
    for (const args of [
      ['start', 'ico_72h', '--at', start],
      ['stop', 'ico_72h', '--outcome', 'notified', '--reason', 'DSPT-77'],
    ]) {
      const r = await cli(['incident', 'clock', String(id), ...args])
      expect(r.code, r.stderr).toBe(0)
    }

    const earlier = new Date(Date.now() - 80 * H).toISOString()
    const adj = await cli([
      'incident',
      'clock',
      String(id),
      'adjust',
      'ico_72h',
      '--at',
      earlier,
      '--reason',
      'the ward reported it three days before',
      '--json',
    ])
    expect(adj.code, adj.stderr).toBe(0)
    const shown = JSON.parse((await cli(['incident', 'show', String(id), '--json'])).stdout) as {
      clocks: {outcome: string; startedAt: string}[]
      events: {type: string; occurredAt: string; data: Record<string, unknown>}[]
    }
    expect(shown.events.filter((e) => /^clock_(started|stopped|adjusted)$/.test(e.type)).map((e) => e.type)).toEqual([
      'clock_started',
      'clock_stopped',
      'clock_adjusted',
    ])
    expect(Date.parse(shown.events.find((e) => e.type === 'clock_started')!.occurredAt)).toBe(Date.parse(start))
    expect(shown.events.find((e) => e.type === 'clock_adjusted')!.data).toMatchObject({
      field: 'start',
      from: new Date(start).toISOString(),
      to: new Date(earlier).toISOString(),
      reason: 'the ward reported it three days before',
    })
    expect(shown.clocks[0]).toMatchObject({outcome: 'late', startedAt: earlier})
    const verify = await cli(['incident', 'verify', String(id)])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
    const text = (await cli(['incident', 'show', String(id)])).stdout
    expect(text).toMatch(/ico_72h +late by/)
    expect(text).toContain('start corrected from')
  }, 120_000)

  it('refuses bad clock input with exit 2 and writes nothing', async () => {
    const open = await cli(['incident', 'open', '--title', 'Mis-sent email', '--json'])
    const {id} = JSON.parse(open.stdout) as {id: number}
    expect((await cli(['incident', 'clock', String(id), 'start', 'ico_72h', '--at', '5h'])).code).toBe(0)
    const before = await eventCount(id)
    const cases: [string[], RegExp][] = [
      [['stop', 'ico_72h', '--outcome', 'not_required'], /not_required needs the reasoning: --reason TEXT/],
      [['stop', 'ico_72h'], /stop needs --outcome/],
      [['stop', 'ico_72h', '--outcome', 'notified', '--at', '6h'], /cannot stop before it starts/],
      [['adjust', 'ico_72h', '--at', '7h'], /needs the reason: --reason TEXT/],
      [['adjust', 'ico_72h', '--reason', 'x'], /adjust needs --at/],
      [['start', 'csrb_full_72h'], /not in force: proposed in the Cyber Security and Resilience Bill/],
      [['start', 'ico_27h'], /did you mean "ico_72h"/i],
      [['restart', 'ico_72h'], /not restartable/],
      [
        ['start', 'trust_board_24h', '--clocks', path.join(FIXTURES, 'unknown-key.yaml')],
        /unknown-key\.yaml:4:5 clocks\[0\]\.duraton: unknown key "duraton"; did you mean "duration"\?/,
      ],
    ]
    for (const [args, message] of cases) {
      const r = await cli(['incident', 'clock', String(id), ...args])
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(message)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }

    expect(
      (
        await cli([
          'incident',
          'clock',
          String(id),
          'stop',
          'ico_72h',
          '--outcome',
          'superseded',
          '--reason',
          'merged into INC-9',
        ])
      ).code,
    ).toBe(0)
    const stopped = await eventCount(id)
    expect(stopped).toBe(before + 1)
    const after = await cli([
      'incident',
      'clock',
      String(id),
      'adjust',
      'ico_72h',
      '--at',
      new Date(Date.now() + 30_000).toISOString(),
      '--reason',
      'typo',
    ])
    expect(after.code).toBe(2)
    expect(after.stderr).toMatch(/cannot start after its stop/)
    expect(await eventCount(id)).toBe(stopped)
  }, 180_000)

  it("clock validate names file:line:col, the key and a did-you-mean; clock list and --clocks add a trust's own", async () => {
    const bad = await runCli(['clock', 'validate', path.join(FIXTURES, 'unknown-key.yaml')])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(
      /unknown-key\.yaml:4:5 clocks\[0\]\.duraton: unknown key "duraton"; did you mean "duration"\?/,
    )
    const list = await runCli(['clock', 'list', '--clocks', path.join(FIXTURES, 'board.yaml'), '--json'])
    expect(list.code, list.stderr).toBe(0)
    const {clocks} = JSON.parse(list.stdout) as {clocks: {name: string; inForce: boolean; length: string}[]}
    expect(clocks.find((c) => c.name === 'trust_board_24h')).toMatchObject({inForce: true, length: 'PT24H'})
    expect(
      clocks
        .filter((c) => !c.inForce)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['csrb_full_72h', 'csrb_initial_24h', 'ransomware_report'])
    const {id} = JSON.parse((await cli(['incident', 'open', '--title', 'SEV1 outage', '--json'])).stdout) as {
      id: number
    }
    const own = await cli([
      'incident',
      'clock',
      String(id),
      'start',
      'trust_board_24h',
      '--clocks',
      path.join(FIXTURES, 'board.yaml'),
      '--json',
    ])
    expect(own.code, own.stderr).toBe(0)
    expect((JSON.parse(own.stdout) as {event: {data: Record<string, unknown>}}).event.data).toMatchObject({
      name: 'trust_board_24h',
      to: 'the trust board',
      citation: 'trust incident policy 4.2',
    })
    const broken = await runCli(['clock', 'list', '--clocks', path.join(FIXTURES, 'unknown-key.yaml')])
    expect(broken.code).toBe(2)
    expect(broken.stderr).toContain('unknown-key.yaml:4:5')
  }, 60_000)

  it('playbook validate rejects a step that starts and stops the same clock, and clocks not in force or not restartable', async () => {
    const r = await runCli(['playbook', 'validate', path.join(FIXTURES, 'starts-and-stops.yaml')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /starts-and-stops\.yaml:8:18 steps\[0\]\.stops_clock: the step starts and stops clock ico_72h/,
    )
    const nf = await runCli(['playbook', 'validate', path.join(FIXTURES, 'not-in-force.yaml')])
    expect(nf.code).toBe(2)
    expect(nf.stderr).toMatch(
      /not-in-force\.yaml:7:19 steps\[0\]\.starts_clock: clock csrb_initial_24h is not in force/,
    )
    expect(nf.stderr).toMatch(/not-in-force\.yaml:11:21 steps\[1\]\.restarts_clock: clock ico_72h is not restartable/)
  }, 60_000)

  it('publishes the clock schema it validates with', async () => {
    const published = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'clocks.schema.json'), 'utf8'))
    expect(published).toEqual(JSON.parse(JSON.stringify(clocksSchema())))
    const printed = await runCli(['clock', 'schema'])
    expect(JSON.parse(printed.stdout)).toEqual(published)
  }, 60_000)
})
