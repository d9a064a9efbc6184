import Database from 'better-sqlite3'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {lastResults} from '../../src/store/results.js'
import {runCli, tmpDir} from '../helpers/cli.js'

let dir: string
let cleanup: () => void
let okPort: number
let badBannerPort: number
let closedPort: number
const servers: net.Server[] = []

async function listen(onConn: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConn)
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return (server.address() as net.AddressInfo).port
}

beforeAll(async () => {
  ;({dir, cleanup} = tmpDir())
  okPort = await listen((s) => s.end('220 mail.test ESMTP\r\n'))
  badBannerPort = await listen((s) => s.end('554 go away\r\n'))
  closedPort = await listen(() => {})
  await new Promise((r) => servers.pop()!.close(r))
})
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  cleanup()
})

function catalogue(name: string, body: string): string {
  const file = path.join(dir, name)
  fs.writeFileSync(file, body)
  return file
}

describe('watchkeeper CLI (real process)', () => {
  it('check validate exits 0 on a good catalogue and 2 with every located problem on a bad one', async () => {
    const good = catalogue('good.yaml', `checks:\n  - id: smtp\n    kind: tcp\n    target: 127.0.0.1:${okPort}\n`)
    const ok = await runCli(['check', 'validate', '--checks', good])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('valid: 1 checks')

    const bad = catalogue(
      'bad.yaml',
      'checks:\n  - id: a\n    kind: tcp\n    target: h:1\n    alerst: 3\n  - id: b\n    kind: tcp\n    target: h:1\n    retries: "2"\n  - id: a\n    kind: tcp\n    target: h:2\n',
    )
    const res = await runCli(['check', 'validate', '--checks', bad])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain(`${bad}:5:5 checks[0].alerst: unknown key "alerst"`)
    expect(res.stderr).toContain(`${bad}:9:14 checks[1].retries: expected integer`)
    expect(res.stderr).toContain(`${bad}:10:9 checks[2].id: duplicate check id "a"`)
    expect(res.stderr).not.toMatch(/\n\s+at /)

    const cron = catalogue(
      'cron.yaml',
      'checks:\n  - id: a\n    kind: tcp\n    target: h:1\n    schedule: "61 * * * *"\n',
    )
    const cronRes = await runCli(['check', 'validate', '--checks', cron])
    expect(cronRes.code).toBe(2)
    expect(cronRes.stderr).toContain(`${cron}:5:15 checks[0].schedule:`)

    const json = await runCli(['check', 'validate', '--checks', bad, '--json'])
    expect(json.code).toBe(2)
    const doc = JSON.parse(json.stdout)
    expect(doc.valid).toBe(false)
    expect(doc.problems).toHaveLength(3)
  })

  it('check run prints the JSON contract, stores one row per check and exits with the worst status', async () => {
    const file = catalogue(
      'run.yaml',
      [
        'defaults:',
        '  timeout: 2s',
        'checks:',
        `  - {id: smtp-ok, kind: tcp, target: "127.0.0.1:${okPort}", banner: "^220", service: Mail}`,
        `  - {id: smtp-bad, kind: tcp, target: "127.0.0.1:${badBannerPort}", banner: "^220"}`,
        `  - {id: closed, kind: tcp, target: "127.0.0.1:${closedPort}"}`,
        '',
      ].join('\n'),
    )
    const db = path.join(dir, 'run.db')
    const res = await runCli(['check', 'run', '--checks', file, '--json', '--db', db])
    expect(res.code).toBe(2)
    const doc = JSON.parse(res.stdout)
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['startedAt', 'finishedAt', 'summary', 'results']))
    expect(doc.summary).toEqual({ok: 1, warn: 0, crit: 2, unknown: 0})
    const byId = Object.fromEntries(doc.results.map((r: {checkId: string}) => [r.checkId, r]))
    expect(byId['smtp-ok']).toMatchObject({
      kind: 'tcp',
      target: `127.0.0.1:${okPort}`,
      status: 'ok',
      findings: [],
      metrics: expect.any(Object),
    })
    expect(byId['smtp-ok'].timings).toMatchObject({connectMs: expect.any(Number), totalMs: expect.any(Number)})
    expect(typeof byId['smtp-ok'].durationMs).toBe('number')
    expect(byId['smtp-bad'].summary).toContain('554 go away')
    expect(byId.closed).toMatchObject({status: 'crit', summary: 'connection refused'})

    const raw = new Database(db, {readonly: true})
    const rows = lastResults(raw).map((r) => ({check_id: r.checkId, status: r.status}))
    raw.close()
    expect(rows).toEqual([
      {check_id: 'closed', status: 'crit'},
      {check_id: 'smtp-bad', status: 'crit'},
      {check_id: 'smtp-ok', status: 'ok'},
    ])

    const status = await runCli(['status', '--json', '--db', db])
    expect(status.code).toBe(0)
    const st = JSON.parse(status.stdout)
    expect(st.checks.map((c: {checkId: string; status: string}) => [c.checkId, c.status])).toEqual([
      ['closed', 'crit'],
      ['smtp-bad', 'crit'],
      ['smtp-ok', 'ok'],
    ])

    const only = await runCli(['check', 'run', '--checks', file, '--id', 'smtp-ok', '--format', 'nagios', '--db', db])
    expect(only.code).toBe(0)
    expect(only.stdout).toMatch(
      /^smtp-ok OK: connected in \d+ ms, banner "220 mail.test ESMTP" \| 'time'=[\d.]+s;;;0 'time_dns'=[\d.]+s;;;0 'time_connect'=[\d.]+s;;;0\n$/,
    )

    const prom = await runCli(['check', 'run', '--checks', file, '--format', 'prom', '--db', db])
    expect(prom.stdout).toContain(
      `probe_success{check="smtp-ok",kind="tcp",service="Mail",target="127.0.0.1:${okPort}"} 1`,
    )
    expect(prom.stdout).toMatch(/watchkeeper_check_status\{check="closed",[^}]*\} 2/)

    const hist = await runCli(['history', 'smtp-ok', '--json', '--db', db])
    expect(JSON.parse(hist.stdout).results).toHaveLength(3)
  })

  it('cannot run at all: exit 3 for check run, nothing written; other commands exit 2 on usage errors', async () => {
    const file = catalogue('one.yaml', `checks:\n  - {id: x, kind: tcp, target: "127.0.0.1:${okPort}"}\n`)
    const unwritable = path.join(dir, 'not-a-dir')
    fs.writeFileSync(unwritable, 'file, not a folder')
    const res = await runCli(['check', 'run', '--checks', file, '--db', path.join(unwritable, 'x.db')])
    expect(res.code).toBe(3)
    expect(res.stderr).toMatch(/^Error: Cannot open database .*\nHint: /)

    const badFlag = await runCli(['check', 'run', '--checks', file, '--format', 'xml', '--db', path.join(dir, 'f.db')])
    expect(badFlag.code).toBe(3)
    expect(badFlag.stderr).toContain('Expected --format=xml to be one of')
    expect(fs.existsSync(path.join(dir, 'f.db'))).toBe(false)

    const badDef = await runCli([
      'check',
      'run',
      '--checks',
      catalogue('bad2.yaml', 'checks:\n  - {id: x, kind: tcp}\n'),
      '--db',
      path.join(dir, 'g.db'),
    ])
    expect(badDef.code).toBe(3)
    expect(fs.existsSync(path.join(dir, 'g.db'))).toBe(false)

    const statusBad = await runCli(['status', '--recent', 'lots', '--db', path.join(dir, 'h.db')])
    expect(statusBad.code).toBe(2)
    const jsonErr = await runCli(['status', '--recent', 'lots', '--json'])
    expect(jsonErr.code).toBe(2)
    expect(JSON.parse(jsonErr.stdout).error.code).toBe('E_USAGE')
  })

  it('a public host fails cleanly without network', async () => {
    const file = catalogue(
      'public.yaml',
      'checks:\n  - {id: nhs-mx, kind: tcp, target: "mail.nhs.invalid:25", timeout: 3s}\n',
    )
    const res = await runCli(['check', 'run', '--checks', file, '--json', '--db', path.join(dir, 'p.db')])
    expect(res.code).toBe(2)
    const r = JSON.parse(res.stdout).results[0]
    expect(r.status).toBe('crit')
    expect(r.summary).toMatch(/DNS lookup failed/)
  })
})
