import Database from 'better-sqlite3'
import {execFile} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {CheckResult} from '../../src/types.js'
import {openDatabase} from '../../src/store/db.js'
import {insertResults, startRun, upsertChecks} from '../../src/store/results.js'
import {runCli, tmpDir} from '../helpers/cli.js'

const CHROMIUM = '/usr/bin/chromium'
const INJECTED = `<script>document.body.setAttribute('data-pwned','yes')</script>`

describe('ransomware playbook walked from an answers file, then exported', () => {
  const tmp = tmpDir()
  const db = path.join(tmp.dir, 'wk.sqlite')
  const cli = (args: string[]) => runCli([...args, '--db', db], {env: {WATCHKEEPER_ACTOR: 'ic-on-call'}})
  const note = path.join(tmp.dir, 'ransom-note.txt')
  let id = 0
  const t0 = Date.now() - 20 * 60_000

  beforeAll(() => {
    fs.writeFileSync(note, 'YOUR FILES ARE ENCRYPTED\n')
    const store = openDatabase(db)
    const refs = upsertChecks(
      store,
      [{id: 'epr-web', kind: 'http', target: 'https://127.0.0.1:1/', service: 'EPR'}],
      t0,
    )
    const run = startRun(store, 'test', t0)
    const results: CheckResult[] = [0, 1, 2, 3, 4, 5].map((i) => ({
      checkId: 'epr-web',
      kind: 'http',
      target: 'https://127.0.0.1:1/',
      status: i < 2 ? 'ok' : 'crit',
      summary: i < 2 ? 'HTTP 200' : 'connection refused',
      timings: {totalMs: 100 + i * 50},
      findings: [],
      metrics: {},
      startedAt: t0 + i * 60_000,
      durationMs: 100 + i * 50,
      attempts: 1,
    }))
    insertResults(store, refs, run, results)
    store.close()
    fs.writeFileSync(
      path.join(tmp.dir, 'answers.yaml'),
      `
steps:
  declare: {detected_how: "EDR alert; =HYPERLINK(\\"http://evil\\")", codename: "BLUE HERON", affected_hosts: "fs01,fs02"}
  contain: {}
  notify-csoc: {csoc_ref: "CSOC-1234"}
  clinical-continuity: {tick: [true, true, true, false]}
  critical-incident: {}
  preserve-evidence: {confirm: true, ransom_note_path: "${note}"}
  preserve-systems: {}
  ransom-demand: {}
  exfiltration: {exfiltration_ruled_out: false}
  assess-data: "yes"
  ico-aware: {}
  assess-nis: {essential_service_impact: true}
  nis-aware: {}
  report-decision: {dspt_likelihood: 4, dspt_impact: 3, nis_oes: true, nis_significant_impact: true, assessment_reasoning: "Patient records encrypted; EPR down", breach_nature: null, data_subject_categories: null, data_subjects_approx: null, record_categories: null, records_approx: null, dpo_contact: null, likely_consequences: null, measures_taken: null}
  dspt-report: {dspt_ref: "DSPT-99", crime_ref: "NFRC-1"}
  status-update: [{contained: false}, {contained: true}]
  eradicate: {}
  harm-review: {}
  individuals-decision: {high_risk_to_individuals: false}
  schedule-review: {}
  pir: {}
`,
    )
  })
  afterAll(() => tmp.cleanup())

  it('reaches end with every step, decision and clock event in order, and verifies', async () => {
    const open = await cli([
      'incident',
      'open',
      '--title',
      `Ransomware ${INJECTED}`,
      '--severity',
      'SEV1',
      '--playbook',
      'ransomware-nhs-trust',
      '--from-check',
      'epr-web',
      '--json',
    ])
    expect(open.code, open.stderr).toBe(0)
    id = (JSON.parse(open.stdout) as {id: number}).id
    const walk = await cli([
      'incident',
      'respond',
      String(id),
      '--answers',
      path.join(tmp.dir, 'answers.yaml'),
      '--json',
    ])
    expect(walk.code, walk.stderr).toBe(0)
    expect(JSON.parse(walk.stdout)).toMatchObject({status: 'ended'})

    const note2 = await cli([
      'incident',
      'note',
      String(id),
      `action: rotate the EDR console password <img src=x onerror=alert(1)>`,
    ])
    expect(note2.code).toBe(0)
    const show = await cli(['incident', 'show', String(id), '--json'])
    const {events} = JSON.parse(show.stdout) as {events: {type: string; data: Record<string, unknown>}[]}
    const walkEvents = events
      .filter((e) => /^(step_|decision_|clock_|walk_|loop_|command_run)/.test(e.type))
      .map((e) =>
        e.type.startsWith('clock') ? `${e.type}:${String(e.data.name)}` : `${e.type}:${String(e.data.step ?? '')}`,
      )
    const order = (a: string, b: string) =>
      expect(walkEvents.indexOf(a), `${a} before ${b}`).toBeLessThan(walkEvents.indexOf(b))
    for (const s of [
      'declare',
      'first-hour',
      'contain',
      'notify-csoc',
      'clinical-continuity',
      'critical-incident',
      'preserve-evidence',
      'preserve-systems',
      'ransom-demand',
      'exfiltration',
      'assess-data',
      'ico-aware',
      'assess-nis',
      'nis-aware',
      'report-decision',
      'dspt-report',
      'status-loop',
      'status-update',
      'eradicate',
      'harm-review',
      'individuals-decision',
      'schedule-review',
      'pir',
      'done',
    ]) {
      expect(walkEvents, s).toContain(`step_started:${s}`)
      expect(walkEvents, s).toContain(`step_completed:${s}`)
      order(`step_started:${s}`, `step_completed:${s}`)
    }

    order('walk_started:', 'step_started:declare')
    order('step_completed:first-hour', 'step_started:exfiltration')
    order('step_completed:preserve-systems', 'step_started:eradicate')
    order('step_completed:exfiltration', 'step_started:assess-data')
    order('step_started:ico-aware', 'clock_started:ico_72h')
    order('clock_started:ico_72h', 'step_completed:ico-aware')
    order('clock_started:nis_72h', 'clock_stopped:ico_72h')
    order('clock_stopped:nis_72h', 'step_completed:dspt-report')
    order('clock_started:pir_5bd', 'clock_stopped:pir_5bd')
    order('clock_stopped:pir_5bd', 'walk_completed:')
    expect(walkEvents.filter((e) => e === 'decision_taken:assess-data')).toHaveLength(1)
    expect(walkEvents.filter((e) => e.startsWith('decision_taken:'))).toHaveLength(3)
    expect(events.filter((e) => e.type === 'assessment_recorded').map((e) => e.data.decision)).toEqual(['ico+nis'])
    expect(walkEvents.filter((e) => e.startsWith('loop_iteration:'))).toHaveLength(2)
    expect(walkEvents.at(-1)).toBe('walk_completed:')
    const run = events.find((e) => e.type === 'command_run')!
    expect(run.data.argv).toEqual(['sha256sum', note])
    expect(run.data.exitCode).toBe(0)
    expect(String(run.data.output)).toContain('ransom-note.txt')
    expect(run.data.outputSha256).toMatch(/^[0-9a-f]{64}$/)
    const verify = await cli(['incident', 'verify', String(id)])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
  }, 300_000)

  it('exports md, json, csv and html; the json verifies offline and a one-byte edit is caught', async () => {
    const formula = await cli(['incident', 'note', String(id), '=HYPERLINK("http://evil","click")'])
    expect(formula.code).toBe(0)
    const files: Record<string, string> = {}
    for (const f of ['md', 'json', 'csv', 'html', 'cacao']) {
      files[f] = path.join(tmp.dir, `incident.${f}`)
      const r = await cli(['incident', 'export', String(id), '--format', f, '--out', files[f]])
      expect(r.code, `${f}: ${r.stderr}`).toBe(0)
    }

    const md = fs.readFileSync(files.md, 'utf8')
    for (const h of [
      '## Summary',
      '## What happened',
      '## Resolution',
      '## Impact',
      '## Responders',
      '## Timeline',
      '## Decisions',
      '## Regulatory clocks',
      '## Action items',
    ])
      expect(md).toContain(h)
    expect(md).toContain('| Time (UTC) | Europe/London | Event | Actor |')
    expect(md).toMatch(/\| ico_72h \| .* \| on_time \|/)
    expect(md).not.toMatch(/\bmet\b/)
    expect(md).toContain(
      '- [ ] Keep a list of the patients whose tests, results, referrals or treatment are delayed, for the harm review and look-back (not done at step clinical-continuity)',
    )
    expect(md).toContain('- [ ] rotate the EDR console password &lt;img')
    expect(md).not.toContain('<script>')

    const csv = fs.readFileSync(files.csv, 'utf8')
    const lines = csv.split('\r\n').filter(Boolean)
    expect(lines[0]).toBe(
      'seq,occurred_at_utc,occurred_at_london,recorded_at_utc,actor,type,description,data,prev_hash,hash',
    )
    const show = JSON.parse((await cli(['incident', 'show', String(id), '--json'])).stdout) as {events: unknown[]}
    expect(lines).toHaveLength(show.events.length + 1)
    expect(csv).toContain(`,note,"'=HYPERLINK(""http://evil"",""click"")",`)
    expect(csv).not.toMatch(/(^|,)"?[=+@]/m)

    const good = await cli(['incident', 'verify', '--file', files.json])
    expect(good.code, good.stdout).toBe(0)
    const text = fs.readFileSync(files.json, 'utf8')
    const at = text.indexOf('BLUE HERON')
    for (const [label, edited] of [
      ['content byte', text.slice(0, at) + 'C' + text.slice(at + 1)],
      ['whitespace byte', text.replace('\n  "incident"', '\n\t"incident"')],
    ] as const) {
      const bad = path.join(tmp.dir, 'edited.json')
      fs.writeFileSync(bad, edited)
      const r = await cli(['incident', 'verify', '--file', bad])
      expect(r.code, label).toBe(1)
      expect(r.stdout, label).toContain('MISMATCH')
      if (label === 'content byte') expect(r.stdout).toMatch(/first bad event: \d+/)
    }

    const cacao = JSON.parse(fs.readFileSync(files.cacao, 'utf8')) as {
      spec_version: string
      workflow: Record<string, {type: string}>
      workflow_start: string
      external_references: {name: string; url: string}[]
    }
    expect(cacao.spec_version).toBe('cacao-2.0')
    expect(cacao.external_references).toContainEqual(
      expect.objectContaining({url: 'https://www.reportfraud.police.uk'}),
    )
    expect(cacao.workflow[cacao.workflow_start].type).toBe('start')
    expect(Object.values(cacao.workflow).map((s) => s.type)).toEqual(
      expect.arrayContaining(['parallel', 'switch-condition', 'if-condition', 'while-condition', 'end']),
    )

    // The HTML: one file, no external assets, user strings shown as text, and nothing executed.
    const html = fs.readFileSync(files.html, 'utf8')
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/i)
    expect(html).toContain('&lt;script&gt;')
    expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is needed (see .ci/run)`).toBe(true)
    const profile = path.join(tmp.dir, 'chromium-profile')
    const {stdout: dom} = await promisify(execFile)(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        '--dump-dom',
        `file://${files.html}`,
      ],
      {timeout: 90_000, maxBuffer: 20 * 1024 * 1024},
    )
    expect(dom).toContain('<h1 id="title">')
    expect(dom).toContain(`Ransomware &lt;script&gt;document.body.setAttribute('data-pwned','yes')&lt;/script&gt;`)
    expect(dom).not.toContain('data-pwned="yes"')
    expect(dom).not.toMatch(/<script/i)
    expect(dom).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(dom).not.toMatch(/<img/i)
    expect((dom.match(/<rect class="status" /g) ?? []).length).toBe(6)
    expect(dom).toContain('<polyline')
  }, 300_000)

  it('names the edited event when one row is changed in SQLite', async () => {
    const raw = new Database(db)
    raw.exec('DROP TRIGGER timeline_events_no_update')
    const row = raw
      .prepare(`SELECT seq FROM timeline_events WHERE incident_id = ? AND type = 'decision_taken' ORDER BY seq LIMIT 1`)
      .get(id) as {seq: number}
    raw
      .prepare(
        `UPDATE timeline_events SET data = replace(data, 'ico-aware', 'assess-nis') WHERE incident_id = ? AND seq = ?`,
      )
      .run(id, row.seq)
    raw.close()
    const r = await cli(['incident', 'verify', String(id), '--json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      firstBad: {seq: row.seq},
      firstBadEvent: {type: 'decision_taken'},
    })
  }, 120_000)
})
