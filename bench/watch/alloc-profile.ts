import type net from 'node:net'
/**
 * Where `watch` allocates (by hand): the Watcher in-process on real timers, N loopback HTTP checks at an
 * interval, with V8's sampling heap profiler counting every allocation (also those the GC has since
 * collected) for a while after warm-up. Prints bytes allocated per minute by allocating function and by
 * the nearest watchkeeper frame (src/), and the heap after a full GC.
 *
 *   npx tsx bench/watch/alloc-profile.ts [--checks 1000] [--interval 15s] [--warmup 30] [--seconds 60]
 */
import fs from 'node:fs'
import http from 'node:http'
import inspector from 'node:inspector/promises'
import os from 'node:os'
import path from 'node:path'

import {validateCatalogue} from '../../src/catalogue/load.js'
import {WatchMetrics} from '../../src/metrics/watch-metrics.js'
import {buildWatchConfig} from '../../src/monitor/watch-config.js'
import {watchHooks} from '../../src/monitor/watch-hooks.js'
import {Watcher} from '../../src/monitor/watch.js'
import {openDatabase} from '../../src/store/db.js'

const args = process.argv.slice(2)
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}

const N = Number(arg('checks', '1000'))
const INTERVAL = arg('interval', '15s')
const WARMUP_S = Number(arg('warmup', '30'))
const SECONDS = Number(arg('seconds', '60'))

interface ProfileNode {
  callFrame: {functionName: string; url: string; lineNumber: number}
  selfSize: number
  children: ProfileNode[]
}

const server = http.createServer((req, res) => res.end('ok\n'))
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const {port} = server.address() as net.AddressInfo
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-alloc-'))
const file = path.join(dir, 'checks.yaml')
const lines = [
  'defaults:',
  `  interval: ${INTERVAL}`,
  '  timeout: 5s',
  'watch:',
  '  concurrency: 64',
  `  stagger: ${INTERVAL}`,
  'checks:',
]
for (let i = 0; i < N; i++)
  lines.push(
    `  - {id: c${String(i).padStart(4, '0')}, kind: http, service: svc${i % 20}, target: "http://127.0.0.1:${port}/c/${i}"}`,
  )
fs.writeFileSync(file, lines.join('\n') + '\n')
const db = openDatabase(path.join(dir, 'wk.db'))
const hooks = watchHooks({})
const metrics = new WatchMetrics(hooks.metricSources(db))
const watcher = new Watcher({
  db,
  metrics,
  hooks,
  load() {
    const {catalogue, problems} = validateCatalogue([file])
    return catalogue ? buildWatchConfig(catalogue) : {problems}
  },
})
watcher.init()
watcher.start()
const scrape = setInterval(() => void metrics.text(), 15_000)
await new Promise((resolve) => setTimeout(resolve, WARMUP_S * 1000))

const session = new inspector.Session()
session.connect()
await session.post('HeapProfiler.enable')
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 8192,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
} as never)
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
const {profile} = (await session.post('HeapProfiler.stopSampling')) as unknown as {profile: {head: ProfileNode}}
clearInterval(scrape)

const bySelf = new Map<string, number>()
const bySrc = new Map<string, number>()
let total = 0
const walk = (n: ProfileNode, stack: ProfileNode['callFrame'][]) => {
  const here = [...stack, n.callFrame]
  if (n.selfSize > 0) {
    total += n.selfSize
    const f = n.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/src\//, 'src/')}:${f.lineNumber + 1}`
    bySelf.set(key, (bySelf.get(key) ?? 0) + n.selfSize)
    const src = [...here].reverse().find((c) => c.url.includes('/src/'))
    const skey = src
      ? `${src.functionName || '(anonymous)'} ${src.url.replace(/^.*\/src\//, 'src/')}:${src.lineNumber + 1}`
      : '(outside src)'
    bySrc.set(skey, (bySrc.get(skey) ?? 0) + n.selfSize)
  }

  for (const c of n.children) walk(c, here)
}

walk(profile.head, [])
const perMin = (b: number) => (b / 2 ** 20 / (SECONDS / 60)).toFixed(2).padStart(8)
const top = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 30)
    .map(([k, v]) => `${perMin(v)} MiB/min  ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
console.log(
  `${N} checks every ${INTERVAL}; sampled ${SECONDS} s after ${WARMUP_S} s; allocated ${perMin(total)} MiB/min in all`,
)
console.log('\nby allocating function:')
console.log(top(bySelf).join('\n'))
console.log('\nby nearest src/ frame:')
console.log(top(bySrc).join('\n'))
const summary = await watcher.stop(2000)
console.log(`\nruns ${summary.runs}`)
session.disconnect()
server.close()
db.close()
fs.rmSync(dir, {recursive: true, force: true})
