/**
 * Times the reports on the database bench/rollups/generate.ts made: through the real CLI (bin/run.js,
 * wall clock, as a user sees it) and in-process (the core alone), plus bare CLI start-up for reference.
 * Run by hand:  npx tsx bench/rollups/time-reports.ts [--file .tmp/bench/rollups.db] [--runs 5] [--no-cli]
 * (--no-cli times the core only: `history` and `status` reads beside the reports).
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {sloReport} from '../../src/reports/slo.js'
import {statusReport} from '../../src/reports/status.js'
import {resolveWindow, uptimeReport} from '../../src/reports/uptime.js'
import {openDatabase} from '../../src/store/db.js'
import {lastResults, recentResults} from '../../src/store/results.js'

const args = process.argv.slice(2)
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}

const file = arg('file', '.tmp/bench/rollups.db')
const RUNS = Number(arg('runs', '5'))
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const BIN = path.join(ROOT, 'bin', 'run.js')

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function cli(
  label: string,
  argv: string[],
): {label: string; medianMs: number; minMs: number; maxMs: number; stdoutBytes: number} {
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    const r = spawnSync(process.execPath, [BIN, ...argv], {env: {...process.env, NO_COLOR: '1'}, maxBuffer: 1 << 28})
    times.push(performance.now() - t0)
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
    bytes = r.stdout.length
  }

  return {
    label,
    medianMs: Math.round(median(times)),
    minMs: Math.round(Math.min(...times)),
    maxMs: Math.round(Math.max(...times)),
    stdoutBytes: bytes,
  }
}

function inProcess(label: string, fn: () => unknown): {label: string; medianMs: number; minMs: number; maxMs: number} {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    fn()
    times.push(performance.now() - t0)
  }

  return {
    label,
    medianMs: Math.round(median(times)),
    minMs: Math.round(Math.min(...times)),
    maxMs: Math.round(Math.max(...times)),
  }
}

const db = openDatabase(file)
const now = Date.now()
const core = [
  inProcess('uptimeReport 30d (core)', () => uptimeReport(db, resolveWindow({period: '30d'}, now))),
  inProcess('uptimeReport month (core)', () => uptimeReport(db, resolveWindow({period: 'month'}, now))),
  inProcess('uptimeReport 365d (core)', () => uptimeReport(db, resolveWindow({since: '365d'}, now))),
  inProcess('sloReport 99.9/30d (core)', () => sloReport(db, {objective: 99.9, windowMs: 30 * 86_400_000, until: now})),
  inProcess('history: 50 newest of one check (core)', () => recentResults(db, 'check-0007', {limit: 50})),
  inProcess('history: a day of one check, 1,440 results (core)', () => recentResults(db, 'check-0007', {limit: 1440})),
  inProcess('history --since 7d of one check (core)', () =>
    recentResults(db, 'check-0007', {limit: 100_000, since: now - 7 * 86_400_000}),
  ),
  inProcess('last result of every check (core)', () => lastResults(db)),
  inProcess('status: every check, 20 recent each (core)', () => statusReport(db, {now})),
]
db.close()

const viaCli = args.includes('--no-cli')
  ? []
  : [
      cli('watchkeeper --version (start-up only)', ['--version']),
      cli('report uptime --period 30d --json', ['report', 'uptime', '--period', '30d', '--json', '--db', file]),
      cli('report uptime --period 30d (table)', ['report', 'uptime', '--period', '30d', '--db', file]),
      cli('report slo --json', ['report', 'slo', '--json', '--db', file]),
      cli('report slo --format csv', ['report', 'slo', '--format', 'csv', '--db', file]),
      cli('report uptime --period month --format md', [
        'report',
        'uptime',
        '--period',
        'month',
        '--format',
        'md',
        '--db',
        file,
      ]),
      cli('report uptime --since 365d --json', ['report', 'uptime', '--since', '365d', '--json', '--db', file]),
    ]

console.log(
  JSON.stringify(
    {
      file,
      fileBytes: fs.statSync(file).size,
      runs: RUNS,
      nproc: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadavg: os.loadavg().map((x) => Math.round(x * 10) / 10),
      core,
      cli: viaCli,
    },
    null,
    2,
  ),
)
