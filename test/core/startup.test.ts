import type {AddressInfo} from 'node:net'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {validateCatalogue} from '../../src/catalogue/load.js'
import {catalogueSchema} from '../../src/catalogue/schema.js'
import {PROBE_CHECKS_ID} from '../../src/generated/validator-ids.js'
import {clocksSchema} from '../../src/incidents/clock-schema.js'
import {playbookSchema} from '../../src/playbooks/schema.js'
import {PROBES} from '../../src/probes/index.js'
import {PROBE_SPECS} from '../../src/probes/specs.js'
import {compileSchema} from '../../src/util/schema-compile.js'
import {schemaValidator} from '../../src/util/validators.js'
import {parseYamlFile, positionOf} from '../../src/util/yaml-schema.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'

/*
 * What start-up loads, observed in the real CLI process: test/helpers/module-trace.cjs, preloaded with
 * NODE_OPTIONS, writes the CommonJS and ES modules and the built-ins it loaded.
 */
let dir: string
let cleanup: () => void
beforeEach(() => ({dir, cleanup} = tmpDir('wk-startup-')))
afterEach(() => cleanup())

async function traced(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{code: number | null; stdout: string; modules: string[]; builtins: string[]}> {
  const file = path.join(dir, `trace-${Math.random().toString(36).slice(2)}.json`)
  const r = await runCli(args, {
    env: {
      XDG_CACHE_HOME: path.join(dir, 'cache'),
      ...env,
      MODULE_TRACE_FILE: file,
      NODE_OPTIONS: `--require ${path.join(ROOT, 'test/helpers/module-trace.cjs')}`,
    },
  })
  expect(r.stderr).toBe('')
  const {modules, builtins} = JSON.parse(fs.readFileSync(file, 'utf8')) as {modules: string[]; builtins: string[]}
  const esm = fs.existsSync(`${file}.esm`) ? fs.readFileSync(`${file}.esm`, 'utf8').split('\n').filter(Boolean) : []
  return {code: r.code, stdout: r.stdout, modules: [...new Set([...modules, ...esm])], builtins}
}

const loaded = (modules: string[], pkg: string) =>
  modules.filter((m) => m.includes(`${path.sep}node_modules${path.sep}${pkg}${path.sep}`))

describe('start-up loads only what the command uses', () => {
  it('--version: not oclif, the same line oclif printed', async () => {
    const r = await traced(['--version'])
    expect(r.code).toBe(0)
    expect(loaded(r.modules, '@oclif/core')).toEqual([])
    const pjson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      name: string
      version: string
    }
    expect(r.stdout).toBe(
      `${pjson.name}/${pjson.version} ${process.platform}-${process.arch === 'ia32' ? 'x86' : process.arch} node-${process.version}\n`,
    )
  })

  it('--help: oclif in one file; no probe, store or YAML library', async () => {
    const r = await traced(['--help'])
    expect(r.code).toBe(0)
    // oclif comes from the build's bundle (scripts/oclif-pack.mjs), installed under @oclif/core's own path.
    expect(r.modules.some((m) => m.endsWith(path.join('dist', 'vendor', 'oclif-core.cjs')))).toBe(true)
    expect(
      loaded(r.modules, '@oclif/core')
        .map((m) => path.relative(path.join(ROOT, 'node_modules', '@oclif', 'core'), m))
        .sort(),
    ).toEqual(['lib/index.js', 'package.json'])
    for (const pkg of ['undici', 'better-sqlite3', 'yaml', 'ajv', 'nodemailer', 'prom-client'])
      expect(loaded(r.modules, pkg), pkg).toEqual([])
    // Of our own build: the stdout guard, the code cache, the bundle and the init hook; no command.
    expect(
      r.modules
        .filter((m) => m.startsWith(path.join(ROOT, 'dist') + path.sep))
        .map((m) => path.relative(path.join(ROOT, 'dist'), m))
        .sort(),
    ).toEqual(['hooks/watch-heap.js', 'stdout-guard.js', 'util/code-cache.js', 'vendor/oclif-core.cjs'])
  })

  for (const cmd of [
    ['check', 'list'],
    ['check', 'validate'],
  ]) {
    it(`${cmd.join(' ')}: no undici, no database, no schema compiler; from the parse cache, no YAML parser or validator`, async () => {
      const first = await traced(cmd)
      expect(first.code).toBe(0)
      // check validate reads the notifiers' settings, whose module loads nodemailer (src/notify/providers/email.ts).
      for (const pkg of ['undici', 'better-sqlite3', 'prom-client', ...(cmd[1] === 'list' ? ['nodemailer'] : [])])
        expect(loaded(first.modules, pkg), pkg).toEqual([])
      expect(first.modules.filter((m) => m.endsWith('.node'))).toEqual([])
      // The generated validator runs; Ajv's compiler never loads. YAML is parsed by the build's one-file copy.
      expect(first.modules.some((m) => m.endsWith('validate-catalogue.cjs'))).toBe(true)
      expect(first.modules.some((m) => m.endsWith(path.join('dist', 'vendor', 'yaml.cjs')))).toBe(true)
      expect(loaded(first.modules, 'yaml').map((m) => path.basename(m))).toEqual(['package.json'])
      expect(loaded(first.modules, 'ajv').filter((m) => !m.includes(`${path.sep}runtime${path.sep}`))).toEqual([])

      // No network module: the probes' specs (schema, validation) are apart from their run().
      if (cmd[1] === 'list')
        for (const b of ['tls', 'dns', 'http', 'https', '_http_client']) expect(first.builtins, b).not.toContain(b)
      const probes = first.modules
        .filter((m) => m.startsWith(path.join(ROOT, 'dist', 'probes') + path.sep))
        .map((m) => path.basename(m))
        .sort()
      expect(probes).toEqual([
        'address.js',
        'dns-spec.js',
        'email-security-spec.js',
        'http-assert.js',
        'http-spec.js',
        'observatory-score.js',
        'specs.js',
        'tcp-spec.js',
        'tls-posture-spec.js',
        'tls-spec.js',
        'web-security-spec.js',
      ])

      const again = await traced(cmd)
      expect(again.stdout).toBe(first.stdout)
      expect(loaded(again.modules, 'yaml').map((m) => path.basename(m))).toEqual(['package.json'])
      expect(again.modules.some((m) => m.endsWith('validate-catalogue.cjs'))).toBe(false)
      // The probes' own validation passed on the first run; the regex engine is not loaded again.
      for (const pkg of ['undici', 'better-sqlite3', 're2js']) expect(loaded(again.modules, pkg), pkg).toEqual([])
    })
  }

  it('--help and check list compile the bundled oclif through the code cache, and survive a bad entry', async () => {
    const v8 = path.join(dir, 'cache', 'watchkeeper', 'v8')
    const first = await traced(['--help'])
    const [entry] = fs.readdirSync(v8)
    expect(entry).toMatch(/^[0-9a-f]{64}\.bin$/)
    const {size} = fs.statSync(path.join(v8, entry))
    expect(size).toBeGreaterThan(10_000)
    fs.writeFileSync(path.join(v8, entry), 'not a code cache')
    const again = await traced(['--help'])
    expect(again.stdout).toBe(first.stdout)
    // V8 rejected the bad entry; it was compiled as usual and the entry written again.
    expect(fs.statSync(path.join(v8, entry)).size).toBeGreaterThan(10_000)
    // Parsing the catalogue adds the bundled yaml and the generated validator.
    const list = await traced(['check', 'list', '--json'])
    expect(list.code).toBe(0)
    expect(fs.readdirSync(v8)).toHaveLength(3)
    expect(fs.readdirSync(v8)).toContain(entry)
    const off = await runCli(['check', 'list', '--json'], {
      env: {XDG_CACHE_HOME: path.join(dir, 'off'), WATCHKEEPER_CODE_CACHE: 'off'},
    })
    expect(off.stdout).toBe(list.stdout)
    expect(fs.existsSync(path.join(dir, 'off', 'watchkeeper', 'v8'))).toBe(false)
  })

  it('check run loads undici from the bundle in the probe thread, which writes its code cache entry', async () => {
    const server = http.createServer((_req, res) => res.end('{"status":"pass"}'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const {port} = server.address() as AddressInfo
      const file = path.join(dir, 'one.yaml')
      fs.writeFileSync(file, `checks:\n  - {id: one, kind: http, target: "http://127.0.0.1:${port}/"}\n`)
      const bundle = path.join(ROOT, 'dist', 'vendor', 'undici.cjs')
      const key = crypto
        .createHash('sha256')
        .update(`${process.version}\0${process.arch}\0${bundle}\0`)
        .update(fs.readFileSync(bundle, 'utf8'))
        .digest('hex')
      const entry = path.join(dir, 'cache', 'watchkeeper', 'v8', `${key}.bin`)
      const args = ['check', 'run', '--checks', file, '--json', '--db', path.join(dir, 'run.db')]
      const env = {XDG_CACHE_HOME: path.join(dir, 'cache')}
      const first = await runCli(args, {env})
      expect(first.code).toBe(0)
      expect(JSON.parse(first.stdout).results[0].status).toBe('ok')
      // Written by the probe thread after its warm-up (a worker's exit handlers do not run at process exit).
      expect(fs.statSync(entry).size).toBeGreaterThan(10_000)
      const again = await runCli(args, {env})
      expect(again.code).toBe(0)
      expect(JSON.parse(again.stdout).results[0].status).toBe('ok')
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

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
    fs.writeFileSync(
      file,
      'checks:\n  - id: one\n    kind: tcp\n    target: "127.0.0.1:25"\n  - {id: two, kind: tcp, target: "127.0.0.1:26", tags: [a, b]}\n',
    )
    const first = validateCatalogue([file])
    expect(first.problems).toEqual([])
    expect(entries()).toHaveLength(1)
    const fresh = parseYamlFile(file).parsed
    expect(fresh?.doc).toBeUndefined()
    expect(fresh?.cache?.valid).toEqual([schemaValidator('catalogue').id, PROBE_CHECKS_ID])
    const again = validateCatalogue([file])
    expect(again.catalogue?.checks).toEqual(first.catalogue?.checks)
    process.env.WATCHKEEPER_YAML_CACHE = 'off'
    const {parsed} = parseYamlFile(file)
    delete process.env.WATCHKEEPER_YAML_CACHE
    for (const p of [[], ['checks'], ['checks', 1], ['checks', 1, 'tags', 1], ['checks', 0, 'nope'], ['nope']]) {
      for (const key of [false, true])
        expect(positionOf(fresh!, p, key), `${JSON.stringify(p)} ${key}`).toEqual(positionOf(parsed!, p, key))
    }

    expect(fresh?.doc).toBeDefined()
  })

  it('keeps no entry for a file with problems, reports them the same every time, and sees an edit at once', () => {
    const file = path.join(dir, 'b.yaml')
    fs.writeFileSync(file, 'checks:\n  - id: one\n    kind: tcp\n    target: "127.0.0.1:25"\n    timout: 5s\n')
    const first = validateCatalogue([file]).problems
    expect(first.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
      '5:5 unknown key "timout"; did you mean "timeout"? (check one)',
    ])
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

describe("the probes' own validation in the parse cache", () => {
  let saved: string | undefined
  beforeEach(() => {
    saved = process.env.XDG_CACHE_HOME
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache')
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME
    else process.env.XDG_CACHE_HOME = saved
  })
  const write = (name: string, text: string) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, text)
    return file
  }

  const passed = (file: string) => parseYamlFile(file).parsed?.cache?.valid.includes(PROBE_CHECKS_ID)

  it('records a file whose checks passed, never one with a bad pattern', () => {
    const good = write('good.yaml', 'checks:\n  - {id: a, kind: tcp, target: "127.0.0.1:25", banner: "^220 "}\n')
    expect(validateCatalogue([good]).problems).toEqual([])
    expect(passed(good)).toBe(true)
    expect(validateCatalogue([good]).catalogue?.checks.map((c) => c.id)).toEqual(['a'])
    const bad = write('bad.yaml', 'checks:\n  - {id: b, kind: tcp, target: "127.0.0.1:25", banner: "(a)\\\\1"}\n')
    for (let i = 0; i < 2; i++) {
      expect(validateCatalogue([bad]).problems.map((p) => `${p.line}:${p.col} ${p.message}`)).toEqual([
        String.raw`2:56 regular expression: backreference \1 at character 4 is not supported: patterns run on RE2, in linear time, which has no backreferences (check b)`,
      ])
    }

    expect(passed(bad)).toBeFalsy()
  })

  it('validates again a check that takes values from the environment', () => {
    const file = write(
      'env.yaml',
      'checks:\n  - {id: c, kind: http, target: "https://127.0.0.1/", expect: {matches: "${env:WK_PATTERN}"}}\n',
    )
    expect(validateCatalogue([file], {env: {WK_PATTERN: '^ok$'}}).problems).toEqual([])
    expect(passed(file)).toBeFalsy()
    expect(validateCatalogue([file], {env: {WK_PATTERN: '(?=x)'}}).problems.map((p) => p.message)).toEqual([
      'regular expression: lookahead (?= at character 1 is not supported: patterns run on RE2, in linear time, which has no lookaround (check c)',
    ])
  })

  it('skips nothing for a check that interpolates, in a file recorded while its variables were unset', () => {
    const text =
      'checks:\n  - {id: d, kind: tcp, target: "127.0.0.1:25", banner: "^220"}\n  - {id: e, kind: tcp, target: "127.0.0.1:25", requires_env: [WK_BANNER], banner: "${env:WK_BANNER}"}\n'
    const file = write('mixed.yaml', text)
    expect(validateCatalogue([file], {env: {}}).problems).toEqual([])
    expect(passed(file)).toBe(true)
    expect(validateCatalogue([file], {env: {WK_BANNER: '(?<=a)b'}}).problems.map((p) => `${p.line} ${p.path}`)).toEqual(
      ['3 checks[1].banner'],
    )
  })
})

describe('the probe registries', () => {
  it('PROBES are PROBE_SPECS with run(), kind for kind, in the same order', () => {
    expect([...PROBES.keys()]).toEqual([...PROBE_SPECS.keys()])
    for (const [kind, spec] of PROBE_SPECS) {
      const probe = PROBES.get(kind)!
      expect(typeof probe.run).toBe('function')
      const {run: _run, ...rest} = probe
      expect(rest, kind).toEqual(spec)
      expect(probe.validate, kind).toBe(spec.validate)
    }
  })
})

describe('the generated validators', () => {
  const invalid: [string, () => Record<string, unknown>, unknown[]][] = [
    [
      'catalogue',
      catalogueSchema,
      [
        {
          checks: [
            {id: 'a', kind: 'http', target: 'http://x', timout: '5s', expect: {status: 'two hundred'}},
            {id: 'B', kind: 'tpc'},
            {kind: 'dns', target: 1, timeout: '30d'},
          ],
        },
        {defaults: {retries: 'lots', tier: 'gold-ish'}, checks: 'none', extra: 1},
      ],
    ],
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
