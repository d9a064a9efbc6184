import type http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {REDACTED, Redactor, secretForms} from '../../src/util/redact.js'
import {runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'
import {webhookReceiver} from '../monitor/harness.js'

// Every character here is spelt differently by some encoding: / " space + & = and a non-ASCII letter.
const KEY = 'k3y/"that must+not&leak=9481é'
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('one redactor that knows every spelling of a secret', () => {
  const r = new Redactor([KEY])
  const spellings: [string, string][] = [
    ['raw', KEY],
    ['encodeURIComponent', encodeURIComponent(KEY)],
    ['lower-case percent hex', encodeURIComponent(KEY).replaceAll(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['URL query', new URL('http://h/?' + KEY).search.slice(1)],
    ['URL path', new URL('http://h/' + KEY).pathname.slice(1)],
    ['form', new URLSearchParams({k: KEY}).toString().slice(2)],
    ['JSON', JSON.stringify(KEY).slice(1, -1)],
    ['JSON twice', JSON.stringify(JSON.stringify(KEY)).slice(1, -1)],
    ['ASCII JSON', String.raw`"k3y/\"that must+not&leak=9481\u00e9"`],
    ['base64', b64(KEY)],
    ['base64url', Buffer.from(KEY).toString('base64url')],
  ]
  for (const [name, spelling] of spellings) {
    it(`${name}`, () => {
      const out = r.text(`before ${spelling} after`)
      expect(out).toMatch(/^before .*\*\*\*.* after$/)
      expect(out).not.toContain(spelling)
      for (const f of secretForms(KEY)) expect(out).not.toContain(f)
    })
  }

  it('inside a longer base64 run, at every byte offset (a Basic credential)', () => {
    for (const prefix of ['u:', 'us:', 'use:']) {
      const basic = b64(prefix + KEY + ':x')
      const out = r.text(`Authorization: Basic ${basic}`)
      expect(out).toContain(REDACTED)
      for (const f of secretForms(KEY)) expect(out).not.toContain(f)
      // What is left is the prefix's and the tail's few characters around ***.
      expect(out.replace(/^Authorization: Basic /, '').replace(REDACTED, '').length).toBeLessThan(14)
    }
  })

  it('a start quoted by an error, a cut-off end, and an end quoted after an ellipsis', () => {
    expect(r.text(`Unexpected token 'k', "${KEY.slice(0, 10)}"... is not valid JSON`)).toBe(
      `Unexpected token 'k', "***"... is not valid JSON`,
    )
    expect(r.text(`$.echo is "xxxx${KEY.slice(0, 12)}…`)).toBe('$.echo is "xxxx***…')
    expect(r.text(`banner: ${KEY.slice(0, 9)}`)).toBe('banner: ***')
    expect(r.text(`…${KEY.slice(-8)} was sent`)).toBe('…*** was sent')
    // Short pieces and unrelated text are left alone.
    expect(r.text('k3y/" and must+not and 9481')).toBe('k3y/" and must+not and 9481')
  })

  it('walks values (keys too) and leaves short secrets and empty sets alone', () => {
    expect(r.value({a: [KEY, {[KEY]: 1}], n: 2, d: null})).toEqual({a: [REDACTED, {[REDACTED]: 1}], n: 2, d: null})
    expect(new Redactor(['ab']).text('abc ab')).toBe('abc ab')
    expect(new Redactor([]).empty).toBe(true)
  })
})

describe('no spelling of a secret reaches the database, the CLI, the logs, the webhooks or the exports', () => {
  let tmp: ReturnType<typeof tmpDir>
  let srv: RunningServer<http.Server>
  let hook: Awaited<ReturnType<typeof webhookReceiver>>
  let file: string

  beforeAll(async () => {
    tmp = tmpDir('wk-redact-')
    srv = await startHttp((req, res) => {
      const key = String(req.headers['x-key'] ?? '')
      const url = new URL(req.url ?? '/', 'http://x')
      if (url.pathname === '/go') return void res.writeHead(302, {location: `/final${url.search}`}).end()
      if (url.pathname === '/final') return void res.writeHead(500).end('nope')
      if (url.pathname === '/json')
        return void res
          .writeHead(200, {'content-type': 'application/json'})
          .end(JSON.stringify({echo: key, long: 'x'.repeat(50) + key}))
      if (url.pathname === '/raw') return void res.writeHead(200).end(key + ' is not JSON')
      res
        .writeHead(200, {
          'x-auth': b64('user:' + key),
          'x-form': new URLSearchParams({key}).toString(),
          'x-enc': encodeURIComponent(key),
          'x-json': JSON.stringify(key).replaceAll(
            /[\u0080-\uFFFF]/g,
            (c) => String.raw`\u` + c.charCodeAt(0).toString(16).padStart(4, '0'),
          ),
        })
        .end('{}')
    })
    hook = await webhookReceiver()
    const header = 'headers: {x-key: "${env:WK_KEY}"}'
    file = path.join(tmp.dir, 'leaky.yaml')
    fs.writeFileSync(
      file,
      [
        'defaults:',
        '  timeout: 3s',
        '  thresholds: {failure: 1, recovery: 1}',
        '  incident: {after: 1, severity: SEV3}',
        'checks:',
        `  - {id: redirect, kind: http, target: "${srv.url}/go?key=\${env:WK_KEY}"}`,
        `  - {id: json-echo, kind: http, target: "${srv.url}/json", ${header}, expect: {json: [{path: $.echo, value: other}, {path: $.long, value: other}]}}`,
        `  - {id: not-json, kind: http, target: "${srv.url}/raw", ${header}, expect: {json: [{path: $.a, op: exists}]}}`,
        `  - {id: headers, kind: http, target: "${srv.url}/h", ${header}, expect: {headers: [{name: x-auth, value: a}, {name: x-form, value: b}, {name: x-enc, value: c}, {name: x-json, value: d}]}}`,
        `  - {id: contains, kind: http, target: "${srv.url}/raw", ${header}, expect: {contains: "\${env:WK_KEY}!"}}`,
        'notifiers:',
        '  ops: {type: webhook, url: "${env:WK_HOOK}"}',
        '',
      ].join('\n'),
    )
  })
  afterAll(async () => {
    await srv.close()
    await hook.close()
    tmp.cleanup()
  })

  /** Whole spellings, and the first 8 characters of each text spelling (what an error might quote). */
  const needles = () => {
    const forms = secretForms(KEY)
    const b64s = new Set(forms.filter((f) => /^[A-Za-z0-9+/_-]+$/.test(f)))
    return [...forms, ...forms.filter((f) => !b64s.has(f)).map((f) => f.slice(0, 8))]
  }

  const leaks = (where: string, hay: string | Buffer) => {
    const text = Buffer.isBuffer(hay) ? hay.toString('latin1') + hay.toString('utf8') : hay
    return needles()
      .filter((n) => text.includes(n))
      .map((n) => `${where}: ${JSON.stringify(n)}`)
  }

  it('check run, history, status, watch --once, notifications, incidents and every export', async () => {
    const env = {WK_KEY: KEY, WK_HOOK: `${hook.url}/hook`}
    const db = path.join(tmp.dir, 'leaky.db')
    const outputs: [string, string][] = []
    const run = async (name: string, args: string[]) => {
      const r = await runCli(args, {env})
      outputs.push([`${name} stdout`, r.stdout], [`${name} stderr`, r.stderr])
      return r
    }

    const json = await run('check run --json', ['check', 'run', '--checks', file, '--json', '--db', db])
    const byId = Object.fromEntries(
      (JSON.parse(json.stdout) as {results: {checkId: string; status: string; summary: string}[]}).results.map((x) => [
        x.checkId,
        x,
      ]),
    )
    // The probes did see the secret: each summary says something about it, redacted.
    expect(Object.values(byId).map((x) => x.status)).toEqual(['crit', 'crit', 'crit', 'crit', 'crit'])
    expect(byId['json-echo'].summary).toContain(`$.echo is "${REDACTED}", expected "other"`)
    expect(byId['json-echo'].summary).toMatch(/\$\.long is "x{50}\*\*\*…, expected "other"/)
    expect(byId['not-json'].summary).toMatch(/^body is not JSON; HTTP 200/)
    expect(byId.headers.summary).toMatch(
      /^header x-auth is "dXNlcjp\*\*\*k=", expected "a"; header x-form is "key=\*\*\*", expected "b"/,
    )
    expect(byId.contains.summary).toContain(`body does not contain "${REDACTED}!"`)
    await run('check run', ['check', 'run', '--checks', file, '--db', db])
    await run('nagios', ['check', 'run', '--checks', file, '--format', 'nagios', '--db', db])
    await run('prom', ['check', 'run', '--checks', file, '--format', 'prom', '--db', db])
    for (const id of Object.keys(byId)) await run(`history ${id}`, ['history', id, '--json', '--db', db])
    await run('status', ['status', '--db', db])
    await run('watch --once', ['watch', '--once', '--checks', file, '--db', db, '--log-format', 'json'])
    expect(hook.received.length).toBeGreaterThan(0)
    await run('incident list', ['incident', 'list', '--db', db])
    const list = await run('incident list --json', ['incident', 'list', '--json', '--db', db])
    const {incidents} = JSON.parse(list.stdout) as {incidents: {id: number}[]}
    expect(incidents.length).toBeGreaterThan(0)
    for (const {id} of incidents) await run(`incident show ${id}`, ['incident', 'show', String(id), '--db', db])
    for (const format of ['md', 'json', 'csv', 'html', 'cacao'])
      await run(`export ${format}`, ['incident', 'export', String(incidents[0].id), '--format', format, '--db', db])

    const found = [
      ...outputs.flatMap(([where, text]) => leaks(where, text)),
      ...hook.received.flatMap((m, i) => leaks(`webhook ${i}`, JSON.stringify(m.body))),
      ...fs
        .readdirSync(tmp.dir)
        .filter((f) => f.startsWith('leaky.db'))
        .flatMap((f) => leaks(f, fs.readFileSync(path.join(tmp.dir, f)))),
    ]
    expect(found).toEqual([])
  }, 180_000)

  it('a validation error never prints an interpolated target', async () => {
    const bad = path.join(tmp.dir, 'bad-target.yaml')
    fs.writeFileSync(
      bad,
      'checks:\n  - {id: x, kind: http, target: "${env:WK_TARGET}"}\n  - {id: y, kind: web-security, target: "${env:WK_TARGET}"}\n',
    )
    for (const cmd of [
      ['check', 'validate'],
      ['check', 'run'],
    ]) {
      const r = await runCli([...cmd, '--checks', bad, '--db', path.join(tmp.dir, 'v.db')], {
        env: {WK_TARGET: `not a url ${KEY}`},
      })
      expect(r.code).toBe(cmd[1] === 'run' ? 3 : 2)
      expect(r.stderr).toMatch(/bad-target\.yaml:2:\d+ checks\[0\]\.target: not a URL \(check x\)/)
      expect(leaks(cmd.join(' '), r.stderr + r.stdout)).toEqual([])
    }
  })
})
