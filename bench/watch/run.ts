/**
 * Watch memory bench (by hand, not in CI): N loopback HTTP checks at an interval, watched by the real CLI
 * (`bin/run.js watch`) for a duration. It samples the process's RSS (/proc) every few seconds and its heap,
 * GC time and results from its own /metrics (scraped every 15 s, as Prometheus would), takes heap snapshots
 * through Node's `--heapsnapshot-signal=SIGUSR2` at the given minutes and compares them by constructor,
 * and prints RSS after warm-up, its slope (MiB/min, least squares) and the peak during start-up.
 *
 *   npm run build && npx tsx bench/watch/run.ts [--checks 1000] [--interval 15s] [--minutes 30]
 *     [--sample 5] [--warmup 3] [--snapshots 5,30 | none] [--servers 10] [--out DIR]
 *     [--root DIR (another build of the CLI)] [--node-flag --max-semi-space-size=4 (repeatable)]
 *     [--env NAME=VALUE (repeatable, for the watch process)]
 *
 * Outputs go to --out (default .tmp/bench/watch-<time>/): samples.csv, watch.log (its stderr), the
 * snapshots and heap-diff.txt. Each snapshot briefly grows RSS; the slope is fitted within the stretches
 * between snapshots (a common slope, one intercept per stretch), leaving out the minute after each.
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {diffGroups, formatDiff, heapGroups} from './heap-diff.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.resolve(HERE, '..', '..')
const args = process.argv.slice(2)
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}

const many = (name: string): string[] => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]] : []))
const N = Number(arg('checks', '1000'))
const INTERVAL = arg('interval', '15s')
const MINUTES = Number(arg('minutes', '30'))
const SAMPLE_S = Number(arg('sample', '5'))
const WARMUP_MIN = Number(arg('warmup', '3'))
const SERVERS = Number(arg('servers', '10'))
const SNAPSHOTS =
  arg('snapshots', '5,30') === 'none'
    ? []
    : arg('snapshots', '5,30')
        .split(',')
        .map(Number)
        .filter((m) => m > 0 && m <= MINUTES)
const ROOT = path.resolve(arg('root', REPO))
const NODE_FLAGS = many('node-flag')
const ENV = Object.fromEntries(many('env').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
const OUT = path.resolve(
  arg('out', path.join(REPO, '.tmp', 'bench', `watch-${new Date().toISOString().replaceAll(/[:.]/g, '-')}`)),
)
const MiB = 2 ** 20

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const {port} = s.address() as net.AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}

function sumOf(text: string, name: string): number {
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].reduce(
    (a, m) => a + Number(m[1]),
    0,
  )
}

/** VmRSS, VmHWM (bytes) and CPU seconds of a process, from /proc. */
function procStats(pid: number): {rss: number; hwm: number; cpu: number} | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    const ticks = Number(stat[11]) + Number(stat[12])
    return {rss: kb('VmRSS'), hwm: kb('VmHWM'), cpu: ticks / 100}
  } catch {
    return undefined
  }
}

/**
 * Resident memory of a process by kind of mapping, from /proc/PID/smaps: glibc's main arena ([heap]),
 * file-backed pages (the node binary, libraries), and anonymous mappings (V8's heaps, thread arenas, stacks).
 */
function smapsSplit(pid: number): {heap: number; file: number; anon: number} | undefined {
  try {
    const out = {heap: 0, file: 0, anon: 0}
    let kind: keyof typeof out = 'anon'
    for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
        const name = line.split(/\s+/)[5] ?? ''
        kind = name === '[heap]' ? 'heap' : name.startsWith('/') ? 'file' : 'anon'
      } else if (line.startsWith('Rss:')) {
        out[kind] += Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024
      }
    }

    return out
  } catch {
    return undefined
  }
}

interface Sample {
  t: number
  rss: number
  hwm: number
  cpu: number
  mapHeap?: number
  mapFile?: number
  mapAnon?: number
  heapUsed?: number
  heapTotal?: number
  gc?: number
  results?: number
}

/** Least-squares slope shared by several stretches, each with its own intercept (y per minute). */
export function commonSlope(stretches: {t: number; y: number}[][]): number {
  let num = 0
  let den = 0
  for (const s of stretches) {
    if (s.length < 2) continue
    const mt = s.reduce((a, p) => a + p.t, 0) / s.length
    const my = s.reduce((a, p) => a + p.y, 0) / s.length
    for (const p of s) {
      num += (p.t - mt) * (p.y - my)
      den += (p.t - mt) ** 2
    }
  }

  return den === 0 ? Number.NaN : num / den
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, {recursive: true})
  let hits = 0
  const servers: http.Server[] = []
  const ports: number[] = []
  for (let i = 0; i < SERVERS; i++) {
    const server = http.createServer((req, res) => {
      hits++
      res.setHeader('content-type', 'text/plain')
      res.end('ok\n')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    ports.push((server.address() as net.AddressInfo).port)
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-bench-watch-'))
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
  for (let i = 0; i < N; i++) {
    lines.push(
      `  - {id: c${String(i).padStart(4, '0')}, name: "Check ${i}", kind: http, service: svc${i % 20}, target: "http://127.0.0.1:${ports[i % SERVERS]}/c/${i}"}`,
    )
  }

  fs.writeFileSync(file, lines.join('\n') + '\n')
  const metricsPort = await freePort()
  const db = path.join(dir, 'wk.db')
  const logFile = fs.createWriteStream(path.join(OUT, 'watch.log'))
  const nodeArgs = [...NODE_FLAGS, '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${OUT}`]
  const started = Date.now()
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      path.join(ROOT, 'bin/run.js'),
      'watch',
      '--checks',
      file,
      '--db',
      db,
      '--metrics',
      `127.0.0.1:${metricsPort}`,
      '--log-format',
      'json',
    ],
    {cwd: ROOT, env: {...process.env, NO_COLOR: '1', ...ENV}, stdio: ['ignore', 'ignore', 'pipe']},
  )
  const pid = child.pid!
  let warnings = 0
  let startup: {ms: number; hwm: number} | undefined
  child.stderr!.on('data', (d: Buffer) => {
    logFile.write(d)
    for (const l of d.toString().split('\n')) {
      if (/"level":"(warn|error)"/.test(l)) warnings++
      if (!startup && /"msg":"watching /.test(l)) startup = {ms: Date.now() - started, hwm: procStats(pid)?.hwm ?? 0}
    }
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const env = `${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`
  console.log(
    `watch bench: ${N} checks every ${INTERVAL} on ${SERVERS} loopback servers for ${MINUTES} min; snapshots at ${SNAPSHOTS.join(', ') || 'none'} min; node flags: ${NODE_FLAGS.join(' ') || 'none'}`,
  )
  console.log(`root ${ROOT}; out ${OUT}`)
  console.log(`${new Date().toISOString()}; ${env}`)
  console.log('minute  rss MiB  heap MiB  gc s  cpu s  results  [heap] file anon MiB')

  const samples: Sample[] = []
  const snaps: {minute: number; at: number; file: string}[] = []
  const end = started + MINUTES * 60_000
  let lastScrape = 0
  let last: Omit<Sample, 't' | 'rss' | 'hwm' | 'cpu'> = {}
  let lastPrint = 0
  const pending = [...SNAPSHOTS].sort((a, b) => a - b)
  const takeSnapshot = async (minute: number) => {
    const before = new Set(fs.readdirSync(OUT))
    const at = Date.now()
    process.kill(pid, 'SIGUSR2')
    // Node writes the file as it goes; it is done when its size stops changing.
    let found: string | undefined
    let size = -1
    for (let i = 0; i < 240 && !gone; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      found ??= fs.readdirSync(OUT).find((f) => f.endsWith('.heapsnapshot') && !before.has(f))
      if (!found) continue
      const now = fs.statSync(path.join(OUT, found)).size
      if (now === size && now > 0) break
      size = now
    }

    if (found) snaps.push({minute, at, file: path.join(OUT, found)})
    console.log(
      `  snapshot at ${minute} min: ${found ?? 'none written'} (${(size / MiB).toFixed(0)} MB, ${((Date.now() - at) / 1000).toFixed(0)} s)`,
    )
  }

  while (Date.now() < end && !gone) {
    if (pending.length > 0 && Date.now() >= started + pending[0] * 60_000 && pending[0] < MINUTES)
      await takeSnapshot(pending.shift()!)
    const now = Date.now()
    if (now - lastScrape >= 15_000) {
      lastScrape = now
      try {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
        last = {
          heapUsed: metric(text, 'nodejs_heap_size_used_bytes'),
          heapTotal: metric(text, 'nodejs_heap_size_total_bytes'),
          gc: sumOf(text, 'nodejs_gc_duration_seconds_sum'),
          results: sumOf(text, 'watchkeeper_results_total'),
        }
      } catch {
        // not listening yet
      }
    }

    const p = procStats(pid)
    if (p) {
      const m = smapsSplit(pid)
      const s: Sample = {
        t: (Date.now() - started) / 60_000,
        ...p,
        mapHeap: m?.heap,
        mapFile: m?.file,
        mapAnon: m?.anon,
        ...last,
      }
      samples.push(s)
      if (s.t - lastPrint >= 1 || samples.length === 1) {
        lastPrint = Math.floor(s.t)
        console.log(
          `${s.t.toFixed(1).padStart(6)}  ${(s.rss / MiB).toFixed(1).padStart(7)}  ${((s.heapUsed ?? 0) / MiB).toFixed(1).padStart(8)}  ${(s.gc ?? 0).toFixed(1).padStart(4)}  ${s.cpu.toFixed(0).padStart(5)}  ${String(s.results ?? 0).padStart(7)}  ${[s.mapHeap, s.mapFile, s.mapAnon].map((v) => ((v ?? 0) / MiB).toFixed(1)).join(' ')}`,
        )
      }
    }

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(SAMPLE_S * 1000, end - Date.now()))))
  }

  if (pending.includes(MINUTES) && !gone) await takeSnapshot(MINUTES)
  const final = procStats(pid)
  child.kill('SIGTERM')
  const code = await exited
  logFile.end()

  const {default: Database} = await import('better-sqlite3')
  let stored = Number.NaN
  try {
    const store = new Database(db, {readonly: true})
    const {scanRaw} = await import('../../src/store/results.js')
    stored = 0
    scanRaw(store, 0, Number.MAX_SAFE_INTEGER, () => {
      stored++
    })
    store.close()
  } catch {
    // a store this bench cannot read
  }

  fs.writeFileSync(
    path.join(OUT, 'samples.csv'),
    'minute,rss_bytes,hwm_bytes,cpu_s,smaps_heap_bytes,smaps_file_bytes,smaps_anon_bytes,heap_used_bytes,heap_total_bytes,gc_s,results\n' +
      samples
        .map((s) =>
          [
            s.t.toFixed(3),
            s.rss,
            s.hwm,
            s.cpu,
            s.mapHeap ?? '',
            s.mapFile ?? '',
            s.mapAnon ?? '',
            s.heapUsed ?? '',
            s.heapTotal ?? '',
            s.gc ?? '',
            s.results ?? '',
          ].join(','),
        )
        .join('\n') +
      '\n',
  )

  // Stretches between snapshots, after warm-up, leaving out the minute after each snapshot.
  const cuts = snaps.map((s) => (s.at - started) / 60_000)
  const clean = samples.filter((s) => s.t >= WARMUP_MIN && !cuts.some((c) => s.t >= c && s.t < c + 1))
  const stretchOf = (t: number) => cuts.filter((c) => t >= c).length
  const stretches = (key: 'rss' | 'heapUsed' | 'mapHeap' | 'mapAnon') => {
    const out: {t: number; y: number}[][] = []
    for (const s of clean) {
      const y = s[key]
      if (y === undefined) continue
      ;(out[stretchOf(s.t)] ??= []).push({t: s.t, y: y / MiB})
    }

    return out.filter(Boolean)
  }

  const firstCut = cuts[0] ?? Infinity
  const afterWarmup = median(clean.filter((s) => s.t < Math.min(firstCut, WARMUP_MIN + 2)).map((s) => s.rss / MiB))
  const lastStretch = clean.filter(
    (s) =>
      s.t >= MINUTES - 5 && s.t < (cuts.at(-1) ?? Infinity) && s.t >= (cuts.findLast((c) => c < MINUTES - 1) ?? 0) + 1,
  )
  const span = clean.length > 1 ? clean.at(-1)!.t - clean[0].t : 0
  const gcRate =
    clean.length > 1 && clean.at(-1)!.gc !== undefined && clean[0].gc !== undefined
      ? (clean.at(-1)!.gc! - clean[0].gc!) / span
      : Number.NaN
  const cpuRate = clean.length > 1 ? (clean.at(-1)!.cpu - clean[0].cpu) / span : Number.NaN
  const hwmFirstRound = samples.filter((s) => s.t <= 1.5).reduce((m, s) => Math.max(m, s.hwm), 0)
  console.log('')
  console.log(
    `start-up: scheduling began after ${startup ? (startup.ms / 1000).toFixed(1) : '?'} s; peak RSS by then ${startup ? (startup.hwm / MiB).toFixed(1) : '?'} MiB; ` +
      `peak in the first 1.5 min ${(hwmFirstRound / MiB).toFixed(1)} MiB; peak over the run ${((final?.hwm ?? 0) / MiB).toFixed(1)} MiB (includes snapshots)`,
  )
  console.log(
    `RSS after warm-up (median, minutes ${WARMUP_MIN}–${Math.min(firstCut, WARMUP_MIN + 2).toFixed(1)}): ${afterWarmup.toFixed(1)} MiB; ` +
      `last 5 min: ${median(lastStretch.map((s) => s.rss / MiB)).toFixed(1)} MiB`,
  )
  console.log(
    `slope after warm-up: RSS ${commonSlope(stretches('rss')).toFixed(3)} MiB/min, heap used ${commonSlope(stretches('heapUsed')).toFixed(3)}, ` +
      `glibc [heap] ${commonSlope(stretches('mapHeap')).toFixed(3)}, anonymous ${commonSlope(stretches('mapAnon')).toFixed(3)} MiB/min ` +
      `(over ${span.toFixed(1)} min, ${stretches('rss').length} stretch(es))`,
  )
  console.log(
    `GC ${((gcRate * 1000) / 60).toFixed(1)} ms/s (${gcRate.toFixed(2)} s/min); CPU ${((cpuRate / 60) * 100).toFixed(1)} % of a core`,
  )
  console.log(
    `exit ${code}; requests served ${hits}; results stored ${stored}; warnings logged ${warnings}; load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  )
  for (const s of servers) s.close()
  fs.rmSync(dir, {recursive: true, force: true})

  if (snaps.length >= 2) {
    const [a, b] = [snaps[0], snaps.at(-1)!]
    const text =
      `heap snapshots: ${path.basename(a.file)} (minute ${a.minute}) → ${path.basename(b.file)} (minute ${b.minute})\n` +
      formatDiff(diffGroups(heapGroups(a.file), heapGroups(b.file)), 30)
    fs.writeFileSync(path.join(OUT, 'heap-diff.txt'), text + '\n')
    console.log('')
    console.log(text.split('\n').slice(0, 36).join('\n'))
    console.log(`(full comparison in ${path.join(OUT, 'heap-diff.txt')})`)
  }
}

await main()
