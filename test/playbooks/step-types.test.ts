import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {describeEvent} from '../../src/incidents/describe.js'
import {validatePlaybooks} from '../../src/playbooks/load.js'
import {playbookSchema} from '../../src/playbooks/schema.js'
import {STEP_KINDS, STEP_TYPE_NAMES} from '../../src/playbooks/steps/index.js'
import {ROOT, runCli} from '../helpers/cli.js'

/*
 * Every registered step type carries its own schema, is documented in the step-type table of
 * docs/incidents.md with each of its own keys, is walked by a test fixture, and describes its own events.
 */
const COMMON = new Set([
  'id',
  'type',
  'name',
  'description',
  'owner',
  'next',
  'ask',
  'record',
  'starts_clock',
  'stops_clock',
  'restarts_clock',
  'references',
])
const schema = playbookSchema() as {
  properties: {
    steps: {
      items: {
        oneOf: {title: string; properties: Record<string, {const?: string}>}[]
        properties: {type: {enum: string[]}}
      }
    }
  }
}
const stepSchemas = schema.properties.steps.items.oneOf
const docs = fs.readFileSync(path.join(ROOT, 'docs', 'incidents.md'), 'utf8')
const fixtures = path.join(ROOT, 'test', 'fixtures', 'playbooks')
// The fixtures that load (some are broken on purpose, for the validation tests).
const walked = validatePlaybooks([fixtures], Date.parse('2026-12-01T00:00:00Z'))
const event = (type: string, data: Record<string, unknown>) => ({
  incidentId: 1,
  seq: 1,
  occurredAt: 0,
  recordedAt: 0,
  actor: 'a',
  type,
  data,
  prevHash: '',
  hash: '',
})

describe('the step-type registry', () => {
  it("registers each type under its own name, in the schema's order", () => {
    expect(Object.entries(STEP_KINDS).map(([name, k]) => [name, k.type])).toEqual(STEP_TYPE_NAMES.map((n) => [n, n]))
    expect(schema.properties.steps.items.properties.type.enum).toEqual([...STEP_TYPE_NAMES])
    expect(stepSchemas.map((s) => s.properties.type.const)).toEqual([...STEP_TYPE_NAMES])
  })

  for (const [name, kind] of Object.entries(STEP_KINDS)) {
    describe(name, () => {
      const own = Object.keys(stepSchemas.find((s) => s.properties.type.const === name)?.properties ?? {}).filter(
        (k) => !COMMON.has(k),
      )

      it('has its schema in the published playbook schema', () => {
        expect(stepSchemas.find((s) => s.properties.type.const === name)?.title).toBe(`${name} step`)
        expect(kind.schema).toBeTypeOf('function')
        // The graph checks read every key of the type that names a step.
        for (const key of Object.keys(kind.fields)) expect(own, key).toContain(key)
      })

      it('has a row in the step-type table of docs/incidents.md naming each of its keys', () => {
        const row = docs.split('\n').find((l) => l.startsWith(`| \`${name}\` |`))
        expect(row, `docs/incidents.md has no row for ${name}`).toMatch(/^\| `[a-z]+` \|.*\| .+ \|$/)
        for (const key of own) expect(row, key).toContain(`\`${key}\``)
      })

      it('is walked by a test fixture playbook', () => {
        const users = walked.playbooks.filter((p) =>
          [p, ...Object.values(p.subs)].some((x) => x.steps.some((s) => s.type === name)),
        )
        expect(
          users.map((p) => path.relative(fixtures, p.file)).length,
          `no fixture under test/fixtures/playbooks has a ${name} step`,
        ).toBeGreaterThan(0)
      })

      it('describes each event it writes in its own words', () => {
        for (const type of Object.keys(kind.events ?? {}))
          expect(
            describeEvent(event(type, {step: 'x', until: 0, argv: ['true'], branches: [{at: 'x'}], iterations: 1})),
            type,
          ).not.toMatch(new RegExp(`^${type} `))
      })
    })
  }
})

describe('TypeBox loads only where the schema is built', () => {
  const env = {NODE_OPTIONS: `--import ${path.join(ROOT, 'test', 'playbooks', 'support', 'refuse-typebox.mjs')}`}

  it('validating and showing playbooks never import it; printing the schema does', async () => {
    const validate = await runCli(['playbook', 'validate'], {env})
    expect(validate.stderr).toBe('')
    expect(validate.code).toBe(0)
    const show = await runCli(['playbook', 'show', 'ransomware-nhs-trust'], {env})
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(/^Ransomware/)
    const schema = await runCli(['playbook', 'schema'], {env})
    expect(schema.code).not.toBe(0)
    expect(schema.stderr).toMatch(/TypeBox loaded: @sinclair\/typebox/)
  })
})
