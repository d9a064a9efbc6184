/**
 * Watch bench (by hand, not in CI): N loopback HTTP checks at an interval, watched by the real CLI
 * (`bin/run.js watch`) for a duration; samples the process's memory and the scheduler's start lag from
 * its own /metrics every 30 s.
 *
 *   npm run build && npx tsx bench/watch/run.ts [--checks 1000] [--interval 15s] [--minutes 10]
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : dflt
}
const N = Number(arg('checks', '1000'))
const INTERVAL = arg('interval', '15s')
const MINUTES = Number(arg('minutes', '10'))

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}

function lagQuantile(text: string, q: number): number {
  const buckets = [...text.matchAll(/^watchkeeper_check_start_lag_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])] as const)
  const total = buckets.at(-1)?.[1] ?? 0
  for (const [le, n] of buckets) if (n >= q * total) return le
  return Infinity
}

async function main(): Promise<void> {
  let hits = 0
  const server = http.createServer((req, res) => {
    hits++
    res.end('ok')
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-bench-watch-'))
  const file = path.join(dir, 'checks.yaml')
  const lines = ['defaults:', `  interval: ${INTERVAL}`, '  timeout: 5s', 'watch:', '  concurrency: 64', '  stagger: 15s', 'checks:']
  for (let i = 0; i < N; i++) lines.push(`  - {id: c${String(i).padStart(4, '0')}, kind: http, target: "http://127.0.0.1:${port}/c/${i}"}`)
  fs.writeFileSync(file, lines.join('\n') + '\n')
  const metricsPort = await freePort()
  const db = path.join(dir, 'wk.db')
  const started = Date.now()
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), 'watch', '--checks', file, '--db', db, '--metrics', `127.0.0.1:${metricsPort}`, '--log-format', 'json'],
    {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
  let warnings = 0
  child.stderr!.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n')) if (/"level":"(warn|error)"/.test(l)) warnings++
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const rows: string[] = []
  console.log(`watch bench: ${N} checks every ${INTERVAL} for ${MINUTES} min; ${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`)
  console.log('minute  rss MiB  heap MiB  results  lag p50  lag p99  lag max-bucket')
  const end = started + MINUTES * 60_000
  let last = ''
  while (Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 30_000))
    try {
      last = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    } catch {
      continue
    }
    const rss = (metric(last, 'process_resident_memory_bytes') ?? 0) / 2 ** 20
    const heap = (metric(last, 'nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20
    const results = [...last.matchAll(/^watchkeeper_results_total\{status="[a-z]+"\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0)
    const row = `${((Date.now() - started) / 60_000).toFixed(1).padStart(6)}  ${rss.toFixed(1).padStart(7)}  ${heap.toFixed(1).padStart(8)}  ${String(results).padStart(7)}  ${String(lagQuantile(last, 0.5)).padStart(7)}  ${String(lagQuantile(last, 0.99)).padStart(7)}`
    rows.push(row)
    console.log(row)
  }
  child.kill('SIGTERM')
  const code = await exited
  const {default: Database} = await import('better-sqlite3')
  const store = new Database(db, {readonly: true})
  const {scanRaw} = await import('../../src/store/results.js')
  let stored = 0
  let notOk = 0
  scanRaw(store, 0, Number.MAX_SAFE_INTEGER, (_, e) => {
    stored++
    if (e.status !== 0) notOk++
  })
  store.close()
  const lagSum = metric(last, 'watchkeeper_check_start_lag_seconds_sum') ?? 0
  const lagCount = metric(last, 'watchkeeper_check_start_lag_seconds_count') ?? 1
  console.log(`exit ${code}; requests served ${hits}; results stored ${stored} (${notOk} not ok); mean start lag ${(1000 * lagSum / lagCount).toFixed(1)} ms; skipped runs ${metric(last, 'watchkeeper_runs_skipped_total')}; warnings logged ${warnings}`)
  server.close()
  fs.rmSync(dir, {recursive: true, force: true})
}

await main()
