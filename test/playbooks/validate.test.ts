import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

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

  it('publishes the schema it validates with', async () => {
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'playbook.schema.json'), 'utf8'))
    expect(committed).toEqual(playbookSchema())
    const r = await runCli(['playbook', 'schema'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(committed)
  })
})
