import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dnsProbe} from '../../src/probes/dns.js'
import {type DnsServer, startDnsServer} from '../helpers/dns-server.js'
import {probeContext} from '../helpers/probe-context.js'

describe('dns probe against a loopback DNS server', () => {
  let server: DnsServer
  beforeAll(async () => {
    server = await startDnsServer({
      'nhs.example.test': [
        {type: 'A', data: '192.0.2.10'},
        {type: 'A', data: '192.0.2.11'},
        {type: 'AAAA', data: '2001:db8::10'},
        {type: 'MX', data: {preference: 20, exchange: 'mx2.nhs.example.test'}},
        {type: 'MX', data: {preference: 10, exchange: 'MX1.nhs.example.test'}},
        {type: 'TXT', data: ['v=spf1 include:_spf.nhs.example.test ', '-all']},
        {type: 'TXT', data: 'google-site-verification=abc'},
        {type: 'NS', data: 'ns1.example.test'},
        {type: 'CAA', data: {tag: 'issue', value: 'letsencrypt.org'}},
      ],
      'www.nhs.example.test': [{type: 'CNAME', data: 'nhs.example.test'}],
    })
  })
  afterAll(() => server.close())

  const run = (target: string, options: Record<string, unknown>, timeoutMs = 3000) =>
    dnsProbe.run(target, {kind: 'dns', target, ...options}, probeContext({timeoutMs, net: {resolver: server.server}}))

  it('looks up A records and reports count and lookup time', async () => {
    const obs = await run('nhs.example.test', {type: 'A'})
    expect(obs.status).toBe('ok')
    expect(obs.summary).toMatch(/^A nhs\.example\.test: 2 answers in \d+ ms \(192\.0\.2\.10, 192\.0\.2\.11\)$/)
    expect(obs.metrics.answers).toBe(2)
    expect(obs.metrics.lookupMs).toBeGreaterThan(0)
    expect(obs.timings.dnsMs).toBe(obs.metrics.lookupMs)
  })

  it('checks exact, all_of and any_of values', async () => {
    expect((await run('nhs.example.test', {type: 'A', expect: {exact: ['192.0.2.11', '192.0.2.10']}})).status).toBe(
      'ok',
    )
    const wrong = await run('nhs.example.test', {type: 'A', expect: {exact: ['192.0.2.10']}})
    expect(wrong.status).toBe('crit')
    expect(wrong.summary).toBe(
      'A nhs.example.test: answers differ from expected; unexpected "192.0.2.11" (got 192.0.2.10, 192.0.2.11)',
    )
    expect((await run('nhs.example.test', {type: 'AAAA', expect: {all_of: ['2001:DB8::10']}})).status).toBe('ok')
    const anyOf = await run('nhs.example.test', {type: 'A', expect: {any_of: ['198.51.100.1', '198.51.100.2']}})
    expect(anyOf.status).toBe('crit')
    expect(anyOf.summary).toMatch(/none of "198\.51\.100\.1", "198\.51\.100\.2"/)
  })

  it('orders MX by preference and matches exchanges with or without it', async () => {
    const obs = await run('nhs.example.test', {
      type: 'MX',
      expect: {all_of: ['mx1.nhs.example.test', '20 mx2.nhs.example.test']},
    })
    expect(obs.status).toBe('ok')
    expect(obs.details?.answers).toEqual(['10 mx1.nhs.example.test', '20 mx2.nhs.example.test'])
  })

  it('joins multi-string TXT records and matches patterns', async () => {
    const obs = await run('nhs.example.test', {
      type: 'TXT',
      expect: {matches: ['^v=spf1 .* -all$', '^google-site-verification=']},
    })
    expect(obs.status).toBe('ok')
    expect(obs.details?.answers).toContain('v=spf1 include:_spf.nhs.example.test -all')
    const bad = await run('nhs.example.test', {type: 'TXT', expect: {matches: '^v=DMARC1'}})
    expect(bad.status).toBe('crit')
    expect(bad.summary).toMatch(/^TXT nhs\.example\.test: no answer matches \/\^v=DMARC1\//)
  })

  it('looks up CNAME, NS and CAA', async () => {
    expect((await run('www.nhs.example.test', {type: 'CNAME', expect: {exact: ['nhs.example.test']}})).status).toBe(
      'ok',
    )
    expect((await run('nhs.example.test', {type: 'NS', expect: {exact: ['ns1.example.test.']}})).status).toBe('ok')
    const caa = await run('nhs.example.test', {type: 'CAA', expect: {exact: ['issue "letsencrypt.org"']}})
    expect(caa.details?.answers).toEqual(['0 issue "letsencrypt.org"'])
    expect(caa.status).toBe('ok')
  })

  it('reports NXDOMAIN and missing record types as crit', async () => {
    const nx = await run('nope.example.test', {type: 'A'})
    expect(nx.status).toBe('crit')
    expect(nx.summary).toBe(`A nope.example.test: NXDOMAIN: the name does not exist via ${server.server}`)
    const nodata = await run('nhs.example.test', {type: 'CNAME'})
    expect(nodata.status).toBe('crit')
    expect(nodata.summary).toMatch(/^CNAME nhs\.example\.test: no records of this type/)
    expect((await run('nope.example.test', {type: 'TXT', expect: {min_answers: 0}})).status).toBe('ok')
  })

  it('reports SERVFAIL, refusal and malformed answers as crit', async () => {
    server.setFault('servfail', 'nhs.example.test')
    try {
      expect((await run('nhs.example.test', {type: 'A'})).summary).toBe(
        `A nhs.example.test: SERVFAIL from the resolver via ${server.server}`,
      )
      server.setFault('refused', 'nhs.example.test')
      expect((await run('nhs.example.test', {type: 'A'})).summary).toMatch(/the resolver refused the query/)
      server.setFault('malformed', 'nhs.example.test')
      const bad = await run('nhs.example.test', {type: 'A'}, 1500)
      expect(bad.status).toBe('crit')
      expect(bad.summary).toBe(`A nhs.example.test: malformed DNS response via ${server.server}`)
    } finally {
      server.setFault(undefined, 'nhs.example.test')
    }
  })

  it('times out within the check timeout when the resolver never answers', async () => {
    server.setFault('drop')
    try {
      const t0 = performance.now()
      const obs = await run('nhs.example.test', {type: 'A'}, 300)
      expect(obs.status).toBe('crit')
      expect(obs.summary).toBe(`A nhs.example.test: timed out after 300 ms via ${server.server}`)
      expect(performance.now() - t0).toBeLessThan(450)
    } finally {
      server.setFault(undefined)
    }
  })

  it('falls back to TCP when the UDP answer is truncated', async () => {
    server.setFault('truncated')
    try {
      expect((await run('nhs.example.test', {type: 'TXT'})).status).toBe('ok')
      expect(server.queries.at(-1)?.transport).toBe('tcp')
    } finally {
      server.setFault(undefined)
    }
  })

  it('validates patterns', () => {
    expect(
      dnsProbe.validate?.({target: 'x.test', type: 'TXT', expect: {matches: ['ok', '(']}})?.map((p) => p.path),
    ).toEqual([['expect', 'matches', 1]])
  })
})
