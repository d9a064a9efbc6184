import type http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {regexProblem, userRegex} from '../../src/util/safe-regex.js'
import {runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp, startTcp} from '../helpers/servers.js'

const EVIL = '^(a+)+$'
const EVIL_TEXT = 'a'.repeat(30) + '!'

describe('user regular expressions run in linear time (RE2)', () => {
  it('answers the catastrophic pattern at once, on short and on megabyte texts', () => {
    const started = performance.now()
    expect(userRegex(EVIL).test(EVIL_TEXT)).toBe(false)
    expect(userRegex(EVIL).test('a'.repeat(1 << 20) + '!')).toBe(false)
    expect(userRegex('(x+x+)+y').test('x'.repeat(1 << 20))).toBe(false)
    expect(userRegex(EVIL).test('aaaa')).toBe(true)
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('takes the JavaScript syntax users write, and RE2 inline flags', () => {
    expect(userRegex(String.raw`all is \w+`).test('all is well')).toBe(true)
    expect(userRegex(String.raw`^\+PONG PING`).test('+PONG PING')).toBe(true)
    expect(userRegex(String.raw`caf\u00e9`).test('café')).toBe(true)
    expect(userRegex(String.raw`\u{1F600}`).test('smile 😀')).toBe(true)
    expect(userRegex(String.raw`a\cJb`).test('a\nb')).toBe(true)
    expect(userRegex(String.raw`(?<major>\d+)\.(?<minor>\d+)`).test('v2.10')).toBe(true)
    expect(userRegex('https?://[^/]+/x').test('see https://nhs.uk/x')).toBe(true)
    expect(userRegex('(?i)^hello').test('HELLO there')).toBe(true)
    expect(userRegex('^hello').test('HELLO')).toBe(false)
    expect(userRegex('(?m)^b$').test('a\nb\nc')).toBe(true)
    expect(userRegex('^b$').test('a\nb\nc')).toBe(false)
    expect(userRegex('(?s)a.b').test('a\nb')).toBe(true)
    expect(userRegex('').test('anything')).toBe(true)
  })

  it('rejects what RE2 cannot take, saying what and where in the pattern', () => {
    expect(regexProblem(String.raw`(a)\1`)).toBe(
      String.raw`regular expression: backreference \1 at character 4 is not supported: patterns run on RE2, in linear time, which has no backreferences`,
    )
    expect(regexProblem(String.raw`(?<q>a)\k<q>`)).toMatch(
      /^regular expression: named backreference at character 8 is not supported/,
    )
    expect(regexProblem('^220(?!-)')).toMatch(
      /^regular expression: lookahead \(\?! at character 5 is not supported: .* no lookaround$/,
    )
    expect(regexProblem('x(?=y)')).toMatch(/^regular expression: lookahead \(\?= at character 2 /)
    expect(regexProblem('(?<=x)y')).toMatch(/^regular expression: lookbehind \(\?<= at character 1 /)
    expect(regexProblem('(?<!x)y')).toMatch(/^regular expression: lookbehind \(\?<! at character 1 /)
    expect(regexProblem(String.raw`[\b]`)).toMatch(
      /^regular expression: \[\\b\] at character 2 is not supported: write \\x08/,
    )
    expect(regexProblem('(')).toBe('not a valid regular expression: missing closing ): `(`')
    expect(regexProblem('[z-a]')).toMatch(/^not a valid regular expression: invalid character class range/)
    expect(regexProblem('a{1001}')).toMatch(/^not a valid regular expression: invalid repeat count/)
    // Escaped, or inside a class, these are plain characters.
    expect(regexProblem(String.raw`\(?=x`)).toBeUndefined()
    expect(regexProblem(String.raw`[(?=]\\1`)).toBeUndefined()
    expect(regexProblem(String.raw`[]\\1]`)).toBeUndefined()
  })
})

describe('a catastrophic pattern under check run (bin/run.js against loopback servers)', () => {
  let tmp: ReturnType<typeof tmpDir>
  let web: RunningServer<http.Server>
  let banner: RunningServer

  beforeAll(async () => {
    tmp = tmpDir('wk-regex-')
    web = await startHttp((req, res) => {
      if (req.url === '/evil') return void res.end(EVIL_TEXT)
      if (req.url === '/evil.json')
        return void res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({name: EVIL_TEXT}))
      // The unaffected neighbour answers after 300 ms, so its timing covers the others' matching.
      setTimeout(() => res.end('all is well'), 300)
    })
    banner = await startTcp((s) => s.write(EVIL_TEXT + '\r\n'))
  })
  afterAll(async () => {
    await web.close()
    await banner.close()
    tmp.cleanup()
  })

  it('finishes well within its timeout while a second check keeps its timing', async () => {
    const file = path.join(tmp.dir, 'evil.yaml')
    fs.writeFileSync(
      file,
      [
        'defaults:',
        '  timeout: 2s',
        'checks:',
        `  - {id: body, kind: http, target: "${web.url}/evil", expect: {matches: "${EVIL}"}}`,
        `  - {id: json, kind: http, target: "${web.url}/evil.json", expect: {json: [{path: $.name, op: matches, value: "${EVIL}"}]}}`,
        `  - {id: banner, kind: tcp, target: "${banner.url}", banner: "${EVIL}"}`,
        `  - {id: plain, kind: http, target: "${web.url}/plain", expect: {matches: "^all is \\\\w+$"}}`,
        '',
      ].join('\n'),
    )
    const started = performance.now()
    const res = await runCli(['check', 'run', '--checks', file, '--json', '--db', path.join(tmp.dir, 'evil.db')])
    const wallMs = performance.now() - started
    expect(res.stderr).toBe('')
    const doc = JSON.parse(res.stdout)
    const byId = Object.fromEntries(doc.results.map((r: {checkId: string}) => [r.checkId, r]))
    expect(byId.body).toMatchObject({
      status: 'crit',
      summary: expect.stringMatching(/^body does not match \/\^\(a\+\)\+\$\/; HTTP 200 in \d+ ms$/),
    })
    expect(byId.json).toMatchObject({
      status: 'crit',
      summary: expect.stringContaining(`$.name "${EVIL_TEXT}" does not match /${EVIL}/`),
    })
    // The banner never matches, so the probe reads until the server stops or the timeout ends the read.
    expect(byId.banner.status).toBe('crit')
    expect(byId.plain.status).toBe('ok')
    for (const id of ['body', 'json']) expect(byId[id].durationMs).toBeLessThan(1000)
    expect(byId.banner.durationMs).toBeLessThan(2500)
    expect(byId.plain.durationMs).toBeGreaterThanOrEqual(290)
    expect(byId.plain.durationMs).toBeLessThan(800)
    expect(res.code).toBe(2)
    expect(wallMs).toBeLessThan(10_000)
  })

  it('an unsupported pattern is a located definition error: check run exits 3, check validate 2', async () => {
    const file = path.join(tmp.dir, 'bad.yaml')
    fs.writeFileSync(
      file,
      [
        'checks:',
        `  - {id: backref, kind: http, target: "${web.url}/", expect: {matches: '(a)\\1'}}`,
        `  - {id: look, kind: tcp, target: "${banner.url}", banner: '^220(?!-)'}`,
        `  - {id: json, kind: http, target: "${web.url}/", expect: {json: [{path: $.a, op: matches, value: '(?<=x)y'}]}}`,
        `  - {id: dns, kind: dns, target: nhs.example.test, type: TXT, expect: {matches: [ok, '(']}}`,
        '',
      ].join('\n'),
    )
    const db = path.join(tmp.dir, 'bad.db')
    const run = await runCli(['check', 'run', '--checks', file, '--db', db])
    expect(run.code).toBe(3)
    expect(fs.existsSync(db)).toBe(false)
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('  '))
    expect(lines).toEqual([
      `  ${file}:2:${lineCol(file, 2, '(a)')} checks[0].expect.matches: regular expression: backreference \\1 at character 4 is not supported: patterns run on RE2, in linear time, which has no backreferences (check backref)`,
      `  ${file}:3:${lineCol(file, 3, '^220')} checks[1].banner: regular expression: lookahead (?! at character 5 is not supported: patterns run on RE2, in linear time, which has no lookaround (check look)`,
      `  ${file}:4:${lineCol(file, 4, '(?<=')} checks[2].expect.json[0].value: regular expression: lookbehind (?<= at character 1 is not supported: patterns run on RE2, in linear time, which has no lookaround (check json)`,
      `  ${file}:5:${lineCol(file, 5, "(']")} checks[3].expect.matches[1]: not a valid regular expression: missing closing ): \`(\` (check dns)`,
    ])
    const validate = await runCli(['check', 'validate', '--checks', file])
    expect(validate.code).toBe(2)
    expect(validate.stderr).toContain(`${file}:2:`)
  })
})

/** 1-based column of the quoted scalar that starts with `text` on a line of the file. */
function lineCol(file: string, line: number, text: string): number {
  const l = fs.readFileSync(file, 'utf8').split('\n')[line - 1]
  return l.indexOf(`'${text}`) + 1
}
