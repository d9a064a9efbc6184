/**
 * The fuzz corpus of issue 9: YAML and input files a hostile or unlucky user feeds watchkeeper. Each is a
 * located definition error (file:line:col, exit 2; check run exit 3), never "unexpected error", a hang or
 * a crash, and one bad file never hides the problems of the others.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Problem} from '../../src/errors.js'
import {validateCatalogue} from '../../src/catalogue/load.js'
import {validateExercises} from '../../src/exercises/load.js'
import {validateClocks} from '../../src/incidents/clock-load.js'
import {ExprError, MAX_EXPR_DEPTH, parseExpr} from '../../src/playbooks/expr.js'
import {validatePlaybooks} from '../../src/playbooks/load.js'
import {parseYamlFile, YAML_LIMITS} from '../../src/util/yaml-schema.js'
import {runCli, tmpDir} from '../helpers/cli.js'

let tmp: ReturnType<typeof tmpDir>
beforeAll(() => (tmp = tmpDir('wk-bad-input-')))
afterAll(() => tmp.cleanup())

function write(name: string, data: string | Buffer): string {
  const file = path.join(tmp.dir, name)
  fs.mkdirSync(path.dirname(file), {recursive: true})
  fs.writeFileSync(file, data)
  return file
}

/** Nine anchors, each a list of nine aliases to the one before: 9^9 values once expanded. */
function aliasBomb(): string {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x]']
  for (let i = 1; i < 9; i++) {
    const [prev, name] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)]
    lines.push(`${name}: &${name} [${new Array(9).fill(`*${prev}`).join(', ')}]`)
  }

  return lines.join('\n') + '\nchecks: []\n'
}

const only = (file: string) => {
  const {problems} = validateCatalogue([file])
  expect(problems, JSON.stringify(problems)).toHaveLength(1)
  return problems[0]
}

describe('YAML that cannot be read as values', () => {
  it('an alias with no anchor, as a glob written unquoted invites', () => {
    expect(only(write('alias.yaml', 'checks: [*-ping]\n'))).toMatchObject({
      line: 1,
      col: 10,
      message:
        'unknown alias *-ping: no anchor &-ping comes before it (a value starting with * is a YAML alias; quote a glob such as "*-ping")',
    })
    const p = only(
      write(
        'alias-maint.yaml',
        'maintenance:\n  - name: nightly\n    start: "22:00"\n    duration: 1h\n    every: day\n    checks: [api-*, *-ping]\ncheckz: []\n',
      ),
    )
    expect(p).toMatchObject({line: 6, col: 21})
  })

  it('an alias inside the node it names', () => {
    expect(only(write('self.yaml', 'loop: &l [1, *l]\nchecks: []\n'))).toMatchObject({
      line: 1,
      col: 14,
      message: expect.stringMatching(/^alias \*l is inside the node it names/),
    })
  })

  it('an alias bomb stops at the alias that passes the bound, at once', () => {
    const started = performance.now()
    const p = only(write('bomb.yaml', aliasBomb()))
    expect(performance.now() - started).toBeLessThan(2000)
    expect(p.message).toBe(
      `aliases expand to more than ${YAML_LIMITS.maxAliasValues} values here (an alias bomb?); write the values out or use fewer nested aliases`,
    )
    expect(p.line).toBe(5)
  })

  it('plain reuse of an anchor is still fine', () => {
    const file = write(
      'reuse.yaml',
      'defaults: &d {timeout: 2s}\nx-extra: *d\nchecks:\n  - {id: a, kind: tcp, target: "127.0.0.1:1", tags: &t [a, b]}\n  - {id: b, kind: tcp, target: "127.0.0.1:1", tags: *t}\n',
    )
    const {parsed, problems} = parseYamlFile(file)
    expect(problems).toEqual([])
    expect((parsed?.value as {checks: {tags: string[]}[]}).checks[1].tags).toEqual(['a', 'b'])
  })

  it('nesting past the bound, in flow and in block style, and past what the parser can recurse', () => {
    const flow = only(write('deep-flow.yaml', 'checks: ' + '['.repeat(100) + ']'.repeat(100) + '\n'))
    expect(flow).toMatchObject({
      line: 1,
      col: 9 + YAML_LIMITS.maxDepth - 1,
      message: `YAML nested more than ${YAML_LIMITS.maxDepth} levels deep`,
    })
    const block = only(
      write(
        'deep-block.yaml',
        'checks:\n' + Array.from({length: 200}, (_, i) => '  '.repeat(i + 1) + `- k${i}:\n`).join(''),
      ),
    )
    expect(block).toMatchObject({message: `YAML nested more than ${YAML_LIMITS.maxDepth} levels deep`})
    expect(block.line).toBeGreaterThan(30)
    const stack = only(write('deep-stack.yaml', 'checks: ' + '['.repeat(100_000) + ']'.repeat(100_000) + '\n'))
    expect(stack).toMatchObject({line: 1, message: `YAML nested more than ${YAML_LIMITS.maxDepth} levels deep`})
    expect(stack.col).toBeGreaterThan(1)
  })
})

describe('a file whose top level is not a mapping', () => {
  const emptyDir = () => {
    const d = path.join(tmp.dir, 'no-shipped-clocks')
    fs.mkdirSync(d, {recursive: true})
    return d
  }

  it('each loader names the file at 1:1 and what it should hold', () => {
    const cases: [string, (file: string) => Problem[], string][] = [
      ['checks', (f) => validateCatalogue([f]).problems, 'expected a mapping with a "checks:" list'],
      ['playbook', (f) => validatePlaybooks([f]).problems, 'expected a playbook mapping'],
      ['clocks', (f) => validateClocks([f], emptyDir()).problems, 'expected a mapping with a "clocks:" list'],
      ['scenario', (f) => validateExercises([f]).problems, 'expected an exercise scenario mapping'],
    ]
    for (const [name, validate, message] of cases) {
      for (const [i, text] of ['- one\n- two\n', 'just text\n', '42\n'].entries()) {
        const file = write(path.join('top', `${name}-${i}.yaml`), text)
        const problems = validate(file).filter((p) => p.file === file)
        expect(problems, `${name} ${JSON.stringify(text)}`).toHaveLength(1)
        expect(problems[0]).toMatchObject({file, line: 1, col: 1, path: ''})
        expect(problems[0].message.startsWith(message), problems[0].message).toBe(true)
      }
    }
  })
})

describe('files that are not UTF-8 text', () => {
  const text = 'checks: []\n'
  const cases: [string, Buffer, RegExp][] = [
    [
      'utf16le.yaml',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      /^the file is UTF-16 LE .*save it as UTF-8, e\.g\. iconv -f UTF-16LE -t UTF-8$/,
    ],
    [
      'utf16be.yaml',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]),
      /^the file is UTF-16 BE /,
    ],
    [
      'utf32le.yaml',
      Buffer.concat([
        Buffer.from([0xff, 0xfe, 0, 0]),
        ...[...text].map((c) => Buffer.from([c.charCodeAt(0), 0, 0, 0])),
      ]),
      /^the file is UTF-32 LE /,
    ],
    [
      'utf32be.yaml',
      Buffer.concat([
        Buffer.from([0, 0, 0xfe, 0xff]),
        ...[...text].map((c) => Buffer.from([0, 0, 0, c.charCodeAt(0)])),
      ]),
      /^the file is UTF-32 BE /,
    ],
    [
      'utf16-nobom.yaml',
      Buffer.from(text, 'utf16le'),
      /^the file holds a NUL byte; it looks like UTF-16 or UTF-32 without a byte-order mark/,
    ],
  ]
  for (const [name, data, message] of cases) {
    it(`${name}: a hint, at 1:1`, () => {
      expect(only(write(name, data))).toMatchObject({
        line: 1,
        col: name.includes('nobom') ? 2 : 1,
        message: expect.stringMatching(message),
      })
    })
  }

  it('Latin-1 bytes are located; a UTF-8 byte-order mark and a written U+FFFD are fine', () => {
    expect(only(write('latin1.yaml', Buffer.from('checks: []\nnote: caf\u00E9\n', 'latin1')))).toMatchObject({
      line: 2,
      col: 10,
      message: 'not UTF-8: byte 0xe9 at offset 20 (is the file Latin-1 or Windows-1252? save it as UTF-8)',
    })
    expect(
      parseYamlFile(
        write(
          'bom8.yaml',
          Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('checks: []\nx: "\uFFFD é"\n')]),
        ),
      ).problems,
    ).toEqual([])
  })
})

describe('durations outside what a timer can hold', () => {
  const check = (timeout: string) => `checks:\n  - {id: a, kind: tcp, target: "127.0.0.1:1", timeout: ${timeout}}\n`
  for (const value of ['30d', '0s', '25d', '9'.repeat(400) + 'w']) {
    it(`timeout: ${value.slice(0, 20)}`, () => {
      const p = only(write(`timeout-${value.length}-${value.slice(0, 3)}.yaml`, check(value)))
      expect(p).toMatchObject({line: 2, col: 56, path: 'checks[0].timeout'})
      expect(p.message).toMatch(
        /^expected a duration from 1ms to 24d \(Node's timers hold at most 24\.8 days\), got string "[^"]{1,60}"?…? \(check a\)$/,
      )
    })
  }

  it('the bounds themselves, notifier timeouts, and other durations past any date', () => {
    expect(
      validateCatalogue([
        write('t-ok.yaml', check('24d') + '  - {id: b, kind: tcp, target: "127.0.0.1:1", timeout: 1ms}\n'),
      ]).problems,
    ).toEqual([])
    const notifier = only(
      write('t-notify.yaml', 'notifiers:\n  ops: {type: webhook, url: "${env:HOOK}", timeout: 30d}\nchecks: []\n'),
    )
    expect(notifier).toMatchObject({
      line: 2,
      path: 'notifiers.ops.timeout',
      message: expect.stringMatching(/^expected a duration from 1ms to 24d/),
    })
    const interval = only(
      write(
        't-interval.yaml',
        `checks:\n  - {id: a, kind: tcp, target: "127.0.0.1:1", interval: ${'9'.repeat(400)}s}\n`,
      ),
    )
    expect(interval).toMatchObject({
      path: 'checks[0].interval',
      message: expect.stringMatching(/^expected a duration at most 3650d, got/),
    })
  })
})

describe('ca: files that would hang or flood validation', () => {
  let fifo: string
  beforeAll(() => {
    fifo = path.join(tmp.dir, 'ca-fifo.pem')
    execFileSync('mkfifo', [fifo])
  })
  const ca = (name: string, value: string) =>
    write(name, `checks:\n  - {id: a, kind: tcp, target: "127.0.0.1:1", ca: "${value}"}\n`)

  it('a FIFO, /dev/zero and a folder are refused without opening them', () => {
    const started = performance.now()
    expect(only(ca('ca-fifo.yaml', fifo))).toMatchObject({
      line: 2,
      col: 51,
      path: 'checks[0].ca',
      message: `cannot read CA file ${fifo}: not a regular file (a FIFO) (check a)`,
    })
    expect(only(ca('ca-zero.yaml', '/dev/zero')).message).toBe(
      'cannot read CA file /dev/zero: not a regular file (a character device) (check a)',
    )
    expect(only(ca('ca-dir.yaml', '.')).message).toBe(
      `cannot read CA file ${tmp.dir}: not a regular file (a folder) (check a)`,
    )
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('a file over the size cap', () => {
    write('huge.pem', Buffer.alloc(1024 * 1024 + 1, 0x41))
    expect(only(ca('ca-huge.yaml', 'huge.pem')).message).toMatch(
      /^cannot read CA file .*huge\.pem: too large: 1048577 bytes, more than the limit of 1048576 \(a CA bundle is a few hundred KiB\) \(check a\)$/,
    )
  })
})

describe('playbook conditions and timeouts', () => {
  it('deep parentheses, not-chains and or-chains stop at the depth bound with their offset', () => {
    for (const [src, offset] of [
      ['('.repeat(50_000) + 'x' + ')'.repeat(50_000), MAX_EXPR_DEPTH],
      ['not '.repeat(50_000) + 'x', 4 * MAX_EXPR_DEPTH],
      [new Array(50_000).fill('x').join(' or '), 5 * MAX_EXPR_DEPTH - 3],
    ] as const) {
      let error: unknown
      try {
        parseExpr(src)
      } catch (error_) {
        error = error_
      }

      expect(error).toBeInstanceOf(ExprError)
      expect((error as ExprError).offset).toBe(offset)
      expect((error as ExprError).message).toBe(
        `nested more than ${MAX_EXPR_DEPTH} levels deep; split the condition across steps`,
      )
    }

    expect(() => parseExpr('('.repeat(MAX_EXPR_DEPTH - 1) + 'x == 1' + ')'.repeat(MAX_EXPR_DEPTH - 1))).not.toThrow()
  })

  const playbook = (id: string, ifText: string, timeout = 'PT1M') =>
    [
      'format: nhs-ir/1',
      `id: ${id}`,
      'name: Deep',
      'variables:',
      '  x: {type: string}',
      'steps:',
      '  - {id: ask, type: manual, ask: x}',
      `  - {id: run, type: command, argv: [echo, hi], timeout: ${timeout}}`,
      `  - {id: d, type: decision, if: "${ifText}", then: e, else: e}`,
      '  - {id: e, type: end}',
      '',
    ].join('\n')

  it('a 50,000-deep if: and a 30-day command timeout are located, and each file of a folder is reported', () => {
    write('pb/deep.yaml', playbook('deep', '('.repeat(50_000) + 'x' + ')'.repeat(50_000)))
    write('pb/slow.yaml', playbook('slow', 'x == 1', 'PT720H'))
    write('pb/alias.yaml', playbook('alias', 'x == 1').replace('argv: [echo, hi]', 'argv: [*-echo]'))
    const {problems} = validatePlaybooks([path.join(tmp.dir, 'pb')])
    const byFile = (name: string) => problems.filter((p: Problem) => path.basename(p.file) === name)
    expect(byFile('deep.yaml')).toEqual([
      expect.objectContaining({
        line: 9,
        col: 33,
        path: 'steps[2].if',
        message: expect.stringMatching(
          /^bad condition at character 101 of "\({79}…": nested more than 100 levels deep/,
        ),
      }),
    ])
    expect(byFile('slow.yaml')).toEqual([
      expect.objectContaining({
        line: 8,
        path: 'steps[1].timeout',
        message: expect.stringMatching(/^expected a duration from 1ms to 24d .*got string "PT720H"/),
      }),
    ])
    expect(byFile('alias.yaml')).toEqual([
      expect.objectContaining({line: 8, message: expect.stringMatching(/^unknown alias \*-echo/)}),
    ])
  })
})

describe('the real CLI on a folder of bad files', () => {
  let dir: string
  beforeAll(() => {
    dir = path.join(tmp.dir, 'folder')
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, '1-alias.yaml'), 'checks: [*-ping]\n')
    fs.writeFileSync(path.join(dir, '2-bomb.yaml'), aliasBomb())
    fs.writeFileSync(
      path.join(dir, '3-utf16.yaml'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('checks: []\n', 'utf16le')]),
    )
    fs.writeFileSync(
      path.join(dir, '4-timeout.yaml'),
      'checks:\n  - {id: slow, kind: tcp, target: "127.0.0.1:1", timeout: 30d}\n',
    )
    fs.writeFileSync(
      path.join(dir, '5-ca.yaml'),
      'checks:\n  - {id: zero, kind: http, target: "https://127.0.0.1:1/", ca: /dev/zero}\n',
    )
    fs.writeFileSync(path.join(dir, '6-deep.yaml'), 'checks: ' + '['.repeat(100_000) + ']'.repeat(100_000) + '\n')
    fs.writeFileSync(path.join(dir, '7-good.yaml'), 'checks:\n  - {id: fine, kind: tcp, target: "127.0.0.1:1"}\n')
    fs.writeFileSync(path.join(dir, '8-large.yaml'), '#'.repeat(YAML_LIMITS.maxBytes + 1))
    execFileSync('mkfifo', [path.join(dir, '9-fifo.yaml')])
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, '9-link.yaml'))
  })

  const expected = [
    /1-alias\.yaml:1:10 unknown alias \*-ping/,
    /2-bomb\.yaml:5:\d+ aliases expand to more than 50000 values/,
    /3-utf16\.yaml:1:1 the file is UTF-16 LE/,
    /4-timeout\.yaml:2:\d+ checks\[0\]\.timeout: expected a duration from 1ms to 24d/,
    /5-ca\.yaml:2:\d+ checks\[0\]\.ca: cannot read CA file \/dev\/zero: not a regular file/,
    /6-deep\.yaml:1:\d+ YAML nested more than 64 levels deep/,
    /8-large\.yaml:1:1 cannot read file: too large: 4194305 bytes/,
    /9-fifo\.yaml:1:1 cannot read file: not a regular file \(a FIFO\)/,
    /9-link\.yaml:1:1 cannot read file: ENOENT/,
  ]

  it("check validate: exit 2, every file's problem with its position, in one run", async () => {
    const r = await runCli(['check', 'validate', '--checks', dir], {timeoutMs: 30_000})
    expect(r.signal).toBeNull()
    expect(r.code).toBe(2)
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /)
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('  '))
    expect(lines).toHaveLength(expected.length)
    for (const [i, re] of expected.entries()) expect(lines[i]).toMatch(re)
  })

  it('check run: exit 3 and nothing stored; --json carries the same positions', async () => {
    const db = path.join(tmp.dir, 'folder.db')
    const r = await runCli(['check', 'run', '--checks', dir, '--db', db], {timeoutMs: 30_000})
    expect(r.code).toBe(3)
    expect(fs.existsSync(db)).toBe(false)
    const json = await runCli(['check', 'validate', '--checks', dir, '--json'], {timeoutMs: 30_000})
    expect(json.code).toBe(2)
    const doc = JSON.parse(json.stdout) as {problems: Problem[]}
    expect(doc.problems).toHaveLength(expected.length)
    for (const p of doc.problems) expect(p.line).toBeGreaterThan(0)
  })

  it('playbook validate with a deep condition: exit 2 and a position', async () => {
    const file = write('cli-deep.yaml', playbookText())
    const r = await runCli(['playbook', 'validate', file])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      new RegExp(`${file.replaceAll(/[.]/g, String.raw`\.`)}:9:33 steps\\[2\\]\\.if: bad condition at character 101 `),
    )
    expect(r.stderr).not.toMatch(/unexpected error|Maximum call stack/)
  })
})

function playbookText(): string {
  return [
    'format: nhs-ir/1',
    'id: cli-deep',
    'name: Deep',
    'variables:',
    '  x: {type: string}',
    'steps:',
    '  - {id: ask, type: manual, ask: x}',
    '  - {id: run, type: command, argv: [echo, hi], timeout: PT1M}',
    `  - {id: d, type: decision, if: "${'('.repeat(50_000)}x${')'.repeat(50_000)}", then: e, else: e}`,
    '  - {id: e, type: end}',
    '',
  ].join('\n')
}
