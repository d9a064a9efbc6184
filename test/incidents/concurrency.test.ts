import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'

import {ROOT, runCli, tmpDir} from '../helpers/cli.js'

/** Appends notes through the real core (dist/) from a separate process. */
const WRITER = `
const [,, dist, db, id, who, n] = process.argv
const {openDatabase} = await import(dist + '/store/db.js')
const {addNote} = await import(dist + '/incidents/service.js')
const conn = openDatabase(db)
for (let i = 0; i < Number(n); i++) addNote({db: conn, actor: who, now: Date.now()}, Number(id), who + ' note ' + i)
conn.close()
`

function run(args: string[]): Promise<{code: number | null; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({code, stderr}))
  })
}

describe('two writers on one incident', () => {
  const tmp = tmpDir()
  afterAll(() => tmp.cleanup())

  it('serialise: every note lands once and the chain stays whole', async () => {
    const db = path.join(tmp.dir, 'wk.sqlite')
    const open = await runCli(['incident', 'open', '--title', 'Concurrent scribes', '--db', db, '--json'])
    expect(open.code, open.stderr).toBe(0)
    const {id} = JSON.parse(open.stdout) as {id: number}
    const script = path.join(tmp.dir, 'writer.mjs')
    fs.writeFileSync(script, WRITER)
    const dist = pathToFileURL(path.join(ROOT, 'dist')).href
    const N = 150
    const [a, b, c, d] = await Promise.all([
      run([script, dist, db, String(id), 'alice', String(N)]),
      run([script, dist, db, String(id), 'bob', String(N)]),
      runCli(['incident', 'note', String(id), 'carol via the CLI', '--db', db]),
      runCli(['incident', 'note', String(id), 'dave via the CLI', '--db', db]),
    ])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    expect(c.code, c.stderr).toBe(0)
    expect(d.code, d.stderr).toBe(0)
    const verify = await runCli(['incident', 'verify', String(id), '--db', db, '--json'])
    expect(verify.code, verify.stdout).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({ok: true, count: 2 * N + 3})
    const show = JSON.parse((await runCli(['incident', 'show', String(id), '--db', db, '--json'])).stdout) as {
      events: {seq: number; data: {text?: string}}[]
    }
    expect(show.events.map((e) => e.seq)).toEqual(Array.from({length: 2 * N + 3}, (_, i) => i + 1))
    const texts = show.events.map((e) => e.data.text).filter(Boolean)
    expect(new Set(texts).size).toBe(2 * N + 2)
    // Each writer's own notes stay in the order it wrote them.
    const alice = texts.filter((t) => t?.startsWith('alice'))
    expect(alice).toEqual(Array.from({length: N}, (_, i) => `alice note ${i}`))
  }, 180_000)
})
