import net from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'

import type {CheckDefinition} from '../../src/catalogue/load.js'
import {redact, runCheck, runChecks} from '../../src/monitor/runner.js'

const servers: net.Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function listen(onConn: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConn)
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return (server.address() as net.AddressInfo).port
}

function tcpCheck(
  id: string,
  port: number,
  extra: Partial<CheckDefinition> = {},
  spec: Record<string, unknown> = {},
): CheckDefinition {
  const target = `127.0.0.1:${port}`
  return {
    id,
    name: id,
    kind: 'tcp',
    target,
    tags: [],
    enabled: true,
    timeoutMs: 2000,
    retries: 0,
    net: {resolve: []},
    spec: {id, kind: 'tcp', target, ...spec},
    secrets: [],
    source: {file: 'x', line: 1, col: 1},
    ...extra,
  }
}

describe('runner', () => {
  it('never has more checks in flight than the pool allows', async () => {
    let open = 0
    let peak = 0
    const port = await listen((s) => {
      open++
      peak = Math.max(peak, open)
      setTimeout(() => {
        open--
        s.end('220 ready\r\n')
      }, 60)
    })
    const checks = Array.from({length: 12}, (_, i) => tcpCheck(`c${i}`, port, {}, {banner: '^220'}))
    const results = await runChecks(checks, {concurrency: 3})
    expect(results.map((r) => r.status)).toEqual(new Array(12).fill('ok'))
    expect(results.map((r) => r.checkId)).toEqual(checks.map((c) => c.id))
    expect(peak).toBeLessThanOrEqual(3)
    expect(peak).toBeGreaterThan(1)
  })

  it('retries a failing check with backoff and counts attempts', async () => {
    let n = 0
    const port = await listen((s) => {
      n++
      if (n < 3) s.destroy()
      else s.end('220 hello\r\n')
    })
    const r = await runCheck(tcpCheck('flaky', port, {retries: 3}, {banner: '^220'}), {backoffMs: 20})
    expect(r.status).toBe('ok')
    expect(r.attempts).toBe(3)
    const r2 = await runCheck(tcpCheck('no-retry', port, {retries: 0}, {banner: '^999'}), {backoffMs: 20})
    expect(r2.status).toBe('crit')
    expect(r2.attempts).toBe(1)
  })

  it('enforces the timeout on a server that never answers', async () => {
    const port = await listen(() => {
      // holds the connection open without a banner
    })
    const started = performance.now()
    const r = await runCheck(tcpCheck('silent', port, {timeoutMs: 300}, {banner: '^220'}))
    const took = performance.now() - started
    expect(r.status).toBe('crit')
    expect(r.summary).toMatch(/no banner before timeout|timed out/)
    expect(took).toBeGreaterThanOrEqual(290)
    expect(took).toBeLessThan(1500)
  })

  it('reports a refused connection as crit with a one-line reason', async () => {
    const port = await listen(() => {})
    await new Promise((r) => servers.pop()!.close(r))
    const r = await runCheck(tcpCheck('closed', port))
    expect(r).toMatchObject({status: 'crit', summary: 'connection refused', attempts: 1})
  })

  it('redacts secrets from everything a result carries', () => {
    const out = redact(
      {summary: 'GET https://hooks.example/T0K3N failed', findings: [{message: 'T0K3N leaked'}], n: 3},
      ['T0K3N'],
    )
    expect(JSON.stringify(out)).not.toContain('T0K3N')
    expect(out.summary).toBe('GET https://hooks.example/*** failed')
  })
})
