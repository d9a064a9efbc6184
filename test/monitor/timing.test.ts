/**
 * Timings that are the network's: the test blocks the main thread's event loop on purpose while a
 * server on another thread answers after a fixed delay. Nothing is timed against a wall-clock limit
 * that load could break: the server waits for the block to start before it begins its delay, and the
 * bounds are wide beside the 500 ms block.
 */
import {Worker} from 'node:worker_threads'

import {afterAll, afterEach, describe, expect, it} from 'vitest'

import type {CheckDefinition} from '../../src/catalogue/load.js'
import {loopDelayNow, resetLoopDelay, runCheck, runChecks} from '../../src/monitor/runner.js'

const DELAY_MS = 50
const BLOCK_MS = 500

/**
 * An HTTP server on its own thread. With `x-gate: all` (or `first`), each request (or the first) is announced to the main thread, which
 * answers "go" and then blocks its loop; the server starts its delay only on "go", so the answer lands
 * inside the block. `delays` gives the delay of each request in turn (the last repeats).
 */
async function serverThread(): Promise<{url: string; worker: Worker; close: () => Promise<number>}> {
  const worker = new Worker(
    `
    const http = require('node:http')
    const {parentPort, workerData} = require('node:worker_threads')
    let n = 0
    const waiting = new Map()
    parentPort.on('message', (m) => { const go = waiting.get(m.id); waiting.delete(m.id); go?.() })
    const server = http.createServer((req, res) => {
      if (req.url === '/r') { res.writeHead(302, {location: '/'}); res.end('moved'); return }
      const id = ++n
      const delays = JSON.parse(req.headers['x-delays'] ?? '[50]')
      const delay = delays[Math.min(id, delays.length) - 1]
      const answer = () => setTimeout(() => { res.writeHead(200, {'content-type': 'application/json'}); res.end('{"ok":true}') }, delay)
      if (req.headers['x-gate'] === 'all' || (req.headers['x-gate'] === 'first' && id === 1)) { waiting.set(id, answer); parentPort.postMessage({type: 'request', id}) } else answer()
    })
    server.keepAliveTimeout = 100
    server.listen(0, '127.0.0.1', () => parentPort.postMessage({type: 'listening', port: server.address().port}))
  `,
    {eval: true},
  )
  const port = await new Promise<number>((resolve) => worker.once('message', (m: {port: number}) => resolve(m.port)))
  return {url: `http://127.0.0.1:${port}/`, worker, close: () => worker.terminate()}
}

/** Blocks this thread's loop for BLOCK_MS each time the server announces a request. */
function blockOnRequest(worker: Worker): void {
  worker.on('message', (m: {type: string; id: number}) => {
    if (m.type !== 'request') return
    worker.postMessage({id: m.id})
    const until = performance.now() + BLOCK_MS
    while (performance.now() < until) {
      // busy: the loop is blocked, as a posture score or a big JSON.parse would block it
    }
  })
}

function httpCheck(
  url: string,
  spec: Record<string, unknown> = {},
  extra: Partial<CheckDefinition> = {},
): CheckDefinition {
  const id = 'timed'
  return {
    id,
    name: id,
    kind: 'http',
    target: url,
    tags: [],
    enabled: true,
    timeoutMs: 5000,
    retries: 0,
    net: {resolve: []},
    spec: {id, kind: 'http', target: url, ...spec},
    secrets: [],
    source: {file: 'x', line: 1, col: 1},
    ...extra,
  }
}

const phaseSum = (t: Record<string, number | undefined>) =>
  ['dnsMs', 'connectMs', 'tlsMs', 'processingMs', 'transferMs'].reduce((a, k) => a + (t[k] ?? 0), 0)

const servers: {close: () => Promise<number>}[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
afterAll(async () => {
  const {probeThread} = await import('../../src/monitor/probe-thread.js')
  await probeThread.close()
})

describe('timings while the event loop is blocked', () => {
  it("on the probe thread: the phases exclude the main thread's block, and the run reports the block", async () => {
    const s = await serverThread()
    servers.push(s)
    blockOnRequest(s.worker)
    resetLoopDelay()
    const started = performance.now()
    const [r] = await runChecks([
      httpCheck(s.url, {headers: {'x-gate': 'all', 'x-delays': `[${DELAY_MS}]`}, latency: {crit: '300ms'}}),
    ])
    const wall = performance.now() - started
    expect(wall).toBeGreaterThanOrEqual(BLOCK_MS)
    expect(r.status).toBe('ok')
    expect(r.timings.processingMs).toBeGreaterThanOrEqual(DELAY_MS - 5)
    expect(r.timings.processingMs).toBeLessThan(DELAY_MS + 250)
    expect(r.timings.totalMs).toBeLessThan(DELAY_MS + 250)
    // The probe thread's own loop never saw the block (a loaded host may still deschedule it briefly).
    expect(r.loopDelayMs ?? 0).toBeLessThan(BLOCK_MS / 2)
    expect(loopDelayNow().main.maxMs).toBeGreaterThanOrEqual(BLOCK_MS * 0.8)
    expect(loopDelayNow().probeThread?.maxMs ?? 0).toBeLessThan(BLOCK_MS / 2)
  })

  it('on the main thread: the result says its timing is suspect and no latency verdict is given', async () => {
    const s = await serverThread()
    servers.push(s)
    blockOnRequest(s.worker)
    const r = await runCheck(
      httpCheck(s.url, {
        headers: {'x-gate': 'all', 'x-delays': `[${DELAY_MS}]`},
        latency: {warn: '100ms', crit: '300ms'},
      }),
      {probeThread: false},
    )
    expect(r.timings.totalMs).toBeGreaterThanOrEqual(BLOCK_MS * 0.8)
    expect(r.loopDelayMs).toBeGreaterThanOrEqual(BLOCK_MS * 0.8)
    expect(r.timingSuspect).toBe(true)
    expect(r.status).toBe('ok')
    expect(r.summary).toMatch(/latency not judged: the event loop was blocked for \d+ ms/)
  })

  it('still judges latency the network itself caused, block or not', async () => {
    const s = await serverThread()
    servers.push(s)
    blockOnRequest(s.worker)
    // The server waits 700 ms after the block starts: 200 ms of it fall after the block.
    const r = await runCheck(
      httpCheck(s.url, {headers: {'x-gate': 'all', 'x-delays': '[700]'}, latency: {crit: '100ms'}}),
      {probeThread: false},
    )
    expect(r.timingSuspect).toBe(true)
    expect(r.status).toBe('crit')
    expect(r.summary).toMatch(/slower than 100ms/)
  })

  it('re-checks a timeout the block may explain, once, without using a retry', async () => {
    const s = await serverThread()
    servers.push(s)
    blockOnRequest(s.worker)
    // First request: answered after 2 s (after the 300 ms timeout, which fires late, inside the block). Second: at once.
    const check = httpCheck(s.url, {headers: {'x-gate': 'first', 'x-delays': '[2000, 0]'}}, {timeoutMs: 300})
    const r = await runCheck(check, {probeThread: false})
    expect(r.status).toBe('ok')
    expect(r.attempts).toBe(2)
  })

  it('marks a timeout unknown when the re-check is blocked too', async () => {
    const s = await serverThread()
    servers.push(s)
    blockOnRequest(s.worker)
    const r = await runCheck(httpCheck(s.url, {headers: {'x-gate': 'all', 'x-delays': '[2000]'}}, {timeoutMs: 300}), {
      probeThread: false,
    })
    expect(r.status).toBe('unknown')
    expect(r.attempts).toBe(2)
    expect(r.summary).toMatch(/timed out after 300 ms.*event loop was blocked for \d+ ms of it \(re-checked once\)/)
    expect(r.timingSuspect).toBe(true)
  })
})

describe('phase timings', () => {
  for (const thread of [true, false]) {
    it(`add up to the total, redirects included (${thread ? 'probe thread' : 'main thread'})`, async () => {
      const s = await serverThread()
      servers.push(s)
      const [r] = await runChecks([httpCheck(`${s.url}r`, {headers: {'x-delays': '[20]'}})], {probeThread: thread})
      expect(r.status).toBe('ok')
      expect(r.metrics.redirects).toBe(1)
      const t = r.timings as Record<string, number>
      for (const k of ['dnsMs', 'connectMs', 'processingMs', 'transferMs', 'ttfbMs', 'totalMs'])
        expect(t[k], k).toBeGreaterThanOrEqual(0)
      expect(t.processingMs).toBeGreaterThanOrEqual(15)
      // Each figure is rounded to 0.1 ms on its own.
      expect(Math.abs(phaseSum(t) - t.totalMs)).toBeLessThanOrEqual(0.3)
      // ttfbMs leaves out the final body's transfer only; the redirect's is in transferMs too.
      expect(t.ttfbMs).toBeGreaterThanOrEqual(t.totalMs - t.transferMs - 0.2)
      expect(t.ttfbMs).toBeLessThanOrEqual(t.totalMs)
      expect(r.durationMs).toBe(t.totalMs)
    })
  }
})

describe('check run reports its own event-loop delay (bin/run.js)', () => {
  it('gives loopDelay in --json and a loop-delay line under the table, and each result adds up', async () => {
    const {runCli, tmpDir} = await import('../helpers/cli.js')
    const fs = await import('node:fs')
    const path = await import('node:path')
    const s = await serverThread()
    servers.push(s)
    const tmp = tmpDir('wk-timing-')
    try {
      const file = path.join(tmp.dir, 'checks.yaml')
      fs.writeFileSync(
        file,
        ['checks:', ...[1, 2, 3].flatMap((i) => [`  - id: t${i}`, '    kind: http', `    target: ${s.url}r`])].join(
          '\n',
        ) + '\n',
      )
      const db = path.join(tmp.dir, 'wk.db')
      const res = await runCli(['check', 'run', '--checks', file, '--json', '--db', db])
      expect(res.code, res.stderr).toBe(0)
      const doc = JSON.parse(res.stdout) as {
        loopDelay: Record<string, unknown>
        results: {timings: Record<string, number>; durationMs: number}[]
      }
      expect(doc.loopDelay).toMatchObject({
        p99Ms: expect.any(Number),
        maxMs: expect.any(Number),
        meanMs: expect.any(Number),
        suspectChecks: expect.any(Number),
      })
      expect(doc.loopDelay.probeThread).toMatchObject({p99Ms: expect.any(Number), maxMs: expect.any(Number)})
      for (const r of doc.results) {
        expect(Math.abs(phaseSum(r.timings) - r.timings.totalMs)).toBeLessThanOrEqual(0.3)
        expect(r.durationMs).toBe(r.timings.totalMs)
      }

      const table = await runCli(['check', 'run', '--checks', file, '--db', db])
      expect(table.stdout).toMatch(
        /^event-loop delay: p99 [\d.]+ ms, max [\d.]+ ms; probe thread p99 [\d.]+ ms, max [\d.]+ ms$/m,
      )
    } finally {
      tmp.cleanup()
    }
  })
})
