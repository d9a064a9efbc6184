import type http from 'node:http'
import {spawn} from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/store/db.js'
import {MIGRATIONS} from '../../src/store/migrations/index.js'
import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'

// Root writes any file whatever its mode, so when the tests run as root the "user who can only read"
// is nobody (uid 65534); as any other user it is the user itself.
const root = process.getuid?.() === 0
const NOBODY = 65_534
const canDrop =
  root &&
  (() => {
    try {
      return fs
        .readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .some((l) => l.split(':')[2] === String(NOBODY))
    } catch {
      return false
    }
  })()

/** The CLI as a user who can read the copy but not write it or its folder. */
function runAsReader(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: {...process.env, NO_COLOR: '1', WATCHKEEPER_CHECKS: '', HOME: '/nonexistent'},
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(canDrop ? {uid: NOBODY, gid: NOBODY} : {}),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')

/** A folder of read-only copies: file 0444 in a 0555 folder. */
function readOnlyCopy(dir: string, name: string, files: [string, string][]): string {
  const folder = path.join(dir, name)
  fs.mkdirSync(folder)
  for (const [from, to] of files) {
    fs.copyFileSync(from, path.join(folder, to))
    fs.chmodSync(path.join(folder, to), 0o444)
  }

  fs.chmodSync(folder, 0o555)
  return path.join(folder, files[0][1])
}

describe("a database the user can only read (an auditor's copy)", () => {
  const tmp = tmpDir('wk-ro-')
  let web: RunningServer<http.Server>
  let live: string
  let copy: string
  let digest: string

  beforeAll(async () => {
    fs.chmodSync(tmp.dir, 0o755)
    web = await startHttp((req, res) => res.end('ok'))
    const catalogue = path.join(tmp.dir, 'checks.yaml')
    fs.writeFileSync(catalogue, `checks:\n  - {id: web, kind: http, target: "${web.url}/"}\n`)
    live = path.join(tmp.dir, 'live', 'wk.db')
    for (const args of [
      ['check', 'run', '--checks', catalogue],
      ['check', 'run', '--checks', catalogue],
      ['incident', 'open', '--title', 'Ransom note on the file share', '--severity', 'SEV1'],
      ['incident', 'note', '1', 'isolated the share'],
    ]) {
      const r = await runCli([...args, '--db', live])
      expect(r.code, r.stderr).toBe(0)
    }

    // Every CLI process has closed it, so the WAL is checkpointed and gone: the copy is the one file.
    expect(fs.existsSync(`${live}-wal`)).toBe(false)
    copy = readOnlyCopy(tmp.dir, 'audit', [[live, 'wk.db']])
    digest = sha(copy)
  })
  afterAll(async () => {
    await web.close()
    for (const d of fs.readdirSync(tmp.dir))
      if (fs.statSync(path.join(tmp.dir, d)).isDirectory()) fs.chmodSync(path.join(tmp.dir, d), 0o755)
    tmp.cleanup()
  })

  const READERS: string[][] = [
    ['status', '--json'],
    ['history', 'web', '--json'],
    ['report', 'uptime', '--json'],
    ['report', 'slo', '--json'],
    ['report', 'posture', '--json'],
    ['incident', 'list', '--json'],
    ['incident', 'show', '1', '--json'],
    ['incident', 'verify', '1', '--json'],
    ['incident', 'export', '1', '--format', 'json'],
    ['incident', 'export', '1', '--format', 'md'],
    ['incident', 'export', '1', '--format', 'csv'],
    ['db', 'stats', '--json'],
  ]

  function expectUntouched(): void {
    expect(fs.readdirSync(path.dirname(copy))).toEqual(['wk.db'])
    expect(sha(copy)).toBe(digest)
  }

  it('--read-only: every reading command works, creates no -wal or -shm, and leaves the bytes as they were', async () => {
    const out: Record<string, string> = {}
    for (const args of READERS) {
      const r = await runCli([...args, '--db', copy, '--read-only'])
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      out[args.slice(0, 2).join(' ')] = r.stdout
    }

    expectUntouched()
    expect(JSON.parse(out['incident verify'])).toMatchObject({ok: true, count: 2})
    expect(JSON.parse(out['incident list']).incidents.map((i: {title: string}) => i.title)).toEqual([
      'Ransom note on the file share',
    ])
    expect(JSON.parse(out['history web']).results).toHaveLength(2)
    expect(JSON.parse(out['db stats'])).toMatchObject({
      file: copy,
      schemaVersion: Math.max(...MIGRATIONS.map((m) => m.version)),
    })
    const backup = path.join(tmp.dir, 'backup.db')
    const b = await runCli(['db', 'backup', backup, '--db', copy, '--read-only'])
    expect(b.code, b.stderr).toBe(0)
    expectUntouched()
    expect(JSON.parse((await runCli(['incident', 'verify', '1', '--db', backup, '--json'])).stdout)).toMatchObject({
      ok: true,
      count: 2,
    })
    // The same answers as from the live file.
    const liveShow = await runCli(['incident', 'show', '1', '--json', '--db', live])
    expect(JSON.parse(out['incident show']).events).toEqual(JSON.parse(liveShow.stdout).events)
  })

  it.skipIf(root && !canDrop)(
    'without the flag, as a user who cannot write the file or its folder, reading commands open it read-only by themselves',
    async () => {
      for (const args of READERS) {
        const r = await runAsReader([...args, '--db', copy])
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      }

      expectUntouched()
      const write = await runAsReader(['incident', 'note', '1', 'tampering', '--db', copy])
      expect(write.code).toBe(1)
      expect(write.stderr).toMatch(/Cannot open database .*wk\.db: EACCES/)
      expectUntouched()
    },
  )

  it('a writing command with --read-only is a usage error, and nothing is opened', async () => {
    const r = await runCli(['incident', 'note', '1', 'x', '--db', copy, '--read-only'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--read-only: `watchkeeper incident note` writes to the database/)
    const run = await runCli([
      'check',
      'run',
      '--checks',
      path.join(tmp.dir, 'checks.yaml'),
      '--db',
      copy,
      '--read-only',
    ])
    expect(run.code).toBe(3)
    expectUntouched()
  })

  it('an older schema is refused saying exactly why: the versions, what is pending, and that migrating would write', async () => {
    const old = path.join(tmp.dir, 'old.db')
    openDatabase(old, {migrations: MIGRATIONS.slice(0, 3)}).close()
    const oldCopy = readOnlyCopy(tmp.dir, 'old-audit', [[old, 'old.db']])
    const before = sha(oldCopy)
    const r = await runCli(['status', '--db', oldCopy, '--read-only'])
    expect(r.code).toBe(1)
    const pending = MIGRATIONS.slice(3)
      .map((m) => `${m.version} ${m.name}`)
      .join(', ')
    expect(r.stderr).toContain(
      `${oldCopy} is read-only (asked for read-only) and its schema is version 3; this watchkeeper needs ${Math.max(...MIGRATIONS.map((m) => m.version))} (pending: ${pending}), and migrating would write to it.`,
    )
    expect(r.stderr).toMatch(/Hint: Copy it to a folder you can write/)
    expect(fs.readdirSync(path.dirname(oldCopy))).toEqual(['old.db'])
    expect(sha(oldCopy)).toBe(before)
  })

  it.skipIf(root && !canDrop)(
    'changes still in a -wal file with no -shm beside it, in a read-only folder: says why it cannot be read',
    async () => {
      // A copy taken while a writer had it open: the last rows are only in the -wal.
      const src = path.join(tmp.dir, 'busy.db')
      const w = openDatabase(src)
      w.pragma('wal_autocheckpoint = 0')
      w.prepare("INSERT INTO watch_meta (key, value, updated_at) VALUES ('k', '1', 1)").run()
      const walCopy = readOnlyCopy(tmp.dir, 'wal-audit', [
        [src, 'busy.db'],
        [`${src}-wal`, 'busy.db-wal'],
      ])
      w.close()
      const r = await runAsReader(['status', '--db', walCopy])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(
        `Cannot read database ${walCopy} read-only (you cannot write the file (EACCES)): ${walCopy}-wal holds changes not yet in the file, and SQLite needs ${walCopy}-shm to read them, which it cannot create here`,
      )
      expect(r.stderr).toMatch(/Hint: Copy .* \(with any -wal and -shm files beside it\) to a folder you can write/)
      expect(fs.readdirSync(path.dirname(walCopy)).sort()).toEqual(['busy.db', 'busy.db-wal'])
    },
  )
})
