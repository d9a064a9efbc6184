/**
 * Time of every status page request over 1,000 checks and a year of rollups, as `watch` serves them.
 * Run by hand, never in CI:
 *   npx tsx bench/rollups/generate.ts --file .tmp/bench/rollups.db --raw-days 1
 *   npx tsx bench/status-page.ts [--file .tmp/bench/rollups.db] [--rounds 20]
 *
 * The benchmark copies the database, gives every check a watch state (as a running watch keeps them) and
 * sets the clock to where the generated data ends. Each round then moves the clock 5 seconds on (the model
 * cache's life) and, untimed, writes the results a watcher would have written in those 5 seconds (a result a
 * minute per check: about 83 checks) through the real store, so every timed request after the first finds
 * an expired model and rebuilds it from the watcher's cache, as the first request after 5 seconds does.
 * Cold: a new site each round (the first request after `watch` starts). Median and p95 of the rounds.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {CheckResult} from '../src/types.js'
import {initialState} from '../src/monitor/evaluator.js'
import {openDatabase} from '../src/store/db.js'
import {saveMonitorStates} from '../src/store/monitor.js'
import {insertResults, knownCheckIds, lastResults} from '../src/store/results.js'
import {overviewHtml} from '../src/web/html.js'
import {modelCache, statusModel} from '../src/web/model.js'
import {StatusSite} from '../src/web/site.js'

const args = process.argv.slice(2)
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}

const source = arg('file', '.tmp/bench/rollups.db')
const ROUNDS = Number(arg('rounds', '20'))
const STEP = 5000

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-status-bench-'))
const file = path.join(dir, 'bench.db')
fs.copyFileSync(source, file)
const db = openDatabase(file)
const ids = knownCheckIds(db)
const refs = new Map(db.prepare('SELECT check_id, id FROM checks').raw(true).all() as [string, number][])
const last = new Map(lastResults(db).map((r) => [r.checkId, r]))
let clock = Math.max(...[...last.values()].map((r) => r.ts)) + 1000
saveMonitorStates(
  db,
  ids.map((id, i) => ({
    ...initialState(id, clock - 3_600_000),
    state: i % 50 === 0 ? 'failing' : i % 20 === 0 ? 'degraded' : 'ok',
    incidentId: null,
  })),
  clock,
)

/** Moves the clock 5 s on and writes the results due in those 5 s (each check keeps its second of the minute). */
function tick(): void {
  const from = clock
  clock += STEP
  const due: CheckResult[] = []
  for (const [id, r] of last) {
    let ts = r.ts + 60_000
    if (ts >= clock) continue
    while (ts + 60_000 < from) ts += 60_000
    const ms = r.durationMs
    const next = {
      checkId: id,
      kind: r.kind,
      target: r.target,
      status: r.status,
      summary: r.summary,
      timings: {totalMs: ms},
      findings: [],
      metrics: {},
      startedAt: ts,
      durationMs: ms,
      attempts: 1,
    }
    due.push(next)
    last.set(id, {...r, ts})
  }

  if (due.length > 0) insertResults(db, refs, null, due)
}

interface Row {
  label: string
  median: number
  p95: number
  size: number
}
/** Times `fn` once a round after `between`; with `staged`, `fn` sets up untimed and returns what is timed. */
function time(label: string, fn: () => unknown, between: () => void = tick, staged = false): Row {
  const run = staged ? (fn() as () => unknown) : fn
  run()
  const ms: number[] = []
  let size = 0
  for (let i = 0; i < ROUNDS; i++) {
    between()
    const timed = staged ? (fn() as () => unknown) : fn
    const t = performance.now()
    const out = timed()
    ms.push(performance.now() - t)
    size = typeof out === 'string' ? Buffer.byteLength(out) : ((out as {body?: string})?.body?.length ?? 0)
  }

  ms.sort((a, b) => a - b)
  return {
    label,
    median: ms[Math.floor(ms.length / 2)],
    p95: ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)],
    size,
  }
}

const site = new StatusSite(db, {refreshSeconds: 60, now: () => clock})
// The floor: a bare `node -e 0` start (87 ms median at load average 1.1-1.4 on this machine, bench/startup.ts),
// timed between the rows so the slowdown the load causes can be read beside them.
const floor = () => time('floor: node -e 0 (process start)', () => spawnSync(process.execPath, ['-e', '0']), none)
const cache = modelCache()
const none = () => {}
const rows: Row[] = [
  floor(),
  time('model, cold (statusModel, no cache)', () => statusModel(db, {now: clock})),
  time("model, rebuilt from the watcher's cache after 5 s of results", () => statusModel(db, {now: clock, cache})),
]
const model = statusModel(db, {now: clock})
rows.push(
  time('overview HTML from a model', () => overviewHtml(model, {refreshSeconds: 60}), none),
  time('GET / cold (a new site, its cache empty)', () =>
    new StatusSite(db, {refreshSeconds: 60, now: () => clock}).answer('/', false),
  ),
  time(
    'GET / first after watch starts (a new site, primed as watch primes it)',
    () => {
      const s = new StatusSite(db, {refreshSeconds: 60, now: () => clock})
      s.prime()
      clock += STEP
      return () => s.answer('/', false)
    },
    tick,
    true,
  ),
  time('GET / after 5 s (model rebuilt + HTML)', () => site.answer('/', false)),
  time(`GET /checks/${ids[0]}.html after 5 s`, () => site.answer(`/checks/${ids[0]}.html`, false)),
  time('GET /api/v1/status after 5 s', () => site.answer('/api/v1/status', false)),
  time(`GET /badge/check/${ids[0]}/uptime/30d.svg after 5 s`, () =>
    site.answer(`/badge/check/${ids[0]}/uptime/30d.svg`, false),
  ),
  time('GET / within the 5 s (answer kept)', () => site.answer('/', false), none),
  time(
    `GET /checks/ID.html within the 5 s (model kept; a different check each time)`,
    () => site.answer(`/checks/${ids[1 + Math.floor(Math.random() * 998)]}.html`, false),
    none,
  ),
  floor(),
)
const counts = db
  .prepare(
    `SELECT (SELECT count(*) FROM checks) AS checks, (SELECT count(*) FROM rollup_hourly) AS hourly, (SELECT count(*) FROM rollup_daily) AS daily,
  (SELECT sum(n) FROM result_blocks) AS raw, (SELECT count(*) FROM outages) AS outages`,
  )
  .get() as Record<string, number>
console.log(`database: ${JSON.stringify(counts)}; clock ${new Date(clock).toISOString()}`)
console.log(
  `machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${new Date().toISOString()}`,
)
console.log(`| what | median | p95 | size |\n|---|---|---|---|`)
for (const r of rows)
  console.log(
    `| ${r.label} | ${r.median.toFixed(1)} ms | ${r.p95.toFixed(1)} ms | ${r.size > 0 ? `${Math.round(r.size / 1024)} KiB` : ''} |`,
  )
db.close()
fs.rmSync(dir, {recursive: true, force: true})
