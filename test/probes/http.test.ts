import type http from 'node:http'
import type {TLSSocket} from 'node:tls'

import {Agent, buildConnector} from 'undici'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {httpProbe} from '../../src/probes/http.js'
import {createCA, issueCert, rootCA} from '../helpers/certs.js'
import {type DnsServer, startDnsServer} from '../helpers/dns-server.js'
import {probeContext} from '../helpers/probe-context.js'
import {closedPort, type RunningServer, startHttp, startHttps, startTcp} from '../helpers/servers.js'

const run = (target: string, options: Record<string, unknown> = {}, ctx = probeContext()) =>
  httpProbe.run(target, {kind: 'http', target, ...options}, ctx)

describe('http probe against a loopback HTTP server', () => {
  let srv: RunningServer<http.Server>
  const seen: {method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string}[] = []
  let bigStreamed = 0
  let bigClosedAt = -1

  beforeAll(async () => {
    srv = await startHttp((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        seen.push({method: req.method, url: req.url, headers: req.headers, body})
        const u = new URL(req.url ?? '/', 'http://x')
        const p = u.pathname
        if (p === '/ok') return res.end('hello world, all is well')
        if (p === '/status') {
          res.statusCode = Number(u.searchParams.get('code'))
          return res.end('status page')
        }

        if (p.startsWith('/hop/')) {
          const n = Number(p.slice(5))
          res.statusCode = 302
          res.setHeader('location', n > 0 ? `/hop/${n - 1}` : '/ok')
          return res.end()
        }

        if (p === '/loop/a') return res.writeHead(301, {location: '/loop/b'}).end()
        if (p === '/loop/b') return res.writeHead(301, {location: '/loop/a'}).end()
        if (p === '/json')
          return res.writeHead(200, {'content-type': 'application/json'}).end(
            JSON.stringify({
              status: 'pass',
              revision: '42',
              count: 3,
              checks: {'spine:status': [{status: 'pass', timeout: 'false'}]},
              tags: ['a', 'b'],
            }),
          )
        if (p === '/headers')
          return res.writeHead(200, {'x-frame-options': 'DENY', 'cache-control': 'no-store, max-age=0'}).end('h')
        if (p === '/slow') return setTimeout(() => res.end('late'), Number(u.searchParams.get('ms')))
        if (p === '/hang') return undefined
        if (p === '/echo') return res.writeHead(201, {'content-type': 'text/plain'}).end(`${req.method} ${body}`)
        if (p === '/reset') {
          res.writeHead(200, {'content-length': '100000'})
          res.write('x'.repeat(1000))
          return setTimeout(() => req.socket.destroy(), 20)
        }

        if (p === '/big') {
          // 50 MB, written with backpressure: the server only gets ahead by what the client reads.
          res.writeHead(200, {'content-type': 'application/octet-stream'})
          const chunk = Buffer.alloc(64 * 1024, 97)
          const total = 50 * 1024 * 1024
          const pump = () => {
            while (bigStreamed < total) {
              bigStreamed += chunk.length
              if (!res.write(chunk)) return void res.once('drain', pump)
            }

            res.end()
          }

          res.on('close', () => (bigClosedAt = bigStreamed))
          return pump()
        }

        res.statusCode = 404
        res.end('not found')
      })
    })
  })
  afterAll(() => srv.close())

  it('reports ok with status, body size and phase timings', async () => {
    const obs = await run(`${srv.url}/ok`)
    expect(obs.status).toBe('ok')
    expect(obs.summary).toMatch(/^HTTP 200 in \d+ ms$/)
    expect(obs.metrics.httpStatus).toBe(200)
    expect(obs.metrics.bodyBytes).toBe(24)
    expect(obs.timings.connectMs).toBeGreaterThan(0)
    expect(obs.timings.dnsMs).toBe(0)
    expect(obs.timings.ttfbMs).toBeGreaterThan(0)
    expect(obs.timings.totalMs).toBeGreaterThanOrEqual(obs.timings.ttfbMs as number)
    expect(obs.timings.tlsMs).toBeUndefined()
  })

  it('checks the status against codes, ranges and classes', async () => {
    const bad = await run(`${srv.url}/status?code=503`)
    expect(bad.status).toBe('crit')
    expect(bad.summary).toBe('HTTP 503 (expected 200-299)')
    expect((await run(`${srv.url}/status?code=503`, {expect: {status: ['200-299', 503]}})).status).toBe('ok')
    expect((await run(`${srv.url}/status?code=404`, {expect: {status: '4xx'}})).status).toBe('ok')
    expect((await run(`${srv.url}/status?code=204`, {expect: {status: 200}})).status).toBe('crit')
  })

  it('follows redirects, counts them and reports the final URL', async () => {
    const obs = await run(`${srv.url}/hop/2`)
    expect(obs.status).toBe('ok')
    expect(obs.metrics.redirects).toBe(3)
    expect(obs.details?.finalUrl).toBe(`${srv.url}/ok`)
    expect(obs.summary).toMatch(/after 3 redirects/)
  })

  it('does not follow redirects when told not to; a 3xx is then accepted by default', async () => {
    const obs = await run(`${srv.url}/hop/0`, {follow_redirects: false})
    expect(obs.status).toBe('ok')
    expect(obs.metrics.httpStatus).toBe(302)
    const strict = await run(`${srv.url}/hop/0`, {follow_redirects: false, expect: {status: 200}})
    expect(strict.status).toBe('crit')
    expect(strict.summary).toContain('HTTP 302 (expected 200)')
  })

  it('stops at max_redirects and on loops', async () => {
    const many = await run(`${srv.url}/hop/9`, {max_redirects: 3})
    expect(many.status).toBe('crit')
    expect(many.summary).toMatch(/^too many redirects \(more than 3\)/)
    const loop = await run(`${srv.url}/loop/a`)
    expect(loop.status).toBe('crit')
    expect(loop.summary).toMatch(/^redirect loop: .*\/loop\/b → .*\/loop\/a after 2 redirects$/)
  })

  it('asserts on body text: contains, not_contains, matches', async () => {
    expect(
      (
        await run(`${srv.url}/ok`, {
          expect: {contains: ['hello', 'well'], not_contains: 'error', matches: String.raw`all is \w+`},
        })
      ).status,
    ).toBe('ok')
    const missing = await run(`${srv.url}/ok`, {expect: {contains: 'goodbye'}})
    expect(missing.status).toBe('crit')
    expect(missing.summary).toMatch(/^body does not contain "goodbye"; HTTP 200 in/)
    const forbidden = await run(`${srv.url}/ok`, {expect: {not_contains: 'hello'}})
    expect(forbidden.summary).toMatch(/^body contains "hello"/)
    expect((await run(`${srv.url}/ok`, {expect: {matches: '^bye'}})).summary).toMatch(/^body does not match \/\^bye\//)
  })

  it('asserts on JSON paths with each operator', async () => {
    const pass = await run(`${srv.url}/json`, {
      expect: {
        json: [
          {path: '$.status', op: '==', value: 'pass'},
          {path: '$.revision', value: 42},
          {path: "$.checks['spine:status'][0].timeout", value: false},
          {path: '$.count', op: '>=', value: 3},
          {path: '$.count', op: '<', value: 4},
          {path: '$.tags', op: 'contains', value: 'b'},
          {path: '$.tags[-1]', op: 'matches', value: '^[ab]$'},
          {path: '$.checks', op: 'exists'},
          {path: '$.error', op: 'absent'},
          {path: '$.status', op: '!=', value: 'fail'},
        ],
      },
    })
    expect(pass.summary).toMatch(/^HTTP 200/)
    expect(pass.status).toBe('ok')
    const fail = await run(`${srv.url}/json`, {
      expect: {
        json: [
          {path: '$.status', value: 'fail'},
          {path: '$.nope.deeper', op: 'exists'},
          {path: '$.count', op: '>', value: 10},
        ],
      },
    })
    expect(fail.status).toBe('crit')
    expect(fail.summary).toBe(
      `$.status is "pass", expected "fail"; $.nope.deeper is missing (+1 more); HTTP 200 in ${/in (\d+) ms/.exec(fail.summary)?.[1]} ms`,
    )
  })

  it('reports a non-JSON body as crit when JSON assertions are set', async () => {
    const obs = await run(`${srv.url}/ok`, {expect: {json: [{path: '$.status', value: 'pass'}]}})
    expect(obs.status).toBe('crit')
    expect(obs.summary).toMatch(/^body is not JSON; HTTP 200/)
  })

  it('asserts on response headers', async () => {
    const ok = await run(`${srv.url}/headers`, {
      expect: {
        headers: [
          {name: 'X-Frame-Options', value: 'DENY'},
          {name: 'cache-control', op: 'contains', value: 'no-store'},
          {name: 'date', op: 'exists'},
          {name: 'server', op: 'absent'},
        ],
      },
    })
    expect(ok.status).toBe('ok')
    const bad = await run(`${srv.url}/headers`, {
      expect: {headers: [{name: 'strict-transport-security', op: 'exists'}]},
    })
    expect(bad.status).toBe('crit')
    expect(bad.summary).toMatch(/^header strict-transport-security is missing/)
  })

  it('sends method, headers and body', async () => {
    const obs = await run(`${srv.url}/echo`, {
      method: 'POST',
      headers: {'X-Request-ID': 'abc-123', 'content-type': 'application/json'},
      body: '{"a":1}',
      expect: {status: 201, contains: 'POST {"a":1}'},
    })
    expect(obs.status).toBe('ok')
    const req = seen.findLast((s) => s.url === '/echo')
    expect(req?.headers['x-request-id']).toBe('abc-123')
    expect(req?.headers['user-agent']).toMatch(/^watchkeeper\//)
  })

  it('caps the body read: a 50 MB body is not buffered and gives crit', async () => {
    const t0 = performance.now()
    const obs = await run(`${srv.url}/big`, {max_body_bytes: 1024 * 1024})
    expect(obs.status).toBe('crit')
    expect(obs.summary).toMatch(/^body larger than max_body_bytes \(1048576\); stopped reading; HTTP 200/)
    expect(obs.metrics.bodyBytes).toBe(1024 * 1024)
    expect(performance.now() - t0).toBeLessThan(3000)
    await new Promise((r) => setTimeout(r, 100))
    // The server could only write what the client read plus socket buffers: far from 50 MB.
    expect(bigClosedAt).toBeGreaterThan(0)
    expect(bigClosedAt).toBeLessThan(16 * 1024 * 1024)
  })

  it('times out within the timeout (plus a small margin) on a server that never answers', async () => {
    const t0 = performance.now()
    const obs = await run(`${srv.url}/hang`, {}, probeContext({timeoutMs: 300}))
    const elapsed = performance.now() - t0
    expect(obs.status).toBe('crit')
    expect(obs.summary).toBe('timed out after 300 ms waiting for response headers')
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(450)
  })

  it('warns and goes crit on latency thresholds, with thresholds for perfdata', async () => {
    const warn = await run(`${srv.url}/slow?ms=120`, {latency: {warn: '50ms', crit: '2s'}})
    expect(warn.status).toBe('warn')
    expect(warn.summary).toMatch(/^HTTP 200 in \d+ ms, slower than 50ms$/)
    expect(warn.thresholds).toEqual({totalMs: {warn: 50, crit: 2000}})
    const crit = await run(`${srv.url}/slow?ms=120`, {latency: {warn: '50ms', crit: '100ms'}})
    expect(crit.status).toBe('crit')
  })

  it('reports a connection reset mid-body as crit', async () => {
    const obs = await run(`${srv.url}/reset`)
    expect(obs.status).toBe('crit')
    expect(obs.summary).toBe('connection closed while reading the body')
  })

  it('reports a refused port as crit', async () => {
    const port = await closedPort()
    const obs = await run(`http://127.0.0.1:${port}/`)
    expect(obs.status).toBe('crit')
    expect(obs.summary).toBe('connection refused')
  })

  it('uses a shared dispatcher when the check has no connection overrides', async () => {
    let connects = 0
    const base = buildConnector({})
    const shared = new Agent({
      connect(o, cb) {
        connects++
        base(o, cb)
      },
    })
    try {
      expect((await run(`${srv.url}/ok`, {}, probeContext({dispatcher: shared}))).status).toBe('ok')
      expect((await run(`${srv.url}/ok`, {}, probeContext({dispatcher: shared}))).status).toBe('ok')
      const used = connects
      expect(used).toBeGreaterThan(0)
      // With an override, the probe makes its own connections.
      const obs = await run(
        `http://checked.test:${srv.port}/ok`,
        {},
        probeContext({
          dispatcher: shared,
          net: {resolve: [{host: 'checked.test', port: srv.port, address: '127.0.0.1'}]},
        }),
      )
      expect(obs.status).toBe('ok')
      expect(connects).toBe(used)
      expect(seen.at(-1)?.headers.host).toBe(`checked.test:${srv.port}`)
    } finally {
      await shared.destroy()
    }
  })
})

describe('http probe on malformed responses', () => {
  it('reports garbage instead of HTTP as a malformed response', async () => {
    const srv = await startTcp((s) => s.once('data', () => s.end('HELLO THERE\r\n\r\n')))
    try {
      const obs = await run(`http://${srv.url}/`)
      expect(obs.status).toBe('crit')
      expect(obs.summary).toMatch(/^malformed HTTP response: /)
    } finally {
      await srv.close()
    }
  })

  it('reports a server that closes without answering', async () => {
    const srv = await startTcp((s) => s.once('data', () => s.destroy()))
    try {
      const obs = await run(`http://${srv.url}/`)
      expect(obs.status).toBe('crit')
      expect(obs.summary).toMatch(/^connection closed before a response/)
    } finally {
      await srv.close()
    }
  })
})

describe('http probe over HTTPS with test certificates', () => {
  const servers: RunningServer[] = []
  let ca: string
  const sni: (string | false | null)[] = []
  const start = async (opts: Parameters<typeof issueCert>[0]) => {
    const c = await issueCert(opts)
    const s = await startHttps({key: c.key, cert: c.fullchain}, (req, res) => {
      sni.push((req.socket as TLSSocket).servername)
      res.end(`host=${req.headers.host}`)
    })
    servers.push(s)
    return s
  }

  beforeAll(async () => {
    ca = (await rootCA()).cert
  })
  afterAll(async () => {
    for (const s of servers) await s.close()
  })
  const over = (host: string, port: number) => probeContext({net: {ca, resolve: [{host, port, address: '127.0.0.1'}]}})

  it('trusts a certificate from the test CA and keeps the real host name for SNI and Host', async () => {
    const s = await start({hosts: ['www.nhs.uk'], issuer: 'intermediate', days: 60})
    const obs = await run(
      `https://www.nhs.uk:${s.port}/`,
      {expect: {contains: `host=www.nhs.uk:${s.port}`}},
      over('www.nhs.uk', s.port),
    )
    expect(obs.summary).toMatch(/^HTTP 200/)
    expect(obs.status).toBe('ok')
    expect(sni.at(-1)).toBe('www.nhs.uk')
    expect(obs.timings.tlsMs).toBeGreaterThan(0)
    expect(obs.metrics.certDaysLeft).toBeGreaterThan(59)
    expect(obs.metrics.certDaysLeft).toBeLessThanOrEqual(60)
    expect(Math.abs(obs.metrics.certNotAfter - (Date.now() / 1000 + 60 * 86_400))).toBeLessThan(120)
    expect(obs.details?.tlsProtocol).toBe('TLSv1.3')
  })

  it('still trusts the public roots when a CA is added (a test CA does not replace them)', async () => {
    const s = await start({hosts: ['www.nhs.uk']})
    // No ca: the test CA is not trusted.
    const obs = await run(
      `https://www.nhs.uk:${s.port}/`,
      {},
      probeContext({net: {resolve: [{host: 'www.nhs.uk', port: s.port, address: '127.0.0.1'}]}}),
    )
    expect(obs.status).toBe('crit')
    expect(obs.summary).toMatch(/^TLS: certificate (issuer )?not trusted/)
  })

  it('reports an expired certificate', async () => {
    const s = await start({hosts: ['www.nhs.uk'], days: -3})
    const obs = await run(`https://www.nhs.uk:${s.port}/`, {}, over('www.nhs.uk', s.port))
    expect(obs.status).toBe('crit')
    expect(obs.summary).toBe('TLS: certificate has expired (CERT_HAS_EXPIRED)')
  })

  it('reports a certificate for another host', async () => {
    const s = await start({hosts: ['digital.nhs.uk']})
    const obs = await run(`https://www.nhs.uk:${s.port}/`, {}, over('www.nhs.uk', s.port))
    expect(obs.status).toBe('crit')
    expect(obs.summary).toBe('TLS: certificate does not match the host name (ERR_TLS_CERT_ALTNAME_INVALID)')
  })

  it('reports a self-signed certificate', async () => {
    const s = await start({hosts: ['www.nhs.uk'], issuer: 'self'})
    const obs = await run(`https://www.nhs.uk:${s.port}/`, {}, over('www.nhs.uk', s.port))
    expect(obs.status).toBe('crit')
    expect(obs.summary).toBe('TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)')
  })

  it('reports a certificate from an untrusted CA', async () => {
    const s = await start({hosts: ['www.nhs.uk'], issuer: await createCA('Rogue CA')})
    const obs = await run(`https://www.nhs.uk:${s.port}/`, {}, over('www.nhs.uk', s.port))
    expect(obs.status).toBe('crit')
    expect(obs.summary).toMatch(/^TLS: certificate (issuer )?not trusted/)
  })

  it('follows an http:// to https:// redirect with overrides for both ports', async () => {
    const s = await start({hosts: ['www.nhs.uk']})
    const plain = await startHttp((req, res) => res.writeHead(301, {location: `https://www.nhs.uk:${s.port}/`}).end())
    try {
      const obs = await run(
        `http://www.nhs.uk:${plain.port}/`,
        {expect: {contains: `host=www.nhs.uk:${s.port}`}},
        probeContext({
          net: {
            ca,
            resolve: [
              {host: 'www.nhs.uk', port: plain.port, address: '127.0.0.1'},
              {host: 'www.nhs.uk', port: s.port, address: '127.0.0.1'},
            ],
          },
        }),
      )
      expect(obs.summary).toMatch(/^HTTP 200 in \d+ ms after 1 redirect$/)
      expect(obs.details?.finalUrl).toBe(`https://www.nhs.uk:${s.port}/`)
      expect(obs.metrics.certDaysLeft).toBeGreaterThan(80)
      expect(obs.timings.tlsMs).toBeGreaterThan(0)
    } finally {
      await plain.close()
    }
  })

  it('names the TLS handshake as the phase that timed out', async () => {
    const silent = await startTcp(() => {})
    try {
      const obs = await run(
        `https://www.nhs.uk:${silent.port}/`,
        {},
        probeContext({
          timeoutMs: 300,
          net: {ca, resolve: [{host: 'www.nhs.uk', port: silent.port, address: '127.0.0.1'}]},
        }),
      )
      expect(obs.status).toBe('crit')
      expect(obs.summary).toBe('timed out after 300 ms in the TLS handshake')
    } finally {
      await silent.close()
    }
  })

  it('drops credential headers when a redirect leaves the origin', async () => {
    const target = await startHttp((req, res) =>
      res.end(`apikey=${req.headers.apikey ?? 'none'} x=${req.headers['x-kept'] ?? 'none'}`),
    )
    const first = await startHttp((req, res) => res.writeHead(302, {location: `${target.url}/next`}).end())
    try {
      const obs = await run(`${first.url}/`, {
        headers: {apikey: 'sekrit', 'x-kept': 'yes'},
        expect: {contains: 'apikey=none x=yes'},
      })
      expect(obs.summary).toMatch(/^HTTP 200/)
      expect(obs.status).toBe('ok')
    } finally {
      await target.close()
      await first.close()
    }
  })
})

describe('http probe with a DNS resolver', () => {
  let dns: DnsServer
  let srv: RunningServer<http.Server>
  beforeAll(async () => {
    dns = await startDnsServer({'app.example.test': [{type: 'A', data: '127.0.0.1'}]})
    srv = await startHttp((req, res) => res.end('resolved'))
  })
  afterAll(async () => {
    await dns.close()
    await srv.close()
  })

  it('looks the host up on the configured resolver and times it', async () => {
    const obs = await run(`http://app.example.test:${srv.port}/`, {}, probeContext({net: {resolver: dns.server}}))
    expect(obs.status).toBe('ok')
    expect(obs.timings.dnsMs).toBeGreaterThan(0)
    expect(dns.queries.some((q) => q.name === 'app.example.test' && q.type === 'A')).toBe(true)
  })

  it('reports NXDOMAIN as a DNS failure', async () => {
    const obs = await run(`http://missing.example.test:${srv.port}/`, {}, probeContext({net: {resolver: dns.server}}))
    expect(obs.status).toBe('crit')
    expect(obs.summary).toMatch(/^DNS lookup failed \(ENOTFOUND\)/)
  })

  it('reports a resolver that never answers as a timeout while resolving', async () => {
    dns.setFault('drop')
    try {
      const obs = await run(
        `http://app.example.test:${srv.port}/`,
        {},
        probeContext({timeoutMs: 400, net: {resolver: dns.server}}),
      )
      expect(obs.status).toBe('crit')
      expect(obs.summary).toBe('timed out after 400 ms resolving the host name')
    } finally {
      dns.setFault(undefined)
    }
  })
})

describe('http option validation', () => {
  const problems = (o: Record<string, unknown>) =>
    httpProbe.validate?.({kind: 'http', target: 'https://x.test/', ...o}) ?? []
  it('accepts a well-formed check', () => {
    expect(
      problems({
        expect: {status: ['200-299', 404], json: [{path: "$.a['b'][0]", value: 1}], matches: 'a+'},
        latency: {warn: '1s', crit: '2s'},
      }),
    ).toEqual([])
  })
  it('names each bad option by path', () => {
    const p = problems({
      expect: {
        status: '299-200',
        matches: '(',
        json: [
          {path: 'status', value: 1},
          {path: '$.a', op: '=='},
        ],
        headers: [{name: 'x', op: 'exists', value: 1}],
      },
      latency: {warn: '3s', crit: '1s'},
      method: 'GET',
      body: 'x',
    })
    expect(p.map((x) => x.path.join('.'))).toEqual([
      'expect.status',
      'expect.matches',
      'expect.json.0.path',
      'expect.json.1',
      'expect.headers.0.value',
      'latency.warn',
      'body',
    ])
  })
})
