import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {catalogueSchema} from '../../../src/catalogue/schema.js'
import {
  DOCS_END,
  DOCS_START,
  providerDocs,
  providerNames,
  withProviderDocs,
  withProviderList,
} from '../../../src/notify/providers/docs.js'
import {PROVIDERS} from '../../../src/notify/providers/index.js'
import {PROVIDER_SCHEMAS} from '../../../src/notify/providers/schemas.js'
import {ROOT, runCli, tmpDir} from '../../helpers/cli.js'
import {providerHarness} from './helpers.js'

const {load} = providerHarness()

const providersDir = path.join(ROOT, 'src', 'notify', 'providers')
const types = [...PROVIDERS.keys()]
/** A value import (not `import type`) of TypeBox or of a schema module. */
const RUNTIME_SCHEMA_IMPORT =
  /^import (?!type )[^\n]*from '(\.\/schema(-kit)?\.js|\.\.\/schema-kit\.js|@sinclair\/typebox[^']*)'/m

interface Branch {
  title: string
  properties: Record<string, unknown>
  required: string[]
}
const branches = (): Branch[] => {
  const schema = catalogueSchema() as {properties: {notifiers: {additionalProperties: {oneOf: Branch[]}}}}
  return schema.properties.notifiers.additionalProperties.oneOf
}

describe('the provider registry', () => {
  it('registers each provider once, with its schema in the catalogue', () => {
    expect(types).toEqual(expect.arrayContaining(['webhook', 'slack', 'teams', 'pagerduty', 'opsgenie', 'email']))
    expect(new Set(types).size).toBe(types.length)
    const {problems} = load('  pd: {type: pagerduty, url: "${env:X}", routing_key: "${env:PD}"}\n', {PD: 'k'})
    expect(problems.join('\n')).toMatch(/notifiers\.pd\.url.*unknown key/i)
    const secret = load('  pd: {type: pagerduty, routing_key: "R0UT1NGKEY"}\n', {})
    expect(secret.problems.join('\n')).toMatch(/notifiers\.pd\.routing_key/)
  })

  it('names the unset variable and the notifier', () => {
    expect(load('  og: {type: opsgenie, api_key: "${env:OG_KEY}"}\n', {}).problems).toEqual([
      '4:33 notifiers.og.api_key: environment variable OG_KEY is not set (the API key of notifier "og")',
    ])
  })

  it('lays every provider out in its own folder: the provider, schema.ts, docs.md', () => {
    const folders = fs
      .readdirSync(providersDir, {withFileTypes: true})
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
    expect(folders).toEqual([...types].sort())
    for (const type of types) {
      expect(fs.readdirSync(path.join(providersDir, type)).sort(), type).toEqual(
        expect.arrayContaining(['docs.md', 'schema.ts', `${type}.ts`]),
      )
    }
  })

  it('gives every provider a schema, in the catalogue schema with its keys and required keys', () => {
    const bs = branches()
    expect(bs.map((b) => b.title)).toEqual(types.map((t) => `${t} notifier`))
    for (const p of PROVIDER_SCHEMAS) {
      expect(p.description, p.type).toMatch(/^\S.{10,}/)
      const b = bs.find((x) => x.title === `${p.type} notifier`)!
      expect(b.properties.type, p.type).toEqual({const: p.type})
      for (const key of Object.keys(p.keys.properties))
        expect(Object.keys(b.properties), `${p.type}.${key}`).toContain(key)
      expect(b.required, p.type).toEqual(['type', ...(p.keys.required ?? [])])
    }
  })

  it('loads no schema module (TypeBox) with the run-time registry', async () => {
    // Each provider links its schema by a lazy import, so the loader and the dispatcher never pull TypeBox in.
    for (const type of types) {
      const text = fs.readFileSync(path.join(providersDir, type, `${type}.ts`), 'utf8')
      expect(text, type).not.toMatch(RUNTIME_SCHEMA_IMPORT)
      expect(text, type).toContain("schema: () => import('./schema.js')")
    }

    for (const file of ['index.ts', 'provider.ts', 'alerting.ts'])
      expect(fs.readFileSync(path.join(providersDir, file), 'utf8'), file).not.toMatch(RUNTIME_SCHEMA_IMPORT)
  })

  it('keeps TypeBox out of the real CLI but where the catalogue schema is built (module resolutions traced)', async () => {
    const {dir, cleanup} = tmpDir('wk-tb-')
    try {
      // An ESM resolve hook (the CommonJS trace of test/core/startup.test.ts cannot see .mjs modules) writes every URL resolved.
      const log = path.join(dir, 'resolved.txt')
      fs.writeFileSync(
        path.join(dir, 'hooks.mjs'),
        `import fs from 'node:fs'\nexport async function resolve(s, c, next) {\n  const r = await next(s, c)\n  fs.appendFileSync(${JSON.stringify(log)}, r.url + '\\n')\n  return r\n}\n`,
      )
      fs.writeFileSync(
        path.join(dir, 'register.mjs'),
        `import {register} from 'node:module'\nregister(${JSON.stringify('file://' + path.join(dir, 'hooks.mjs'))})\n`,
      )
      const catalogue = path.join(dir, 'checks.yaml')
      fs.writeFileSync(
        catalogue,
        'checks:\n  - {id: a, kind: tcp, target: "127.0.0.1:1"}\nnotifiers:\n  ops: {type: slack, url: "${env:SLACK_URL}"}\n',
      )
      const typebox = async (args: string[]): Promise<number> => {
        fs.writeFileSync(log, '')
        const r = await runCli(args, {
          env: {
            SLACK_URL: 'http://127.0.0.1:1/x',
            WATCHKEEPER_YAML_CACHE: 'off',
            NODE_OPTIONS: `--import ${path.join(dir, 'register.mjs')}`,
          },
        })
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
        return fs
          .readFileSync(log, 'utf8')
          .split('\n')
          .filter((u) => u.includes('/@sinclair/typebox/')).length
      }

      expect(await typebox(['check', 'validate', '--checks', catalogue])).toBe(0)
      expect(await typebox(['notify', 'list', '--checks', catalogue])).toBe(0)
      expect(await typebox(['check', 'schema'])).toBeGreaterThan(100)
    } finally {
      cleanup()
    }
  }, 120_000)

  it('documents every provider and every key of it; docs/watch.md carries those entries as they are', () => {
    for (const d of providerDocs(ROOT)) {
      expect(d.text, d.file).toMatch(/^### \S/)
      expect(d.text, d.file).toContain(`type: ${d.type}`)
      const keys = Object.keys(PROVIDER_SCHEMAS.find((p) => p.type === d.type)!.keys.properties)
      for (const key of keys) expect(d.text, `${d.type}.${key}`).toMatch(new RegExp(`\\b${key}:`))
    }

    const watch = fs.readFileSync(path.join(ROOT, 'docs', 'watch.md'), 'utf8')
    expect(watch).toContain(DOCS_START)
    expect(watch).toContain(DOCS_END)
    // Run `bash scripts/update-docs.sh` (or `node --import tsx scripts/notifier-docs.ts`) after editing a docs.md.
    expect(withProviderDocs(watch, ROOT)).toBe(watch)
  })

  it("names every provider in the README's list, as the registry gives them", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    // Run `bash scripts/update-docs.sh` (or `node --import tsx scripts/notifier-docs.ts`) after adding a provider.
    expect(withProviderList(readme, ROOT)).toBe(readme)
    expect(providerNames(ROOT)).toHaveLength(types.length)
  })

  it('tests every provider in its own file, against a real loopback server', () => {
    for (const type of types) {
      const file = path.join(ROOT, 'test', 'notify', 'providers', `${type}.test.ts`)
      expect(fs.existsSync(file), file).toBe(true)
      expect(fs.readFileSync(file, 'utf8'), file).toMatch(/\b(receiver|smtpReceiver|startHttp)\(/)
    }
  })
})
