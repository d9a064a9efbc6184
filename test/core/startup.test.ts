import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {catalogueSchema} from '../../src/catalogue/schema.js'
import {validateCatalogue} from '../../src/catalogue/load.js'
import {clocksSchema} from '../../src/incidents/clock-schema.js'
import {playbookSchema} from '../../src/playbooks/schema.js'
import {compileSchema} from '../../src/util/schema-compile.js'
import {schemaValidator} from '../../src/util/validators.js'
import {parseYamlFile, positionOf} from '../../src/util/yaml-schema.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'

/*
 * What start-up loads, observed in the real CLI process: test/helpers/module-trace.cjs, preloaded with
 * NODE_OPTIONS, writes the CommonJS modules (every dependency but chalk) and the built-ins it loaded.
 */
let dir: string
let cleanup: () => void
beforeEach(() => ({dir, cleanup} = tmpDir('wk-startup-')))
afterEach(() => cleanup())

async function traced(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{code: number | null; stdout: string; modules: string[]; builtins: string[]}> {
  const file = path.join(dir, `trace-${Math.random().toString(36).slice(2)}.json`)
  const r = await runCli(args, {env: {XDG_CACHE_HOME: path.join(dir, 'cache'), ...env, MODULE_TRACE_FILE: file,
    NODE_OPTIONS: `--require ${path.join(ROOT, 'test/helpers/module-trace.cjs')}`}})
  expect(r.stderr).toBe('')
  return {code: r.code, stdout: r.stdout, ...(JSON.parse(fs.readFileSync(file, 'utf8')) as {modules: string[]; builtins: string[]})}
}

const loaded = (modules: string[], pkg: string) => modules.filter((m) => m.includes(`${path.sep}node_modules${path.sep}${pkg}${path.sep}`))

describe('start-up loads only what the command uses', () => {
  it('--version: not oclif, the same line oclif printed', async () => {
    const r = await traced(['--version'])
    expect(r.code).toBe(0)
    expect(loaded(r.modules, '@oclif/core')).toEqual([])
    const pjson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {name: string; version: string}
    expect(r.stdout).toBe(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch === 'ia32' ? 'x86' : process.arch} node-${process.version}\n`)
  })

  it('--help: oclif in one file; no probe, store or YAML library', async () => {
    const r = await traced(['--help'])
    expect(r.code).toBe(0)
    // oclif comes from the build's bundle (scripts/oclif-pack.mjs), installed under @oclif/core's own path.
    expect(r.modules.some((m) => m.endsWith(path.join('dist', 'vendor', 'oclif-core.cjs')))).toBe(true)
    expect(loaded(r.modules, '@oclif/core').map((m) => path.relative(path.join(ROOT, 'node_modules', '@oclif', 'core'), m)).sort()).toEqual(['lib/index.js', 'package.json'])
    for (const pkg of ['undici', 'better-sqlite3', 'yaml', 'ajv', 'nodemailer', 'prom-client']) expect(loaded(r.modules, pkg), pkg).toEqual([])
  })

  for (const cmd of [['check', 'list'], ['check', 'validate']]) {
    it(`${cmd.join(' ')}: no undici, no database, no schema compiler; from the parse cache, no YAML parser or validator`, async () => {
      const first = await traced(cmd)
      expect(first.code).toBe(0)
      for (const pkg of ['undici', 'better-sqlite3', 'nodemailer', 'prom-client']) expect(loaded(first.modules, pkg), pkg).toEqual([])
      expect(first.modules.filter((m) => m.endsWith('.node'))).toEqual([])
      // The generated validator runs; Ajv's compiler never loads.
      expect(first.modules.some((m) => m.endsWith('validate-catalogue.cjs'))).toBe(true)
      expect(loaded(first.modules, 'ajv').filter((m) => !m.includes(`${path.sep}runtime${path.sep}`))).toEqual([])

      const again = await traced(cmd)
      expect(again.stdout).toBe(first.stdout)
      expect(loaded(again.modules, 'yaml').map((m) => path.basename(m))).toEqual(['package.json'])
      expect(again.modules.some((m) => m.endsWith('validate-catalogue.cjs'))).toBe(false)
      for (const pkg of ['undici', 'better-sqlite3']) expect(loaded(again.modules, pkg), pkg).toEqual([])
    })
  }

  it('check list --json is the same with the parse cache off, cold and warm', async () => {
    const off = await runCli(['check', 'list', '--json'], {env: {WATCHKEEPER_YAML_CACHE: 'off'}})
    const cold = await runCli(['check', 'list', '--json'], {env: {XDG_CACHE_HOME: path.join(dir, 'c')}})
    const warm = await runCli(['check', 'list', '--json'], {env: {XDG_CACHE_HOME: path.join(dir, 'c')}})
    expect(off.code).toBe(0)
    expect(cold.stdout).toBe(off.stdout)
    expect(warm.stdout).toBe(off.stdout)
  })
})

describe('the parse cache', () => {
  let env: string | undefined
  beforeEach(() => {
    env = process.env.XDG_CACHE_HOME
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache')
  })
  afterEach(() => {
    if (env === undefined) delete process.env.XDG_CACHE_HOME
    else process.env.XDG_CACHE_HOME = env
  })
  const entries = () => fs.readdirSync(path.join(dir, 'cache', 'watchkeeper', 'yaml'))

  it('gives the same value and positions as a parse; deeper positions parse the text again', () => {
    const file = path.join(dir, 'a.yaml')
    fs.writeFileSync(file, 'checks:\n  - id: one\n    kind: tcp\n    target: "127.0.0.1:25"\n  - {id: two, kind: tcp, target: "127.0.0.1:26", tags: [a, b]}\n')
    const first = validateCatalogue([file])
    expect(first.problems).toEqual([])
    expect(entries()).toHaveLength(1)
    const fresh = parseYamlFile(file).parsed
    expect(fresh?.doc).toBeUndefined()
    expect(fresh?.cache?.valid).toEqual([schemaValidator('catalogue').id])
    const again = validateCatalogue([file])
    expect(again.catalogue?.checks).toEqual(first.catalogue?.checks)
    process.env.WATCHKEEPER_YAML_CACHE = 'off'
    const parsed = parseYamlFile(file).parsed
    delete process.env.WATCHKEEPER_YAML_CACHE
    for (const p of [[], ['checks'], ['checks', 1], ['checks', 1, 'tags', 1], ['checks', 0, 'nope'], ['nope']]) {
      for (const key of [false, true]) expect(positionOf(fresh!, p, key), `${JSON.stringify(p)} ${key}`).toEqual(positionOf(parsed!, p, key))
    }
    expect(fresh?.doc).toBeDefined()
  })

  it('keeps no entry for a file with problems, reports them the same every time, and sees an edit at once', () => {
    const file = path.join(dir, 'b.yaml')
    fs.writeFileSync(file, 'checks:\n  - id: one\n    kind: tcp\n    target: "127.0.0.1:25"\n    timout: 5s\n')
    const first = validateCatalogue([file]).problems
    expect(first.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual(['5:5 unknown key "timout"; did you mean "timeout"? (check one)'])
    expect(validateCatalogue([file]).problems).toEqual(first)
    expect(fs.existsSync(path.join(dir, 'cache'))).toBe(false)
    fs.writeFileSync(file, 'checks:\n  - id: one\n    kind: tcp\n    target: "127.0.0.1:25"\n    timeout: 5s\n')
    expect(validateCatalogue([file]).problems).toEqual([])
    fs.writeFileSync(file, 'checks:\n  - id: one\n    kind: tcp\n    target: "127.0.0.1:25"\n    timeout: 5 s\n')
    expect(validateCatalogue([file]).problems.map((p) => `${p.line}:${p.col}`)).toEqual(['5:14'])
  })

  it('does not cache values JSON cannot carry', () => {
    const file = path.join(dir, 'c.yaml')
    fs.writeFileSync(file, 'checks: []\nx: .inf\n')
    const {parsed} = parseYamlFile(file)
    expect(parsed?.value).toEqual({checks: [], x: Infinity})
    expect(parsed?.cache).toBeUndefined()
  })
})

describe('the generated validators', () => {
  const invalid: [string, () => Record<string, unknown>, unknown[]][] = [
    ['catalogue', catalogueSchema, [
      {checks: [{id: 'a', kind: 'http', target: 'http://x', timout: '5s', expect: {status: 'two hundred'}}, {id: 'B', kind: 'tpc'}, {kind: 'dns', target: 1, timeout: '30d'}]},
      {defaults: {retries: 'lots', tier: 'gold-ish'}, checks: 'none', extra: 1},
    ]],
    ['playbook', playbookSchema, [{format: 2, id: 'X', steps: [{id: 'a', next: 'b', ask: [], starts_clock: 7}]}, {}]],
    ['clocks', clocksSchema, [{clocks: [{name: 'a', duration: 'P1', business_days: 0}]}, {clocks: []}]],
  ]
  for (const [name, schema, docs] of invalid) {
    it(`${name}: the same errors as Ajv compiling the schema at run time`, () => {
      const generated = schemaValidator(name as 'catalogue').validate()
      const compiled = compileSchema(schema())
      for (const doc of docs) {
        expect(generated(doc)).toBe(false)
        expect(compiled(doc)).toBe(false)
        expect(generated.errors).toEqual(compiled.errors)
      }
    })
  }
})
