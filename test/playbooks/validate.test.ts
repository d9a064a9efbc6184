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
      'cyber-alert-high-severity', 'ddos-national-endpoint', 'email-spoofing-dmarc', 'personal-data-breach', 'ransomware-nhs-trust',
      'supplier-compromise', 'tls-certificate-incident',
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

  it('refuses to open an incident with a broken playbook (never half-run)', async () => {
    const tmp = tmpDir()
    const db = path.join(tmp.dir, 'db.sqlite')
    const r = await runCli(['incident', 'open', '--title', 'x', '--playbook', path.join(BROKEN, 'unknown-step.yaml'), '--db', db])
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
      fs.writeFileSync(file, `format: nhs-ir/1\nid: ${name.replace('.yaml', '')}\nname: Review test\n${head}\nsteps:\n  - id: work\n    type: manual\n    references: {trust: CAF D1.b, default: DSPT 6.1.1}\n    checklist: [Do it]\n  - id: done\n    type: end\n`)
      return file
    }
    afterAll(() => tmp.cleanup())

    it('warns about a review date that has passed, with its position, and still exits 0', async () => {
      const file = write('stale.yaml', 'review_by: "2020-01-31"\nsources:\n  - {title: NCSC, url: "https://www.ncsc.gov.uk"}')
      const r = await runCli(['playbook', 'validate', file])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain(`warning: ${file}:4:12 review_by: review date 2020-01-31 has passed: review playbook stale and set a new review_by`)
      expect(r.stdout).toContain('ok stale')
      const j = await runCli(['playbook', 'validate', file, '--json'])
      expect(j.code).toBe(0)
      const out = JSON.parse(j.stdout) as {playbooks: {reviewBy: string}[]; warnings: {line: number; col: number; path: string; message: string}[]}
      expect(out.playbooks[0].reviewBy).toBe('2020-01-31')
      expect(out.warnings).toEqual([expect.objectContaining({line: 4, col: 12, path: 'review_by', message: expect.stringContaining('has passed')})])
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
      expect(rows.map((x) => [x.id, x.reviewBy, x.reviewDue])).toEqual([['fresh', '2999-12-31', false], ['stale', '2020-01-31', true]])
      const shipped = JSON.parse((await runCli(['playbook', 'list', '--json'])).stdout).playbooks as {reviewBy: string | null}[]
      for (const p of shipped) expect(p.reviewBy).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    })

    it('rejects a review date that is not a calendar date, the old references list, and unknown organisation types', async () => {
      const bad = path.join(tmp.dir, 'bad')
      fs.mkdirSync(bad)
      fs.writeFileSync(path.join(bad, 'a.yaml'), 'format: nhs-ir/1\nid: a\nname: A\nreview_by: "2027-02-30"\nsteps:\n  - id: done\n    type: end\n')
      fs.writeFileSync(path.join(bad, 'b.yaml'), 'format: nhs-ir/1\nid: b\nname: B\nreferences:\n  - {name: NCSC, url: "https://www.ncsc.gov.uk"}\nsteps:\n  - id: done\n    type: end\n    references: {gp_practise: DSPT 6.1.1}\n')
      fs.writeFileSync(path.join(bad, 'c.yaml'), 'format: nhs-ir/1\nid: c\nname: C\nvariables:\n  org_type: {type: string, values: [trust, hospice]}\nsteps:\n  - id: done\n    type: end\n')
      const r = await runCli(['playbook', 'validate', bad])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('a.yaml:4:12 review_by: review_by "2027-02-30" is not a calendar date (YYYY-MM-DD)')
      expect(r.stderr).toMatch(/b\.yaml:5:3 references: expected object .*a list of \{title, url\} belongs under sources:/)
      expect(r.stderr).toContain('b.yaml:9:18 steps[0].references.gp_practise: unknown key "gp_practise"; did you mean "gp_practice"? (step done)')
      expect(r.stderr).toMatch(/c\.yaml:5:44 variables\.org_type\.values\[1\]: unknown organisation type "hospice"/)
    })

    it('playbook show gives the references for --org-type, else for the playbook\'s org_type, else all', async () => {
      const file = write('orgs.yaml', 'variables:\n  org_type: {type: string, values: [trust, gp_practice], value: gp_practice, external: true}')
      const own = await runCli(['playbook', 'show', file, '--no-color'])
      expect(own.stdout).toContain('Reference (default): DSPT 6.1.1')
      expect(own.stdout).not.toContain('CAF D1.b')
      const trust = await runCli(['playbook', 'show', file, '--org-type', 'trust', '--no-color'])
      expect(trust.stdout).toContain('Reference (trust): CAF D1.b')
      expect(trust.stdout).not.toContain('DSPT 6.1.1')
      const all = await runCli(['playbook', 'show', write('noorg.yaml', ''), '--no-color'])
      expect(all.stdout).toContain('Reference (trust): CAF D1.b')
      expect(all.stdout).toContain('Reference (default): DSPT 6.1.1')
      const ransomware = await runCli(['playbook', 'show', 'ransomware-nhs-trust', '--org-type', 'gp_practice', '--no-color'])
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
