import type tls from 'node:tls'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {tlsHandshake, tlsProbe} from '../../src/probes/tls.js'
import {createCA, issueCert, type IssueOptions, rootCA, WEAK_SERVER_OPTIONS} from '../helpers/certs.js'
import {probeContext} from '../helpers/probe-context.js'
import {closedPort, type RunningServer, startTcp, startTls} from '../helpers/servers.js'

const HOST = 'www.nhs.uk'
const DAY = 86_400_000

describe('tls probe against loopback TLS servers', () => {
  const servers: RunningServer[] = []
  let ca: string
  beforeAll(async () => {
    ca = (await rootCA()).cert
  })
  afterAll(async () => {
    for (const s of servers) await s.close()
  })

  const serve = async (cert: IssueOptions, server: tls.TlsOptions = {}) => {
    const c = await issueCert({hosts: [HOST], ...cert})
    const s = await startTls({key: c.key, cert: c.fullchain, ...server})
    servers.push(s)
    return s.port
  }

  const probe = (port: number, options: Record<string, unknown> = {}, trustCa = true, timeoutMs = 5000) =>
    tlsProbe.run(
      `${HOST}:${port}`,
      {kind: 'tls', target: `${HOST}:${port}`, ...options},
      probeContext({timeoutMs, net: {...(trustCa ? {ca} : {}), resolve: [{host: HOST, port, address: '127.0.0.1'}]}}),
    )
  const ids = (obs: {findings: {id: string; severity: string}[]}) => obs.findings.map((f) => `${f.id}:${f.severity}`)

  it('passes a valid certificate from the test CA and reports protocol, cipher, key and expiry', async () => {
    const port = await serve({days: 90, issuer: 'intermediate'})
    const obs = await probe(port)
    expect(obs.findings).toEqual([])
    expect(obs.status).toBe('ok')
    expect(obs.summary).toMatch(/^TLSv1\.3 TLS_\w+, certificate valid (89|90) days \(until \d{4}-\d\d-\d\d\)$/)
    expect(obs.metrics.certDaysLeft).toBeGreaterThan(89)
    expect(obs.metrics.certDaysLeft).toBeLessThanOrEqual(90)
    expect(Math.abs(obs.metrics.certNotAfter - (Date.now() + 90 * DAY) / 1000)).toBeLessThan(120)
    expect(obs.metrics.keyBits).toBe(256)
    expect(obs.details).toMatchObject({
      protocol: 'TLSv1.3',
      keyType: 'ec',
      curve: 'prime256v1',
      subject: HOST,
      issuer: 'watchkeeper test intermediate CA',
      address: '127.0.0.1',
    })
    expect(obs.timings.connectMs).toBeGreaterThan(0)
    expect(obs.timings.tlsMs).toBeGreaterThan(0)
    expect(obs.thresholds).toEqual({certDaysLeft: {warn: 30, crit: 14, alertBelow: true}})
  })

  it('reports key type and size of an RSA key', async () => {
    const obs = await probe(await serve({key: 'rsa2048'}))
    expect(obs.status).toBe('ok')
    expect(obs.metrics.keyBits).toBe(2048)
    expect(obs.details?.keyType).toBe('rsa')
  })

  it('warns and goes crit as expiry nears, with configurable thresholds', async () => {
    const warn = await probe(await serve({days: 20}))
    expect(warn.status).toBe('warn')
    expect(ids(warn)).toEqual(['tls.cert.expiring:warn'])
    expect(warn.summary).toMatch(/^certificate expires in 19 days \(\d{4}-\d\d-\d\d\); warn below 30$/)
    const crit = await probe(await serve({days: 10}))
    expect(crit.status).toBe('crit')
    expect(ids(crit)).toEqual(['tls.cert.expiring:crit'])
    const relaxed = await probe(await serve({days: 10}), {expiry: {warn: 7, crit: 3}})
    expect(relaxed.status).toBe('ok')
    expect(relaxed.thresholds).toEqual({certDaysLeft: {warn: 7, crit: 3, alertBelow: true}})
  })

  it('reports an expired certificate as expired (not also as untrusted)', async () => {
    const obs = await probe(await serve({days: -5}))
    expect(obs.status).toBe('crit')
    expect(ids(obs)).toEqual(['tls.cert.expired:crit'])
    expect(obs.summary).toMatch(/^certificate expired on \d{4}-\d\d-\d\d \(5 days ago\)$/)
    expect(obs.metrics.certDaysLeft).toBeLessThan(-4)
  })

  it('reports a certificate that is not yet valid', async () => {
    const obs = await probe(
      await serve({notBefore: new Date(Date.now() + 3 * DAY), notAfter: new Date(Date.now() + 90 * DAY)}),
    )
    expect(obs.status).toBe('crit')
    expect(ids(obs)).toEqual(['tls.cert.not_yet_valid:crit'])
  })

  it('reports a certificate for another host name', async () => {
    const obs = await probe(await serve({hosts: ['digital.nhs.uk']}))
    expect(obs.status).toBe('crit')
    expect(ids(obs)).toEqual(['tls.cert.hostname_mismatch:crit'])
    expect(obs.summary).toBe(
      "certificate does not match www.nhs.uk: Host: www.nhs.uk. is not in the cert's altnames: DNS:digital.nhs.uk",
    )
  })

  it('reports a self-signed certificate as untrusted', async () => {
    const obs = await probe(await serve({issuer: 'self'}))
    expect(obs.status).toBe('crit')
    expect(ids(obs)).toEqual(['tls.cert.untrusted:crit'])
    expect(obs.summary).toBe('certificate chain not trusted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)')
  })

  it('reports a certificate from a CA that is not trusted', async () => {
    const rogue = await probe(await serve({issuer: await createCA('Rogue CA')}))
    expect(ids(rogue)).toEqual(['tls.cert.untrusted:crit'])
    // The test CA itself is not trusted unless `ca` adds it.
    const noCa = await probe(await serve({}), {}, false)
    expect(noCa.status).toBe('crit')
    expect(noCa.summary).toMatch(/^certificate chain not trusted: unable to verify the first certificate/)
  })

  it('reports an expired intermediate as an untrusted chain while the leaf is in date', async () => {
    const obs = await probe(await serve({issuer: 'expired-intermediate'}))
    expect(obs.status).toBe('crit')
    expect(ids(obs)).toEqual(['tls.cert.untrusted:crit'])
    expect(obs.summary).toBe('certificate chain not trusted: a certificate in the chain has expired (CERT_HAS_EXPIRED)')
  })

  it('enforces the minimum protocol', async () => {
    const tls12 = await serve({}, {maxVersion: 'TLSv1.2'})
    expect((await probe(tls12)).status).toBe('ok')
    const strict = await probe(tls12, {min_protocol: 'TLSv1.3'})
    expect(strict.status).toBe('crit')
    expect(ids(strict)).toEqual(['tls.protocol.below_minimum:crit'])
    expect(strict.summary).toBe('negotiated TLSv1.2, below the minimum TLSv1.3')
    const tls11 = await serve({key: 'rsa2048'}, {minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ...WEAK_SERVER_OPTIONS})
    const old = await probe(tls11)
    expect(old.details?.protocol).toBe('TLSv1.1')
    expect(ids(old)).toEqual(['tls.protocol.below_minimum:crit'])
    expect((await probe(tls11, {min_protocol: 'TLSv1'})).status).toBe('ok')
  })

  it('adds the deeper posture assessment when posture: is set', async () => {
    const port = await serve({key: 'rsa2048'}, {minVersion: 'TLSv1.1', ...WEAK_SERVER_OPTIONS})
    const plain = await probe(port)
    expect(plain.status).toBe('ok')
    expect(plain.details?.posture).toBeUndefined()
    const deep = await probe(port, {posture: {ciphers: false}})
    expect(deep.status).toBe('crit')
    expect(deep.findings.map((f) => f.id)).toContain('tls.protocol.tls1_1')
    expect((deep.details?.posture as {protocols: Record<string, string>}).protocols).toMatchObject({
      'TLSv1.1': 'accepted',
      'TLSv1.2': 'accepted',
      'TLSv1.3': 'accepted',
    })
    expect(deep.metrics.certDaysLeft).toBe(plain.metrics.certDaysLeft)
  })

  it('gives the parsed chain to other probes through tlsHandshake', async () => {
    const port = await serve({issuer: 'intermediate', key: 'rsa2048'})
    const hs = await tlsHandshake({
      host: HOST,
      port,
      net: {ca, resolve: [{host: HOST, port, address: '127.0.0.1'}]},
      signal: AbortSignal.timeout(5000),
      requestOCSP: true,
    })
    expect(hs.authorized).toBe(true)
    expect(hs.servername).toBe(HOST)
    expect(hs.chain[0].subject).toBe(HOST)
    expect(hs.chain[1].subject).toBe('watchkeeper test intermediate CA')
    expect(hs.chain[1].keyType).toBe('rsa')
    expect(hs.ocspResponse).toBeNull()
  })

  it('reports a refused port and a server that never completes the handshake', async () => {
    const port = await closedPort()
    const refused = await probe(port)
    expect(refused.status).toBe('crit')
    expect(refused.summary).toBe('connection refused')
    const silent = await startTcp(() => {})
    servers.push(silent)
    const t0 = performance.now()
    const hung = await probe(silent.port, {}, true, 300)
    expect(hung.status).toBe('crit')
    expect(hung.summary).toBe('timed out after 300 ms')
    expect(performance.now() - t0).toBeLessThan(450)
  })

  it('reports a server that speaks something other than TLS', async () => {
    const plain = await startTcp((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')))
    servers.push(plain)
    const obs = await probe(plain.port)
    expect(obs.status).toBe('crit')
    expect(obs.summary).toMatch(/^TLS handshake failed: /)
  })
})

describe('tls option validation', () => {
  it('rejects crit above warn and bad targets', () => {
    expect(tlsProbe.validate?.({target: 'www.nhs.uk', expiry: {warn: 10, crit: 20}})).toEqual([
      {path: ['expiry', 'crit'], message: 'crit (20 days) is above warn (10 days)'},
    ])
    expect(tlsProbe.validate?.({target: 'www.nhs.uk:443', expiry: {warn: 60}})).toEqual([])
    expect(tlsProbe.validate?.({target: 'www.nhs.uk:0'})?.[0]?.path).toEqual(['target'])
  })
})
