/**
 * Render time of the status page over 1,000 checks and a year of rollups.
 * Run by hand, never in CI:
 *   npx tsx bench/rollups/generate.ts --file .tmp/bench/rollups.db --raw-days 1
 *   npx tsx bench/status-page.ts [--file .tmp/bench/rollups.db] [--rounds 20]
 *
 * The benchmark copies the database, gives every check a watch state (as a running watch keeps them), and
 * times, with the 5-second model cache off (the latency of finished hours cached, as `watch` keeps it, or cold): building the model (rollups for 24 h / 7 d / 30 d, last results, states,
 * incidents, posture), the overview HTML from it, the whole GET / answer, one check page, the status JSON
 * and one badge. Median and p95 of the rounds.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {initialState} from '../src/monitor/evaluator.js'
import {openDatabase} from '../src/store/db.js'
import {knownCheckIds} from '../src/store/results.js'
import {saveMonitorStates} from '../src/store/monitor.js'
import {overviewHtml} from '../src/web/html.js'
import {statusModel} from '../src/web/model.js'
import {StatusSite} from '../src/web/site.js'

const args = process.argv.slice(2)
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : dflt
}
const source = arg('file', '.tmp/bench/rollups.db')
const ROUNDS = Number(arg('rounds', '20'))

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-status-bench-'))
const file = path.join(dir, 'bench.db')
fs.copyFileSync(source, file)
const db = openDatabase(file)
const ids = knownCheckIds(db)
const now = Date.now()
saveMonitorStates(db, ids.map((id, i) => ({...initialState(id, now - 3_600_000), state: i % 50 === 0 ? 'failing' : i % 20 === 0 ? 'degraded' : 'ok', incidentId: null})), now)

function time(label: string, fn: () => unknown): {label: string; median: number; p95: number; size: number} {
  fn()
  const ms: number[] = []
  let size = 0
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now()
    const out = fn()
    ms.push(performance.now() - t)
    size = typeof out === 'string' ? Buffer.byteLength(out) : (out as {body?: string})?.body?.length ?? 0
  }
  ms.sort((a, b) => a - b)
  return {label, median: ms[Math.floor(ms.length / 2)], p95: ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)], size}
}

const site = new StatusSite(db, {refreshSeconds: 60, cacheMs: 0})
const model = statusModel(db, {now})
const warm = {byRef: new Map()}
const rows = [
  time('model, cold (statusModel)', () => statusModel(db, {now: Date.now()})),
  time('model, warm (finished hours cached, as watch keeps them)', () => statusModel(db, {now: Date.now(), cache: warm})),
  time('overview HTML from a model', () => overviewHtml(model, {refreshSeconds: 60})),
  time('GET / (warm model + HTML + answer)', () => site.answer('/', false)),
  time(`GET /checks/${ids[0]}.html`, () => site.answer(`/checks/${ids[0]}.html`, false)),
  time('GET /api/v1/status', () => site.answer('/api/v1/status', false)),
  time(`GET /badge/check/${ids[0]}/uptime/30d.svg (model rebuilt)`, () => site.answer(`/badge/check/${ids[0]}/uptime/30d.svg`, false)),
]
const counts = db.prepare(`SELECT (SELECT count(*) FROM checks) AS checks, (SELECT count(*) FROM rollup_hourly) AS hourly, (SELECT count(*) FROM rollup_daily) AS daily,
  (SELECT count(*) FROM results) AS raw, (SELECT count(*) FROM outages) AS outages`).get() as Record<string, number>
console.log(`database: ${JSON.stringify(counts)}`)
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${new Date().toISOString()}`)
console.log(`| what | median | p95 | size |\n|---|---|---|---|`)
for (const r of rows) console.log(`| ${r.label} | ${r.median.toFixed(1)} ms | ${r.p95.toFixed(1)} ms | ${r.size ? `${Math.round(r.size / 1024)} KiB` : ''} |`)
db.close()
fs.rmSync(dir, {recursive: true, force: true})
