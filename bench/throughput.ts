import type {AddressInfo} from 'node:net'
/**
 * Throughput of `check run` against a loopback fleet, beside a bare undici loop doing the same requests
 * at the same concurrency. Run by hand:  node --import tsx bench/throughput.ts [checks] [concurrency] [servers]
 *
 * Two pairs are measured:
 *  - fresh: every check opens its own connection (what a monitoring probe must do to time dns/connect/tls);
 *           the bare loop uses a new undici Client per request.
 *  - pooled: watchkeeper's runner is given a shared keep-alive Agent; the bare loop uses the same kind of Agent.
 * Only loopback is contacted.
 */
import http from 'node:http'
import os from 'node:os'
import {Agent, Client, request} from 'undici'

import type {CheckDefinition} from '../src/catalogue/load.js'
import {runChecks} from '../src/monitor/runner.js'

const N = Number(process.argv[2] ?? 1000)
const C = Number(process.argv[3] ?? 16)
const SERVERS = Number(process.argv[4] ?? 10)
const ROUNDS = 5

async function startFleet(): Promise<{urls: string[]; close: () => Promise<void>}> {
  const servers: http.Server[] = []
  const urls: string[] = []
  for (let i = 0; i < SERVERS; i++) {
    const s = http.createServer((req, res) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.end('{"status":"pass"}')
    })
    s.keepAliveTimeout = 5000
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

function checksFor(urls: string[]): CheckDefinition[] {
  return Array.from({length: N}, (_, i) => {
    const target = urls[i % urls.length]
    const id = `bench-${i}`
    return {
      id,
      name: id,
      kind: 'http',
      target,
      tags: [],
      enabled: true,
      timeoutMs: 10_000,
      retries: 0,
      net: {resolve: []},
      spec: {id, kind: 'http', target, expect: {json: [{path: '$.status', op: '==', value: 'pass'}]}},
      secrets: [],
      source: {file: 'bench', line: 1, col: 1},
    }
  })
}

async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({length: limit}, async () => {
      while (next < items.length) await fn(items[next++])
    }),
  )
}

async function bareFresh(urls: string[]): Promise<void> {
  const targets = Array.from({length: N}, (_, i) => new URL(urls[i % urls.length]))
  await pool(targets, C, async (u) => {
    const client = new Client(u.origin, {pipelining: 0})
    const res = await client.request({path: u.pathname, method: 'GET', signal: AbortSignal.timeout(10_000)})
    const body = (await res.body.json()) as {status: string}
    if (res.statusCode !== 200 || body.status !== 'pass') throw new Error('bad response')
    await client.close()
  })
}

async function barePooled(urls: string[], agent: Agent): Promise<void> {
  const targets = Array.from({length: N}, (_, i) => urls[i % urls.length])
  await pool(targets, C, async (u) => {
    const res = await request(u, {dispatcher: agent, signal: AbortSignal.timeout(10_000)})
    const body = (await res.body.json()) as {status: string}
    if (res.statusCode !== 200 || body.status !== 'pass') throw new Error('bad response')
  })
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const fleet = await startFleet()
const checks = checksFor(fleet.urls)
const rows: {mode: string; wk: number; bare: number}[] = []
try {
  // warm-up
  await runChecks(checks.slice(0, 50), {concurrency: C})
  await bareFresh(fleet.urls.slice(0, 1))

  const fresh = {wk: [] as number[], bare: [] as number[]}
  const pooled = {wk: [] as number[], bare: [] as number[]}
  for (let r = 0; r < ROUNDS; r++) {
    fresh.wk.push(
      await time(async () => {
        const res = await runChecks(checks, {concurrency: C})
        const bad = res.filter((x) => x.status !== 'ok')
        if (bad.length > 0) throw new Error(`${bad.length} checks not ok: ${bad[0].summary}`)
      }),
    )
    fresh.bare.push(await time(() => bareFresh(fleet.urls)))
    const a1 = new Agent({connections: C})
    pooled.wk.push(
      await time(async () => {
        const res = await runChecks(checks, {concurrency: C, dispatcher: a1})
        if (res.some((x) => x.status !== 'ok')) throw new Error('checks not ok')
      }),
    )
    await a1.close()
    const a2 = new Agent({connections: C})
    pooled.bare.push(await time(() => barePooled(fleet.urls, a2)))
    await a2.close()
  }

  rows.push({mode: 'fresh connection per check', wk: median(fresh.wk), bare: median(fresh.bare)})
  rows.push({mode: 'shared keep-alive pool', wk: median(pooled.wk), bare: median(pooled.bare)})
} finally {
  await fleet.close()
}

console.log(
  `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
)
console.log(
  `${N} http checks (JSON assertion), concurrency ${C}, ${SERVERS} loopback servers, median of ${ROUNDS} rounds`,
)
console.log('| mode | watchkeeper | bare undici | ratio | checks/s (watchkeeper) |')
console.log('|---|---|---|---|---|')
for (const r of rows) {
  console.log(
    `| ${r.mode} | ${r.wk.toFixed(0)} ms | ${r.bare.toFixed(0)} ms | ${(r.wk / r.bare).toFixed(2)}× | ${Math.round(N / (r.wk / 1000))} |`,
  )
}
