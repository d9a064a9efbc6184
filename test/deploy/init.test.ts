import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'

let tmp: {dir: string; cleanup: () => void}
let api: RunningServer
let hits = 0

beforeAll(async () => {
  tmp = tmpDir('wk-init-')
  api = await startHttp((req, res) => {
    hits++
    res.writeHead(200, {'content-type': 'application/json'}).end('{"status":"pass"}')
  })
})
afterAll(async () => {
  await api.close()
  tmp.cleanup()
})

const file = (name: string) => path.join(tmp.dir, name)

describe('watchkeeper init', () => {
  it('writes a valid starter catalogue for your URL, and `check run --checks` it succeeds', async () => {
    const out = file('mine.yaml')
    const before = hits
    const init = await runCli(['init', '--url', `${api.url}/health`, '--name', 'Booking API', '--out', out, '--json'])
    expect(init.stderr).toBe('')
    expect(init.code).toBe(0)
    // init itself sends nothing to the service.
    expect(hits).toBe(before)
    const doc = JSON.parse(init.stdout) as {file: string; schema: string; checks: {id: string; kind: string; target: string}[]}
    expect(doc.checks).toEqual([{id: '127.0.0.1', kind: 'http', target: `${api.url}/health`}])
    const text = fs.readFileSync(out, 'utf8')
    // The schema comment points at the shipped schema (absolute outside the package).
    const ref = /^# yaml-language-server: \$schema=(.+)$/m.exec(text)?.[1]
    expect(ref).toBe(path.join(ROOT, 'schemas', 'checks.schema.json'))
    expect(doc.schema).toBe(ref)
    expect(fs.existsSync(ref!)).toBe(true)
    expect(text).toContain('name: "Booking API"')

    const validate = await runCli(['check', 'validate', '--checks', out])
    expect(validate.code).toBe(0)
    const run = await runCli(['check', 'run', '--checks', out, '--json', '--db', file('wk.db')])
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout) as {summary: Record<string, number>; results: {checkId: string; status: string}[]}
    expect(report.results.map((r) => [r.checkId, r.status])).toEqual([['127.0.0.1', 'ok']])
    expect(hits).toBe(before + 1)
  })

  it('adds a certificate check for an https URL, ids and names from the host', async () => {
    const out = file('https.yaml')
    const res = await runCli(['init', '--url', 'https://My-Service.example.nhs.uk:8443/status', '--tier', 'gold', '--out', out])
    expect(res.code).toBe(0)
    expect(res.stdout).toContain(`wrote ${out}: my-service.example.nhs.uk (http https://my-service.example.nhs.uk:8443/status), my-service.example.nhs.uk-tls (tls my-service.example.nhs.uk:8443)`)
    const list = await runCli(['check', 'list', '--checks', out, '--json'])
    expect(list.code).toBe(0)
    const checks = (JSON.parse(list.stdout) as {checks?: {id: string; kind: string; tier?: string}[]} | {id: string; kind: string; tier?: string}[])
    const rows = Array.isArray(checks) ? checks : checks.checks!
    expect(rows.map((c) => [c.id, c.kind, c.tier])).toEqual([['my-service.example.nhs.uk', 'http', 'gold'], ['my-service.example.nhs.uk-tls', 'tls', 'gold']])
  })

  it('inside the package the schema reference is relative, as the shipped catalogue has it', async () => {
    const {dir, cleanup} = tmpDir('wk-init-in-')
    // A folder inside the package root: the checkout's own .tmp/ (gitignored).
    const inside = path.join(ROOT, '.tmp', path.basename(dir))
    fs.mkdirSync(inside, {recursive: true})
    try {
      const out = path.join(inside, 'mine.yaml')
      const res = await runCli(['init', '--url', `${api.url}/`, '--out', out])
      expect(res.code).toBe(0)
      expect(fs.readFileSync(out, 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/checks\.schema\.json$/m)
    } finally {
      fs.rmSync(inside, {recursive: true, force: true})
      cleanup()
    }
  })

  it('refuses to overwrite without --force, and overwrites with it', async () => {
    const out = file('keep.yaml')
    fs.writeFileSync(out, 'mine: true\n')
    const refused = await runCli(['init', '--url', `${api.url}/`, '--out', out])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`Error: ${out} exists; not overwriting it.`)
    expect(refused.stderr).toContain('--force')
    expect(fs.readFileSync(out, 'utf8')).toBe('mine: true\n')
    const forced = await runCli(['init', '--url', `${api.url}/`, '--out', out, '--force'])
    expect(forced.code).toBe(0)
    expect(fs.readFileSync(out, 'utf8')).toContain('kind: http')
  })

  it('bad input: exit 2, the flag named, nothing written, no stack trace', async () => {
    const cases: [string[], string][] = [
      [['--url', 'not a url'], '--url not a url: not a URL'],
      [['--url', 'ftp://files.example/'], '--url ftp://files.example/: expected an http:// or https:// URL, got ftp:'],
      [['--url', 'https://user:secret@example.nhs.uk/'], 'credentials in the URL would be stored with every result'],
      [['--url', `${api.url}/`, '--id', 'Bad Id'], '--id Bad Id: expected lower-case letters'],
      [['--url', `${api.url}/`, '--tier', 'diamond'], 'Expected --tier=diamond to be one of: bronze, silver, gold, platinum'],
      [[], 'Missing required flag url'],
      [['--url', `${api.url}/`, '--out', path.join(tmp.dir, 'no-such-folder', 'x.yaml')], `No folder ${path.join(tmp.dir, 'no-such-folder')} for --out`],
    ]
    for (const [args, message] of cases) {
      const out = file('bad.yaml')
      const res = await runCli(['init', ...args, ...(args.includes('--out') ? [] : ['--out', out])])
      expect({args, code: res.code}).toEqual({args, code: 2})
      expect(res.stderr).toContain(message)
      expect(res.stderr).not.toMatch(/\n\s+at /)
      expect(fs.existsSync(out)).toBe(false)
    }
  })

  it('--out a folder: exit 2 with the file to give instead, even with --force', async () => {
    const res = await runCli(['init', '--url', `${api.url}/`, '--out', tmp.dir, '--force'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain(`Error: --out ${tmp.dir} is a folder; give the file to write, e.g. ${path.join(tmp.dir, 'my-service.yaml')}`)
  })

  it('what the catalogue validator rejects is reported at the would-be file and line, and nothing is written', async () => {
    const out = file('empty-name.yaml')
    const res = await runCli(['init', '--url', `${api.url}/`, '--name', '', '--service', 'Booking', '--out', out])
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(new RegExp(`1 problem in starter catalogue \\(nothing written\\) files:\\n  ${out.replaceAll('.', String.raw`\.`)}:\\d+:\\d+ checks\\[0\\]\\.name: must NOT have fewer than 1 characters \\(check 127\\.0\\.0\\.1\\)\\n$`))
    expect(fs.readdirSync(tmp.dir).filter((f) => f.includes('empty-name'))).toEqual([])
  })
})
