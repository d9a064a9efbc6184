import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {SHIPPED_EXERCISES, validateExercises} from '../../src/exercises/load.js'
import {exerciseSchema} from '../../src/exercises/schema.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'

let tmp: {dir: string; cleanup: () => void}
beforeEach(() => {
  tmp = tmpDir('wk-exs-')
})
afterEach(() => tmp.cleanup())

const SHIPPED = fs.readFileSync(path.join(ROOT, 'exercises', 'national-endpoint-ddos.yaml'), 'utf8')

function write(text: string): string {
  const file = path.join(tmp.dir, 'drill.yaml')
  fs.writeFileSync(file, text)
  return file
}

describe('exercise scenarios', () => {
  it('every shipped scenario validates, cites its sources and names a known EPRR type', () => {
    const {scenarios, problems} = validateExercises([SHIPPED_EXERCISES])
    expect(problems).toEqual([])
    expect(scenarios.map((s) => s.scenario.id).sort()).toEqual([
      'cyber-alert-48h',
      'national-endpoint-ddos',
      'pathology-supplier-ransomware',
    ])
    for (const {scenario} of scenarios) {
      expect(scenario.sources.length).toBeGreaterThan(0)
      for (const s of scenario.sources) expect(s.url).toMatch(/^https:\/\//)
    }
  })

  it('schemas/exercise.schema.json is the schema the loader validates with (regenerate: scripts/update-docs.sh)', () => {
    const published = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'exercise.schema.json'), 'utf8'))
    expect(published).toEqual(JSON.parse(JSON.stringify(exerciseSchema())))
  })

  it('names every mistake at file:line:col with its key path, and a did-you-mean where one fits', () => {
    const bad = SHIPPED.replace('  failures: 2\n', '  failures: 2\n  intervall: 1s\n').replace(
      'fault: hang',
      'fault: hangg',
    )
    const file = write(bad)
    const {problems} = validateExercises([file])
    const lines = bad.split('\n')
    const at = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1
    expect(problems.map((p) => [p.line, p.path, p.message])).toEqual([
      [at('intervall'), 'watch.intervall', 'unknown key "intervall"; did you mean "interval"?'],
      [
        at('fault: hangg'),
        'injects[2].fault',
        expect.stringMatching(
          /^expected one of "5xx", "hang".*got string "hangg"; did you mean "hang"\? \(inject down\)$/,
        ),
      ],
    ])
    for (const p of problems) expect(p.file).toBe(file)
  })

  it('checks what the schema cannot: services, faults, roles, clocks and offsets', () => {
    const bad = SHIPPED.replace('role: comms}', 'role: coms}')
      .replace('target: pds-api\n    fault: 5xx', 'target: pds-apj\n    fault: 5xx')
      .replace('fault: latency\n    delay: 1500ms', 'fault: dmarc-removed')
      .replace('at: PT4H', 'at: PT7H')
      .replace('pir_5bd: on_time', 'pir_5db: on_time')
    const {problems} = validateExercises([write(bad)])
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'participants[4].role: playbook ddos-national-endpoint has no role "coms"; did you mean "comms"?',
      'injects[1].fault: fault dmarc-removed does not apply to a website service (nhs-website); it applies to mail-domain',
      'injects[3].target: no estate service "pds-apj"; did you mean "pds-api"?',
      'injects[7].at: inject subsides at PT7H comes after the end of the exercise (duration PT6H)',
      'expect.clocks.pir_5db: no clock "pir_5db"; did you mean "pir_5bd"?',
    ])
  })

  it('a playbook that does not exist is named at playbook:', () => {
    const {problems} = validateExercises([
      write(SHIPPED.replace('playbook: ddos-national-endpoint', 'playbook: ddos-national-endpiont')),
    ])
    expect(problems).toHaveLength(1)
    expect(problems[0].path).toBe('playbook')
    expect(problems[0].message).toContain('Did you mean "ddos-national-endpoint"?')
  })

  it('exercise validate and list: exit 2 with located problems, and a table of the shipped scenarios', async () => {
    const file = write(SHIPPED.replace('kind: website', 'kind: websight'))
    const r = await runCli(['exercise', 'validate', file])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${file}:`)
    expect(r.stderr).toContain('estate[0].kind: expected one of "api", "website", "mail-domain"')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    const j = await runCli(['exercise', 'validate', file, '--json'])
    expect(JSON.parse(j.stdout).error.code).toBe('E_DEFINITION')
    const list = await runCli(['exercise', 'list', '--json'])
    expect(list.code).toBe(0)
    expect(
      (JSON.parse(list.stdout) as {scenarios: {id: string; type: string}[]}).scenarios.map((s) => [s.id, s.type]),
    ).toEqual([
      ['cyber-alert-48h', 'table-top'],
      ['national-endpoint-ddos', 'live'],
      ['pathology-supplier-ransomware', 'table-top'],
    ])
    const schema = await runCli(['exercise', 'schema'])
    expect(JSON.parse(schema.stdout).$id).toBe('https://watchkeeper.dev/schemas/exercise.schema.json')
  })
})
