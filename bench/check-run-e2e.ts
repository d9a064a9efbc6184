import type {AddressInfo} from 'node:net'
/**
 * `check run` end to end through the real CLI (start-up, catalogue load, checks, database writes, output)
 * against a bare script doing the same work by hand: the same 1,000 loopback HTTP requests with the same
 * JSON assertion, a fresh connection each, at the same concurrency, and one better-sqlite3 insert per
 * result (in one transaction, as check run stores a run). Interleaved rounds; prints medians and the ratio.
 *
 *   npm run build && node --import tsx bench/check-run-e2e.ts [checks=1000] [concurrency=16] [rounds=5] [--cpu-prof DIR]
 *
 * With --cpu-prof, one extra CLI run writes V8 CPU profiles into DIR (one per thread), and one bare run into DIR/bare. Only loopback is contacted.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const profDir = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined
const nums = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--cpu-prof').map(Number)
const N = nums[0] ?? 1000
const C = nums[1] ?? 16
const ROUNDS = nums[2] ?? 5
const SERVERS = 10

const BARE = `
import Database from 'better-sqlite3'
import {Client} from 'undici'
const [dbFile, urlsJson, n, c] = process.argv.slice(2)
const urls = JSON.parse(urlsJson)
const db = new Database(dbFile)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
db.exec('CREATE TABLE IF NOT EXISTS results (check_id TEXT, ts INTEGER, status INTEGER, duration_ms REAL, http_status INTEGER)')
const insert = db.prepare('INSERT INTO results VALUES (?, ?, ?, ?, ?)')
const rows = []
let next = 0
await Promise.all(Array.from({length: Number(c)}, async () => {
  while (next < Number(n)) {
    const i = next++
    const u = new URL(urls[i % urls.length])
    const started = performance.now()
    const client = new Client(u.origin)
    const res = await client.request({path: u.pathname, method: 'GET', signal: AbortSignal.timeout(10000)})
    const body = await res.body.json()
    const ok = res.statusCode === 200 && body.status === 'pass'
    rows.push(['bench-' + i, Date.now(), ok ? 0 : 2, performance.now() - started, res.statusCode])
    await client.close()
  }
}))
db.transaction(() => { for (const r of rows) insert.run(...r) })()
db.close()
if (rows.length !== Number(n)) process.exit(1)
`

async function startFleet(): Promise<{urls: string[]; close: () => Promise<void>}> {
  const servers: http.Server[] = []
  const urls: string[] = []
  for (let i = 0; i < SERVERS; i++) {
    const s = http.createServer((_req, res) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.end('{"status":"pass"}')
    })
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    servers.push(s)
    urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}/_ping`)
  }

  return {
    urls,
    async close() {
      for (const s of servers) {
        s.closeAllConnections()
        await new Promise((r) => s.close(r))
      }
    },
  }
}

function catalogue(urls: string[]): string {
  const lines = ['checks:']
  for (let i = 0; i < N; i++) {
    lines.push(
      `  - id: bench-${i}`,
      `    kind: http`,
      `    target: ${urls[i % urls.length]}`,
      `    expect:`,
      `      json:`,
      `        - {path: $.status, op: "==", value: pass}`,
    )
  }

  return lines.join('\n') + '\n'
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-e2e-'))
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
const cpu: Record<string, number[]> = {}

/**
 * Runs a process (the servers live in this process, which only serves meanwhile); returns its wall time
 * and, where /usr/bin/time exists, records its user+system CPU seconds under `label` (less bent by a
 * loaded machine than wall time).
 */
async function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv, label = ''): Promise<number> {
  const {spawn} = await import('node:child_process')
  const started = performance.now()
  const out = path.join(dir, 'time.txt')
  const code = await new Promise<number>((resolve) => {
    const p = TIME
      ? spawn(TIME, ['-f', '%U %S', '-o', out, cmd, ...argv], {env, stdio: ['ignore', 'ignore', 'pipe']})
      : spawn(cmd, argv, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let err = ''
    p.stderr.on('data', (d) => (err += d))
    p.on('exit', (c) => {
      if (c !== 0) process.stderr.write(`${argv.join(' ')} exited ${c}: ${err.slice(0, 500)}\n`)
      resolve(c ?? 1)
    })
  })
  const ms = performance.now() - started
  if (code !== 0 && code !== 1) throw new Error(`exit ${code}`)
  if (TIME && label) {
    const [user, sys] = fs.readFileSync(out, 'utf8').trim().split(/\s+/).slice(-2).map(Number)
    ;(cpu[label] ??= []).push(user + sys)
  }

  return ms
}

const fleet = await startFleet()
try {
  const file = path.join(dir, 'checks.yaml')
  fs.writeFileSync(file, catalogue(fleet.urls))
  const bareFile = path.join(ROOT, '.tmp', 'bench-bare-check-run.mjs')
  fs.mkdirSync(path.dirname(bareFile), {recursive: true})
  fs.writeFileSync(bareFile, BARE)
  const env = {...process.env, NO_COLOR: '1', XDG_DATA_HOME: dir}
  const cli = (db: string, extra: string[] = [], label = '') =>
    timed(
      process.execPath,
      [
        ...extra,
        path.join(ROOT, 'bin', 'run.js'),
        'check',
        'run',
        '--checks',
        file,
        '--concurrency',
        String(C),
        '--db',
        db,
      ],
      env,
      label,
    )
  const bare = (db: string, label = '') =>
    timed(process.execPath, [bareFile, db, JSON.stringify(fleet.urls), String(N), String(C)], env, label)

  // Warm-up: file cache, both paths once.
  await cli(path.join(dir, 'warm.db'))
  await bare(path.join(dir, 'warm-bare.db'))
  const wk: number[] = []
  const bb: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    // A fresh database each round, as a first run would find it.
    wk.push(await cli(path.join(dir, `wk-${r}.db`), [], 'cli'))
    bb.push(await bare(path.join(dir, `bare-${r}.db`), 'bare'))
  }

  // Sanity: the CLI stored every result.
  const check = spawnSync(process.execPath, [
    '-e',
    `const D=require(${JSON.stringify(path.join(ROOT, 'node_modules', 'better-sqlite3'))});const d=new D(${JSON.stringify(path.join(dir, 'wk-0.db'))},{readonly:true});console.log(d.prepare('select coalesce(sum(n), 0) n from result_blocks').get().n)`,
  ])
  const stored = Number(String(check.stdout).trim())
  if (profDir) {
    fs.mkdirSync(profDir, {recursive: true})
    await cli(path.join(dir, 'prof.db'), ['--cpu-prof', '--cpu-prof-dir', profDir])
    await timed(
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-dir',
        path.join(profDir, 'bare'),
        bareFile,
        path.join(dir, 'prof-bare.db'),
        JSON.stringify(fleet.urls),
        String(N),
        String(C),
      ],
      env,
    )
  }

  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${new Date().toISOString()}, load average ${load}`,
  )
  console.log(
    `${N} http checks (JSON assertion), concurrency ${C}, ${SERVERS} loopback servers, ${ROUNDS} interleaved rounds; results stored by the CLI in round 1: ${stored}`,
  )
  console.log(
    `watchkeeper check run (CLI): median ${median(wk).toFixed(0)} ms  [${wk.map((x) => x.toFixed(0)).join(', ')}]`,
  )
  console.log(
    `bare script (undici + better-sqlite3): median ${median(bb).toFixed(0)} ms  [${bb.map((x) => x.toFixed(0)).join(', ')}]`,
  )
  console.log(
    `ratio: ${(median(wk) / median(bb)).toFixed(2)}×  (per round: ${wk.map((x, i) => (x / bb[i]).toFixed(2)).join(', ')})`,
  )
  if (cpu.cli && cpu.bare) {
    console.log(
      `CPU (user+sys): CLI median ${median(cpu.cli).toFixed(2)} s, bare median ${median(cpu.bare).toFixed(2)} s, ratio ${(median(cpu.cli) / median(cpu.bare)).toFixed(2)}×`,
    )
  }
} finally {
  await fleet.close()
  fs.rmSync(dir, {recursive: true, force: true})
}
