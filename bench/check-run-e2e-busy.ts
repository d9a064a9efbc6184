/**
 * Does a 76 ms check read 76 ms while 127 other checks (posture included) run beside it? One http check
 * against a loopback server that answers after 76 ms sits in the middle of a run of 128: 40 web-security
 * scans with TLS posture, 40 tls checks with posture, 47 http checks with JSON assertions. The fixtures
 * run in a child process (the JSON servers on threads of their own), so their CPU (server-side
 * handshakes) is on neither the runner's loop nor the 76 ms server's.
 *
 *   node --import tsx bench/check-run-e2e-busy.ts [rounds=5] [concurrency=16]
 *
 * Modes: every check on the main thread (as before the probe thread), and the default (light checks
 * timed on the probe thread, posture on the main thread). Only loopback is contacted.
 *
 * The 76 ms server stands in for a remote host: its thread asks for the same raised priority as the probe
 * thread (nice 10 below the process's; allowed for root or with CAP_SYS_NICE), so that on a busy machine the
 * answer itself is not late. The nice values each got are printed.
 */
import {fork} from 'node:child_process'
import os from 'node:os'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import type {CheckDefinition} from '../src/catalogue/load.js'

const DELAY_MS = 76

interface Fixture {
  siteUrl: string
  httpPort: number
  ca: string
  resolve: string[]
  slowUrl: string
  jsonUrl: string
  slowNice: number
}

if (process.argv[2] === 'fixture') {
  const {startSite} = await import('../test/posture/site.js')
  const site = await startSite()
  // Each JSON server on a thread of its own: the site's server-side handshakes must not delay the 76 ms answer.
  const serve = (delay: number, raise: boolean) =>
    new Promise<string>((resolve) => {
      const w = new Worker(
        `
      const http = require('node:http')
      const os = require('node:os')
      const {parentPort} = require('node:worker_threads')
      if (${raise}) try { os.setPriority(0, Math.max(-20, os.getPriority(0) - 10)) } catch {}
      const serverNice = os.getPriority(0)
      const s = http.createServer((_req, res) => setTimeout(() => {
        res.writeHead(200, {'content-type': 'application/json'})
        res.end('{"status":"pass"}')
      }, ${delay}))
      s.listen(0, '127.0.0.1', () => parentPort.postMessage({port: s.address().port, nice: serverNice}))
    `,
        {eval: true},
      )
      w.once('message', (m: {port: number; nice: number}) => {
        if (raise) slowNice = m.nice
        resolve(`http://127.0.0.1:${m.port}/`)
      })
    })
  let slowNice = Number.NaN
  const fixture: Fixture = {
    siteUrl: site.url,
    httpPort: site.http.port,
    ca: site.ca,
    resolve: site.resolve,
    slowUrl: await serve(DELAY_MS, !process.env.BENCH_SERVER_NICE_OFF),
    jsonUrl: await serve(0, false),
    slowNice,
  }
  process.send?.(fixture)
  process.on('disconnect', () => process.exit(0))
} else {
  const rounds = Number(process.argv[2] ?? 5)
  const concurrency = Number(process.argv[3] ?? 16)
  const {parseResolveRule} = await import('../src/probes/net.js')
  const {loopDelayNow, refreshLoopDelay, resetLoopDelay, runChecks} = await import('../src/monitor/runner.js')
  const {probeThread} = await import('../src/monitor/probe-thread.js')

  const child = fork(fileURLToPath(import.meta.url), ['fixture'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const fx = await new Promise<Fixture>((resolve) => child.once('message', (m) => resolve(m as Fixture)))
  const rules = fx.resolve.map((r) => parseResolveRule(r)).filter((r) => r !== undefined)
  const def = (
    id: string,
    kind: string,
    target: string,
    spec: Record<string, unknown>,
    net: CheckDefinition['net'] = {resolve: rules, ca: fx.ca},
  ): CheckDefinition => ({
    id,
    name: id,
    kind,
    target,
    tags: [],
    enabled: true,
    timeoutMs: 10_000,
    retries: 0,
    net,
    spec: {id, kind, target, ...spec},
    secrets: [],
    source: {file: 'bench', line: 1, col: 1},
  })
  const {host} = new URL(fx.siteUrl)
  const checks: CheckDefinition[] = []
  for (let i = 0; i < 127; i++) {
    if (i % 3 === 0) checks.push(def(`web-${i}`, 'web-security', fx.siteUrl, {http_port: fx.httpPort, tls: true}))
    else if (i % 3 === 1) checks.push(def(`tls-${i}`, 'tls', host, {posture: true}))
    else
      checks.push(
        def(
          `json-${i}`,
          'http',
          fx.jsonUrl,
          {expect: {json: [{path: '$.status', op: '==', value: 'pass'}]}},
          {resolve: []},
        ),
      )
  }

  checks.splice(
    64,
    0,
    def('measured', 'http', fx.slowUrl, {latency: {warn: `${Math.round(DELAY_MS * 1.1)}ms`}}, {resolve: []}),
  )

  const measuredCheck = checks[64]
  const modes = [
    {name: 'the measured check alone (probe thread)', probeThread: true, alone: true},
    {name: 'all on the main thread', probeThread: false, alone: false},
    {name: 'probe thread (default)', probeThread: true, alone: false},
  ]
  const rows: Record<
    string,
    {
      ms: number[]
      loop: number[]
      suspect: number
      main: number[]
      mainMax: number[]
      wall: number[]
      phases: Record<string, number | undefined>[]
    }
  > = {}
  for (const m of modes) rows[m.name] = {ms: [], loop: [], suspect: 0, main: [], mainMax: [], wall: [], phases: []}
  // Warm-up round of each mode.
  for (const m of modes) await runChecks(checks.slice(60, 70), {concurrency, probeThread: m.probeThread})
  for (let r = 0; r < rounds; r++) {
    for (const m of modes) {
      resetLoopDelay()
      const t = performance.now()
      const results = await runChecks(m.alone ? [measuredCheck] : checks, {concurrency, probeThread: m.probeThread})
      const wall = performance.now() - t
      await refreshLoopDelay()
      const measured = results.find((x) => x.checkId === 'measured')
      const bad = results.filter((x) => x.status === 'unknown' || x.status === 'crit')
      if (bad.length > 0)
        console.error(`${m.name}: ${bad.length} crit/unknown, e.g. ${bad[0].checkId}: ${bad[0].summary}`)
      const row = rows[m.name]
      row.ms.push(measured?.durationMs ?? Number.NaN)
      row.loop.push(measured?.loopDelayMs ?? 0)
      if (measured?.timingSuspect) row.suspect++
      const d = loopDelayNow()
      row.main.push(d.main.p99Ms)
      row.mainMax.push(d.main.maxMs)
      row.wall.push(wall)
      if (measured) row.phases.push({...measured.timings})
    }
  }

  const probeNice = probeThread.nice
  await probeThread.close()
  child.disconnect()
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString()}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  )
  console.log(
    `nice: process ${os.getPriority(0)}, probe thread ${probeNice}, 76 ms server thread ${fx.slowNice ?? 'not raised'}`,
  )
  console.log(
    `128 checks (40 web-security + tls posture, 40 tls posture, 47 http JSON, 1 measured http of ${DELAY_MS} ms), concurrency ${concurrency}, ${rounds} rounds`,
  )
  console.log(
    '| mode | measured check: median (min–max) | within 10 % | its loop delay (median) | flagged suspect | main loop p99 / max (median) | run wall (median) |',
  )
  console.log('|---|---|---|---|---|---|---|')
  const phaseLines: string[] = []
  for (const m of modes) {
    const r = rows[m.name]
    const within = r.ms.filter((x) => Math.abs(x - DELAY_MS) <= DELAY_MS * 0.1).length
    const p = r.phases[r.ms.indexOf(med(r.ms))] ?? {}
    phaseLines.push(
      `${m.name}: ${Object.entries(p)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    )
    console.log(
      `| ${m.name} | ${med(r.ms).toFixed(1)} ms (${Math.min(...r.ms).toFixed(1)}–${Math.max(...r.ms).toFixed(1)}) | ${within}/${r.ms.length} | ${med(r.loop)} ms | ${r.suspect}/${r.ms.length} | ${med(r.main)} / ${med(r.mainMax)} ms | ${med(r.wall).toFixed(0)} ms |`,
    )
  }

  console.log('\nphases of the median reading:')
  for (const l of phaseLines) console.log(`- ${l}`)
}
