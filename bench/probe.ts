/**
 * /probe bench (by hand, not in CI): probes per second, and per CPU-second of the exporter process, on
 * loopback. The real CLI (`bin/run.js watch`) answers `GET /probe?check=ID` and `?target=URL&module=http_2xx`;
 * Debian's prometheus-blackbox-exporter, when installed, answers the same `?target=…&module=http_2xx`
 * in the same run. A keep-alive Node client keeps a fixed number of scrapes in flight; the target is a
 * plain Node HTTP server in its own process. Rounds are interleaved; the median round is reported.
 *
 *   npm run build && npx tsx bench/probe.ts [--concurrency 32] [--seconds 10] [--rounds 3]
 */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Agent, request} from 'undici'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter'
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? dflt : process.argv[i + 1]
}

const CONCURRENCY = Number(arg('concurrency', '32'))
const SECONDS = Number(arg('seconds', '10'))
const ROUNDS = Number(arg('rounds', '3'))
const TICK = 100 // clock ticks a second for /proc/PID/stat (getconf CLK_TCK on Linux)

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const {port} = s.address() as net.AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = fs
    .readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICK
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return
    } catch {}

    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  throw new Error(`${url} did not answer`)
}

interface Round {
  name: string
  probes: number
  failed: number
  seconds: number
  cpu: number
}

/** Keeps CONCURRENCY scrapes in flight for SECONDS; counts the answers that say probe_success 1. */
async function load(name: string, url: string, pid: number): Promise<Round> {
  const agent = new Agent({connections: CONCURRENCY, keepAliveTimeout: 30_000})
  const end = performance.now() + SECONDS * 1000
  let probes = 0
  let failed = 0
  const cpu0 = cpuSeconds(pid)
  const t0 = performance.now()
  const worker = async () => {
    while (performance.now() < end) {
      const r = await request(url, {dispatcher: agent, headers: {'x-prometheus-scrape-timeout-seconds': '10'}})
      const body = await r.body.text()
      if (r.statusCode === 200 && /^probe_success 1$/m.test(body)) probes++
      else failed++
    }
  }

  await Promise.all(Array.from({length: CONCURRENCY}, worker))
  const seconds = (performance.now() - t0) / 1000
  const cpu = cpuSeconds(pid) - cpu0
  await agent.close()
  return {name, probes, failed, seconds, cpu}
}

function target(): void {
  // The child: a plain loopback HTTP server.
  void import('node:http').then(({default: http}) => {
    const server = http.createServer((_req, res) => res.end('ok'))
    server.keepAliveTimeout = 5000
    server.listen(Number(process.argv[3]), '127.0.0.1')
  })
}

async function main(): Promise<void> {
  const children: ChildProcess[] = []
  const stop = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
  }

  process.on('exit', stop)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-bench-probe-'))
  try {
    const targetPort = await freePort()
    children.push(
      spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'target', String(targetPort)], {
        stdio: 'inherit',
      }),
    )
    const targetUrl = `http://127.0.0.1:${targetPort}/health`
    await waitFor(targetUrl)

    const file = path.join(dir, 'checks.yaml')
    fs.writeFileSync(file, `checks:\n  - {id: api, kind: http, target: "${targetUrl}", interval: 1h}\n`)
    const wkPort = await freePort()
    const wk = spawn(
      process.execPath,
      [
        path.join(ROOT, 'bin', 'run.js'),
        'watch',
        '--checks',
        file,
        '--db',
        path.join(dir, 'wk.db'),
        '--metrics',
        `127.0.0.1:${wkPort}`,
      ],
      {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'ignore']},
    )
    children.push(wk)
    await waitFor(`http://127.0.0.1:${wkPort}/healthz`)

    const runs: {name: string; url: string; pid: number}[] = [
      {name: 'watchkeeper /probe?check=api', url: `http://127.0.0.1:${wkPort}/probe?check=api`, pid: wk.pid!},
      {
        name: 'watchkeeper /probe?target=…&module=http_2xx',
        url: `http://127.0.0.1:${wkPort}/probe?target=${encodeURIComponent(targetUrl)}&module=http_2xx`,
        pid: wk.pid!,
      },
    ]
    let blackboxVersion: string | undefined
    if (fs.existsSync(BLACKBOX)) {
      const v = spawnSync(BLACKBOX, ['--version'], {encoding: 'utf8'})
      blackboxVersion = (v.stdout || v.stderr).split('\n')[0]
      fs.writeFileSync(path.join(dir, 'blackbox.yml'), 'modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n')
      const bbPort = await freePort()
      const bb = spawn(
        BLACKBOX,
        [
          `--config.file=${path.join(dir, 'blackbox.yml')}`,
          `--web.listen-address=127.0.0.1:${bbPort}`,
          '--log.level=warn',
        ],
        {stdio: ['ignore', 'ignore', 'ignore']},
      )
      children.push(bb)
      await waitFor(`http://127.0.0.1:${bbPort}/-/healthy`)
      runs.push({
        name: 'blackbox_exporter /probe?target=…&module=http_2xx',
        url: `http://127.0.0.1:${bbPort}/probe?target=${encodeURIComponent(targetUrl)}&module=http_2xx`,
        pid: bb.pid!,
      })
    }

    // Warm up, then interleave the rounds.
    for (const r of runs) await load(r.name, r.url, r.pid)
    const results = new Map<string, Round[]>()
    for (let i = 0; i < ROUNDS; i++) {
      for (const r of runs) results.set(r.name, [...(results.get(r.name) ?? []), await load(r.name, r.url, r.pid)])
    }

    const cpus = os.cpus()
    console.log(
      `# /probe bench: ${new Date().toISOString()}; ${cpus.length} × ${cpus[0]?.model}; load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    )
    console.log(
      `# Node ${process.version}; concurrency ${CONCURRENCY}; ${ROUNDS} rounds of ${SECONDS} s; median round${blackboxVersion ? `; ${blackboxVersion}` : '; blackbox_exporter not installed'}`,
    )
    console.log('| endpoint | probes/s | exporter CPU s/s | probes per CPU-second | failed |')
    console.log('|---|---|---|---|---|')
    for (const [name, rounds] of results) {
      const sorted = [...rounds].sort((a, b) => a.probes / a.seconds - b.probes / b.seconds)
      const m = sorted[Math.floor(sorted.length / 2)]
      console.log(
        `| ${name} | ${(m.probes / m.seconds).toFixed(0)} | ${(m.cpu / m.seconds).toFixed(2)} | ${(m.probes / Math.max(m.cpu, 0.01)).toFixed(0)} | ${rounds.reduce((n, r) => n + r.failed, 0)} |`,
      )
    }
  } finally {
    stop()
    fs.rmSync(dir, {recursive: true, force: true})
  }
}

if (process.argv[2] === 'target') target()
else await main()
