import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {playbookSchema} from '../../src/playbooks/schema.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'

const BROKEN = path.join('test', 'fixtures', 'playbooks', 'broken')

describe('playbook validate', () => {
  it('accepts every shipped playbook', async () => {
    const r = await runCli(['playbook', 'validate', 'playbooks', '--json'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const out = JSON.parse(r.stdout) as {playbooks: {id: string}[]}
    expect(out.playbooks.map((p) => p.id).sort()).toEqual([
      'cyber-alert-high-severity',
      'ddos-national-endpoint',
      'email-spoofing-dmarc',
      'personal-data-breach',
      'ransomware-nhs-trust',
      'supplier-compromise',
      'tls-certificate-incident',
    ])
  })

  const cases: [string, string, RegExp][] = [
    ['unknown-key.yaml', '7:5', /unknown key "checklst"; did you mean "checklist"\?/],
    ['unknown-step.yaml', '7:11', /unknown step id "finsh"; did you mean "finish"\?/],
    ['unreachable.yaml', '8:9', /unreachable step "orphan"/],
    ['loop-no-exit.yaml', '9:12', /loop without an exit/],
    ['clock-never-stopped.yaml', '9:19', /clock ico_72h is started but no step stops it/],
    ['bad-condition.yaml', '10:9', /bad condition at character 10 .*use "==" to compare/],
    ['yaml-syntax.yaml', '7:', /YAML syntax error/],
    ['self-loop.yaml', '10:11', /step "wait-for-go" can only loop to itself/],
    ['schema-and-graph.yaml', '8:11', /unknown step id "finsh"; did you mean "finish"\?/],
  ]
  for (const [file, pos, message] of cases) {
    it(`rejects ${file} with exit 2 and its position`, async () => {
      const r = await runCli(['playbook', 'validate', path.join(BROKEN, file)])
      expect(r.code).toBe(2)
      const line = r.stderr.split('\n').find((l) => l.includes(`${path.join(BROKEN, file)}:${pos}`))
      expect(line, r.stderr).toBeDefined()
      expect(line).toMatch(message)
    })
  }

  it('reports every broken file of a folder at once, as JSON with positions', async () => {
    const r = await runCli(['playbook', 'validate', BROKEN, '--json'])
    expect(r.code).toBe(2)
    const out = JSON.parse(r.stdout) as {error: {detail: {file: string; line: number; col: number}[]}}
    expect(new Set(out.error.detail.map((p) => path.basename(p.file))).size).toBe(cases.length)
    for (const p of out.error.detail) expect(p.line).toBeGreaterThan(0)
  })

  it('lists schema and graph problems of one file together, each with file:line:col', async () => {
    const file = path.join(BROKEN, 'schema-and-graph.yaml')
    const r = await runCli(['playbook', 'validate', file])
    expect(r.code).toBe(2)
    const lines = r.stderr
      .split('\n')
      .filter((l) => l.includes(file))
      .map((l) => l.trim().slice(file.length + 1))
    expect(lines).toEqual([
      '7:5 steps[0].checklst: unknown key "checklst"; did you mean "checklist"? (step first)',
      '8:11 steps[0].next: unknown step id "finsh"; did you mean "finish"? (step first)',
      '9:9 steps[1].id: unreachable step "orphan": nothing leads here from first (step orphan)',
      '11:12 steps[1].owner: expected string (the role (from roles:) that does this step), got number 42 (step orphan)',
      '12:9 steps[2].id: unreachable step "finish": nothing leads here from first (step finish)',
    ])
    const json = await runCli(['playbook', 'validate', file, '--json'])
    expect(json.code).toBe(2)
    const {detail} = (JSON.parse(json.stdout) as {error: {detail: {line: number; col: number; path: string}[]}}).error
    expect(detail.map((p) => `${p.line}:${p.col} ${p.path}`)).toEqual([
      '7:5 steps[0].checklst',
      '8:11 steps[0].next',
      '9:9 steps[1].id',
      '11:12 steps[1].owner',
      '12:9 steps[2].id',
    ])
  })

  it('rejects steps the walk could never leave: a self-loop on any edge, and a closed cycle', async () => {
    const tmp = tmpDir()
    const file = path.join(tmp.dir, 'cycles.yaml')
    fs.writeFileSync(
      file,
      `format: nhs-ir/1
id: cycles
name: Cycles
variables:
  ok: {type: bool}
steps:
  - id: check
    type: decision
    ask: ok
    if: ok
    then: check
    else: check
  - id: ping
    type: manual
    next: pong
  - id: pong
    type: command
    argv: [true]
    on_success: ping
    on_failure: ping
  - id: repeat
    type: decision
    ask: ok
    if: ok
    then: done
    else: repeat
  - id: done
    type: end
`,
    )
    const r = await runCli(['playbook', 'validate', file, '--json'])
    expect(r.code).toBe(2)
    const {detail} = (JSON.parse(r.stdout) as {error: {detail: {line: number; col: number; message: string}[]}}).error
    const at = (line: number) => detail.filter((p) => p.line === line).map((p) => p.message)
    expect(at(11)).toEqual([expect.stringMatching(/^step "check" can only loop to itself/)])
    // ping and pong are unreachable from check, and would trap the walk if reached; repeat has a way out.
    expect(detail.some((p) => /"repeat"/.test(p.message) && !/unreachable/.test(p.message))).toBe(false)
    tmp.cleanup()
    // Reached from the start, a two-step cycle is named as one problem.
    const tmp2 = tmpDir()
    const file2 = path.join(tmp2.dir, 'ping-pong.yaml')
    fs.writeFileSync(
      file2,
      `format: nhs-ir/1
id: ping-pong
name: Ping pong
steps:
  - id: ping
    type: manual
    next: pong
  - id: pong
    type: manual
    next: ping
  - id: done
    type: end
`,
    )
    // Inside a parallel branch and a loop body too.
    const file3 = path.join(tmp2.dir, 'nested.yaml')
    fs.writeFileSync(
      file3,
      `format: nhs-ir/1
id: nested
name: Nested
variables:
  done_yet: {type: bool}
steps:
  - id: fork
    type: parallel
    branches: [left, right]
    join: repeat
  - id: left
    type: manual
    next: left
  - id: right
    type: manual
    next: repeat
  - id: repeat
    type: loop
    while: not done_yet
    do: body
    then: done
    max_iterations: 3
  - id: body
    type: manual
    ask: done_yet
    next: body
  - id: done
    type: end
`,
    )
    const r3 = await runCli(['playbook', 'validate', file3])
    expect(r3.code).toBe(2)
    expect(r3.stderr).toContain(`${file3}:13:11 steps[1].next: step "left" can only loop to itself`)
    expect(r3.stderr).toContain(`${file3}:26:11 steps[4].next: step "body" can only loop to itself`)
    const r2 = await runCli(['playbook', 'validate', file2])
    expect(r2.code).toBe(2)
    expect(r2.stderr).toContain(`${file2}:5:9 steps[0].id: the walk can never get out once it reaches "ping", "pong"`)
    expect(r2.stderr).toContain(`${file2}:11:9 steps[2].id: unreachable step "done"`)
    tmp2.cleanup()
  })

  it('does not guess what is reachable when an edge itself is unreadable, and never crashes on odd shapes', async () => {
    const tmp = tmpDir()
    const file = path.join(tmp.dir, 'odd.yaml')
    fs.writeFileSync(
      file,
      `format: nhs-ir/1
id: odd
name: Odd shapes
steps:
  - id: fork
    type: parallel
    branches: one
    join: 4
  - id: after
    type: manual
    stops_clock: {ico_72h: 5}
    ask: 7
  - hello
  - id: done
    type: end
`,
    )
    const r = await runCli(['playbook', 'validate', file, '--json'])
    expect(r.code).toBe(2)
    const {detail} = (JSON.parse(r.stdout) as {error: {detail: {line: number; col: number; message: string}[]}}).error
    expect(detail.map((p) => `${p.line}:${p.col}`)).toEqual(['7:15', '8:11', '11:18', '11:28', '12:10', '13:5'])
    expect(detail.some((p) => /unreachable|never stopped|no step stops/.test(p.message))).toBe(false)
    tmp.cleanup()
  })

  it('refuses to open an incident with a broken playbook (never half-run)', async () => {
    const tmp = tmpDir()
    const db = path.join(tmp.dir, 'db.sqlite')
    const r = await runCli([
      'incident',
      'open',
      '--title',
      'x',
      '--playbook',
      path.join(BROKEN, 'unknown-step.yaml'),
      '--db',
      db,
    ])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown-step.yaml:7:11')
    const list = await runCli(['incident', 'list', '--json', '--db', db])
    expect(JSON.parse(list.stdout).incidents).toEqual([])
    tmp.cleanup()
  })

  describe('review_by, sources and references', () => {
    const tmp = tmpDir()
    const write = (name: string, head: string) => {
      const file = path.join(tmp.dir, name)
      fs.writeFileSync(
        file,
        `format: nhs-ir/1\nid: ${name.replace('.yaml', '')}\nname: Review test\n${head}\nsteps:\n  - id: work\n    type: manual\n    references: {trust: CAF D1.b, default: DSPT 6.1.1}\n    checklist: [Do it]\n  - id: done\n    type: end\n`,
      )
      return file
    }

    afterAll(() => tmp.cleanup())

    it('warns about a review date that has passed, with its position, and still exits 0', async () => {
      const file = write(
        'stale.yaml',
        'review_by: "2020-01-31"\nsources:\n  - {title: NCSC, url: "https://www.ncsc.gov.uk"}',
      )
      const r = await runCli(['playbook', 'validate', file])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain(
        `warning: ${file}:4:12 review_by: review date 2020-01-31 has passed: review playbook stale and set a new review_by`,
      )
      expect(r.stdout).toContain('ok stale')
      const j = await runCli(['playbook', 'validate', file, '--json'])
      expect(j.code).toBe(0)
      const out = JSON.parse(j.stdout) as {
        playbooks: {reviewBy: string}[]
        warnings: {line: number; col: number; path: string; message: string}[]
      }
      expect(out.playbooks[0].reviewBy).toBe('2020-01-31')
      expect(out.warnings).toEqual([
        expect.objectContaining({line: 4, col: 12, path: 'review_by', message: expect.stringContaining('has passed')}),
      ])
      expect(j.stderr).toBe('')
    })

    it('says nothing about a review date still to come', async () => {
      const r = await runCli(['playbook', 'validate', write('fresh.yaml', 'review_by: "2999-12-31"'), '--json'])
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout).warnings).toEqual([])
    })

    it('playbook list shows each review date, marking one that has passed', async () => {
      const r = await runCli(['playbook', 'list', '--playbooks', tmp.dir, '--no-color'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/REVIEW BY/)
      expect(r.stdout).toMatch(/stale .*2020-01-31 \(past\)/)
      expect(r.stdout).toMatch(/fresh .*2999-12-31(?! \(past\))/)
      const j = await runCli(['playbook', 'list', '--playbooks', tmp.dir, '--json'])
      const rows = JSON.parse(j.stdout).playbooks as {id: string; reviewBy: string | null; reviewDue: boolean}[]
      expect(rows.map((x) => [x.id, x.reviewBy, x.reviewDue])).toEqual([
        ['fresh', '2999-12-31', false],
        ['stale', '2020-01-31', true],
      ])
      const shipped = JSON.parse((await runCli(['playbook', 'list', '--json'])).stdout).playbooks as {
        reviewBy: string | null
      }[]
      for (const p of shipped) expect(p.reviewBy).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    })

    it('rejects a review date that is not a calendar date, the old references list, and unknown organisation types', async () => {
      const bad = path.join(tmp.dir, 'bad')
      fs.mkdirSync(bad)
      fs.writeFileSync(
        path.join(bad, 'a.yaml'),
        'format: nhs-ir/1\nid: a\nname: A\nreview_by: "2027-02-30"\nsteps:\n  - id: done\n    type: end\n',
      )
      fs.writeFileSync(
        path.join(bad, 'b.yaml'),
        'format: nhs-ir/1\nid: b\nname: B\nreferences:\n  - {name: NCSC, url: "https://www.ncsc.gov.uk"}\nsteps:\n  - id: done\n    type: end\n    references: {gp_practise: DSPT 6.1.1}\n',
      )
      fs.writeFileSync(
        path.join(bad, 'c.yaml'),
        'format: nhs-ir/1\nid: c\nname: C\nvariables:\n  org_type: {type: string, values: [trust, hospice]}\nsteps:\n  - id: done\n    type: end\n',
      )
      const r = await runCli(['playbook', 'validate', bad])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('a.yaml:4:12 review_by: review_by "2027-02-30" is not a calendar date (YYYY-MM-DD)')
      expect(r.stderr).toMatch(
        /b\.yaml:5:3 references: expected object .*a list of \{title, url\} belongs under sources:/,
      )
      expect(r.stderr).toContain(
        'b.yaml:9:18 steps[0].references.gp_practise: unknown key "gp_practise"; did you mean "gp_practice"? (step done)',
      )
      expect(r.stderr).toMatch(/c\.yaml:5:44 variables\.org_type\.values\[1\]: unknown organisation type "hospice"/)
    })

    it("playbook show gives the references for --org-type, else for the playbook's org_type, else all", async () => {
      const file = write(
        'orgs.yaml',
        'variables:\n  org_type: {type: string, values: [trust, gp_practice], value: gp_practice, external: true}',
      )
      const own = await runCli(['playbook', 'show', file, '--no-color'])
      expect(own.stdout).toContain('Reference (default): DSPT 6.1.1')
      expect(own.stdout).not.toContain('CAF D1.b')
      const trust = await runCli(['playbook', 'show', file, '--org-type', 'trust', '--no-color'])
      expect(trust.stdout).toContain('Reference (trust): CAF D1.b')
      expect(trust.stdout).not.toContain('DSPT 6.1.1')
      const all = await runCli(['playbook', 'show', write('noorg.yaml', ''), '--no-color'])
      expect(all.stdout).toContain('Reference (trust): CAF D1.b')
      expect(all.stdout).toContain('Reference (default): DSPT 6.1.1')
      const ransomware = await runCli([
        'playbook',
        'show',
        'ransomware-nhs-trust',
        '--org-type',
        'gp_practice',
        '--no-color',
      ])
      expect(ransomware.stdout).toMatch(/Reference \(default\): DSPT standard 6/)
      expect(ransomware.stdout).toContain('Sources')
      expect(ransomware.stdout).toContain('https://www.reportfraud.police.uk')
    })
  })

  it('publishes the schema it validates with', async () => {
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'playbook.schema.json'), 'utf8'))
    expect(committed).toEqual(playbookSchema())
    const r = await runCli(['playbook', 'schema'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(committed)
  })
})
