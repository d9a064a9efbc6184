import {describe, expect, it} from 'vitest'

import {tcpProbe} from '../../src/probes/tcp.js'
import {probeContext} from '../helpers/probe-context.js'
import {closedPort, startTcp} from '../helpers/servers.js'

const run = (target: string, options: Record<string, unknown> = {}, ctx = probeContext()) =>
  tcpProbe.run(target, {kind: 'tcp', target, ...options}, ctx)

describe('tcp probe', () => {
  it('connects and times the connection', async () => {
    const srv = await startTcp(() => {})
    try {
      const obs = await run(srv.url)
      expect(obs.status).toBe('ok')
      expect(obs.metrics.connectMs).toBeGreaterThan(0)
    } finally {
      await srv.close()
    }
  })

  it('matches an SMTP banner, and reports a mismatch', async () => {
    const srv = await startTcp((s) => s.write('220 mail.example.test ESMTP ready\r\n'))
    try {
      const ok = await run(srv.url, {banner: '^220 '})
      expect(ok.status).toBe('ok')
      expect(ok.summary).toMatch(/^connected in \d+ ms, banner "220 mail\.example\.test ESMTP ready"$/)
      const bad = await run(srv.url, {banner: String.raw`^SSH-2\.0`})
      expect(bad.status).toBe('crit')
      expect(bad.summary).toBe(String.raw`banner "220 mail.example.test ESMTP ready" does not match /^SSH-2\.0/`)
    } finally {
      await srv.close()
    }
  })

  it('sends text before reading the reply', async () => {
    const srv = await startTcp((s) => s.on('data', (d) => s.write(`+PONG ${d.toString().trim()}\r\n`)))
    try {
      expect((await run(srv.url, {send: 'PING\r\n', banner: String.raw`^\+PONG PING`})).status).toBe('ok')
    } finally {
      await srv.close()
    }
  })

  it('reports a silent server as crit when a banner is expected, within the timeout', async () => {
    const srv = await startTcp(() => {})
    try {
      const t0 = performance.now()
      const obs = await run(srv.url, {banner: '^220'}, probeContext({timeoutMs: 300}))
      expect(obs.status).toBe('crit')
      expect(obs.summary).toBe('no banner before timeout')
      expect(performance.now() - t0).toBeLessThan(450)
    } finally {
      await srv.close()
    }
  })

  it('reports a refused port, and resolves host names through overrides', async () => {
    const port = await closedPort()
    const refused = await run(`127.0.0.1:${port}`)
    expect(refused.status).toBe('crit')
    expect(refused.summary).toBe('connection refused')
    const srv = await startTcp((s) => s.end('220 hi\r\n'))
    try {
      const obs = await run(
        `smtp.nhs.example.test:${srv.port}`,
        {banner: '^220'},
        probeContext({net: {resolve: [{host: 'smtp.nhs.example.test', port: srv.port, address: '127.0.0.1'}]}}),
      )
      expect(obs.status).toBe('ok')
    } finally {
      await srv.close()
    }
  })
})

describe('tcp option validation', () => {
  it('rejects a bad banner pattern', () => {
    expect(tcpProbe.validate?.({target: 'x.test:25', banner: '('})?.map((p) => p.path)).toEqual([['banner']])
    expect(tcpProbe.validate?.({target: 'x.test:25', banner: '^220', send: 'EHLO x\r\n'})).toEqual([])
  })
})
