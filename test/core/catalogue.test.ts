import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadCatalogue, selectChecks, validateCatalogue} from '../../src/catalogue/load.js'
import {DefinitionError} from '../../src/errors.js'
import {parseDuration} from '../../src/util/duration.js'
import {didYouMean} from '../../src/util/suggest.js'
import {tmpDir} from '../helpers/cli.js'

let dir: string
let cleanup: () => void
beforeEach(() => ({dir, cleanup} = tmpDir()))
afterEach(() => cleanup())

function write(name: string, text: string): string {
  const file = path.join(dir, name)
  fs.mkdirSync(path.dirname(file), {recursive: true})
  fs.writeFileSync(file, text)
  return file
}

describe('catalogue validation', () => {
  it('names file, line, column and key path for each problem, all at once', () => {
    const file = write(
      'a.yaml',
      [
        'checks:',
        '  - id: one',
        '    kind: tcp',
        '    target: 127.0.0.1:25',
        '    timout: 5s',
        '  - id: two',
        '    kind: tcp',
        '    target: 127.0.0.1:25',
        '    retries: lots',
        '  - id: three',
        '    kind: tpc',
        '    target: 127.0.0.1:25',
        '',
      ].join('\n'),
    )
    const {catalogue, problems} = validateCatalogue([file])
    expect(catalogue).toBeUndefined()
    expect(problems.map((p) => `${p.line}:${p.col} ${p.path}`)).toEqual([
      '5:5 checks[0].timout',
      '9:14 checks[1].retries',
      '11:11 checks[2].kind',
    ])
    expect(problems[0].message).toContain('unknown key "timout"; did you mean "timeout"?')
    expect(problems[0].message).toContain('check one')
    expect(problems[1].message).toMatch(/expected integer .*got string "lots"/)
    expect(problems[2].message).toContain('did you mean "tcp"?')
    expect(problems.every((p) => p.file === file)).toBe(true)
  })

  it('rejects a duplicate id across files, pointing at both places', () => {
    const a = write('cat/a.yaml', 'checks:\n  - id: same\n    kind: tcp\n    target: localhost:1\n')
    write(
      'cat/b.yaml',
      'checks:\n  - {id: other, kind: tcp, target: "localhost:2"}\n  - id: same\n    kind: tcp\n    target: localhost:3\n',
    )
    const {problems} = validateCatalogue([path.join(dir, 'cat')])
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({file: path.join(dir, 'cat/b.yaml'), line: 3, col: 9, path: 'checks[1].id'})
    expect(problems[0].message).toContain(`first defined at ${a}:2:5`)
  })

  it('reports YAML syntax errors and duplicate keys with positions', () => {
    const bad = write('bad.yaml', 'checks:\n  - id: x\n    kind: tcp\n    kind: tcp\n')
    const {problems} = validateCatalogue([bad])
    expect(problems[0]).toMatchObject({line: 4, col: 5})
    expect(problems[0].message).toContain('duplicate key')
    const broken = write('broken.yaml', 'checks:\n  - id: [x\n')
    expect(validateCatalogue([broken]).problems[0].message).toContain('YAML syntax error')
  })

  it('flags unknown top-level and defaults keys, and a missing target', () => {
    const file = write('c.yaml', 'defaults:\n  tiemout: 1s\nchecks:\n  - id: x\n    kind: tcp\nextra: 1\n')
    const {problems} = validateCatalogue([file])
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]))
    expect(byPath['defaults.tiemout']).toContain('did you mean "timeout"?')
    expect(byPath['checks[0]']).toContain('missing required key "target"')
    expect(byPath.extra).toContain('unknown key "extra"')
  })

  it('merges defaults, unions tags and parses durations', () => {
    const file = write(
      'd.yaml',
      'defaults:\n  timeout: 1500ms\n  retries: 2\n  tags: [national]\n  tier: gold\nchecks:\n  - id: x\n    kind: tcp\n    target: h:1\n    tags: [smtp]\n  - id: y\n    kind: tcp\n    target: h:2\n    timeout: 1m\n    retries: 0\n',
    )
    const cat = loadCatalogue([file])
    const [x, y] = cat.checks
    expect(x).toMatchObject({timeoutMs: 1500, retries: 2, tier: 'gold', tags: ['smtp', 'national']})
    expect(y).toMatchObject({timeoutMs: 60_000, retries: 0})
    expect(selectChecks(cat.checks, {tags: ['smtp']}).map((c) => c.id)).toEqual(['x'])
    expect(selectChecks(cat.checks, {ids: ['*']}).map((c) => c.id)).toEqual(['x', 'y'])
  })

  it('interpolates ${env:NAME}, keeps the raw target, and collects secrets', () => {
    const file = write(
      'e.yaml',
      'checks:\n  - id: x\n    kind: tcp\n    target: "${env:WK_HOST}:25"\n    send: "AUTH ${env:WK_TOKEN}"\n',
    )
    const cat = loadCatalogue([file], {env: {WK_HOST: '127.0.0.1', WK_TOKEN: 's3cret-token'}})
    expect(cat.checks[0].target).toBe('${env:WK_HOST}:25')
    expect(cat.checks[0].spec.target).toBe('127.0.0.1:25')
    expect(cat.checks[0].spec.send).toBe('AUTH s3cret-token')
    expect(cat.checks[0].secrets).toContain('s3cret-token')
  })

  it('names the check and key of an unset variable', () => {
    const file = write(
      'f.yaml',
      'checks:\n  - id: needs-key\n    kind: tcp\n    target: h:1\n    send: "${env:WK_UNSET_VAR}"\n',
    )
    const {problems} = validateCatalogue([file], {env: {}})
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({line: 5, col: 11, path: 'checks[0].send'})
    expect(problems[0].message).toContain('WK_UNSET_VAR is not set')
    expect(problems[0].message).toContain('check needs-key')
  })

  it('disables a check whose requires_env is unset instead of failing', () => {
    const file = write(
      'g.yaml',
      'checks:\n  - id: status\n    kind: tcp\n    target: h:1\n    requires_env: [WK_KEY]\n    send: "${env:WK_KEY}"\n',
    )
    const off = loadCatalogue([file], {env: {}}).checks[0]
    expect(off.enabled).toBe(false)
    expect(off.disabledReason).toContain('WK_KEY')
    const on = loadCatalogue([file], {env: {WK_KEY: 'abc123'}}).checks[0]
    expect(on.enabled).toBe(true)
    expect(on.spec.send).toBe('abc123')
  })

  it('parses resolve overrides and refuses a bad one', () => {
    const file = write(
      'h.yaml',
      'checks:\n  - id: x\n    kind: tcp\n    target: www.nhs.uk:443\n    resolve: ["www.nhs.uk:443:127.0.0.1", "[::1]:80:::1"]\n',
    )
    expect(loadCatalogue([file]).checks[0].net.resolve).toEqual([
      {host: 'www.nhs.uk', port: 443, address: '127.0.0.1'},
      {host: '::1', port: 80, address: '::1'},
    ])
    const bad = write('i.yaml', 'checks:\n  - id: x\n    kind: tcp\n    target: a:1\n    resolve: ["a:1:not-an-ip"]\n')
    const {problems} = validateCatalogue([bad])
    expect(problems[0].path).toBe('checks[0].resolve[0]')
    expect(() => loadCatalogue([bad])).toThrow(DefinitionError)
  })

  it('reads a ca file relative to the catalogue and rejects a missing one', () => {
    write('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    const file = write(
      'j.yaml',
      'checks:\n  - id: x\n    kind: tcp\n    target: a:1\n    ca: ca.pem\n  - id: y\n    kind: tcp\n    target: a:1\n    ca: missing.pem\n',
    )
    const {problems} = validateCatalogue([file])
    expect(problems).toHaveLength(1)
    expect(problems[0].path).toBe('checks[1].ca')
    expect(problems[0].message).toContain('cannot read CA file')
  })

  it("reports a bad regular expression from the probe's own validation", () => {
    const file = write('k.yaml', 'checks:\n  - id: x\n    kind: tcp\n    target: a:1\n    banner: "^220 (unclosed"\n')
    const {problems} = validateCatalogue([file])
    expect(problems[0]).toMatchObject({line: 5, path: 'checks[0].banner'})
    expect(problems[0].message).toContain('not a valid regular expression')
  })
})

describe('helpers', () => {
  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('10s')).toBe(10_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('5 m')).toBeUndefined()
    expect(parseDuration('10')).toBeUndefined()
  })

  it('suggests near misses only', () => {
    expect(didYouMean('alerst', ['alerts', 'retries'])).toBe('alerts')
    expect(didYouMean('retires', ['alerts', 'retries'])).toBe('retries')
    expect(didYouMean('zzz', ['alerts', 'retries'])).toBeUndefined()
  })
})
