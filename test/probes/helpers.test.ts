import crypto from 'node:crypto'
import dns from 'node:dns'
import tls from 'node:tls'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {intermediateCA, issueCert, rootCA, WEAK_SERVER_OPTIONS} from '../helpers/certs.js'
import {type DnsServer, startDnsServer} from '../helpers/dns-server.js'
import {startTls} from '../helpers/servers.js'

describe('test certificates', () => {
  it('issues leaves a TLS client verifies against the test root, through an intermediate', async () => {
    const leaf = await issueCert({hosts: ['www.example.test', '127.0.0.1'], issuer: 'intermediate'})
    const root = await rootCA()
    const x = new crypto.X509Certificate(leaf.cert)
    expect(x.subjectAltName).toContain('DNS:www.example.test')
    expect(x.subjectAltName).toContain('IP Address:127.0.0.1')
    expect(x.checkIssued(new crypto.X509Certificate((await intermediateCA()).cert))).toBe(true)
    const srv = await startTls({key: leaf.key, cert: leaf.fullchain})
    try {
      const res = await new Promise<{authorized: boolean; error: string | null}>((resolve, reject) => {
        const s = tls.connect(
          {host: '127.0.0.1', port: srv.port, servername: 'www.example.test', ca: [root.cert]},
          () => {
            resolve({authorized: s.authorized, error: s.authorizationError ? String(s.authorizationError) : null})
            s.destroy()
          },
        )
        s.on('error', reject)
      })
      expect(res).toEqual({authorized: true, error: null})
    } finally {
      await srv.close()
    }
  })

  it('makes expired, SHA-1 and RSA-1024 certificates with the asked properties', async () => {
    const expired = await issueCert({days: -2})
    expect(Date.parse(new crypto.X509Certificate(expired.cert).validTo)).toBeLessThan(Date.now())
    const weak = await issueCert({key: 'rsa1024', hash: 'SHA-1'})
    const x = new crypto.X509Certificate(weak.cert)
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(1024)
    // sha1WithRSAEncryption OID 1.2.840.113549.1.1.5 in DER
    expect(x.raw.includes(Buffer.from('2a864886f70d010105', 'hex'))).toBe(true)
    const srv = await startTls({key: weak.key, cert: weak.fullchain, ...WEAK_SERVER_OPTIONS})
    await srv.close()
  })
})

describe('test DNS server', () => {
  let server: DnsServer
  const resolver = new dns.promises.Resolver({timeout: 500, tries: 1})
  beforeAll(async () => {
    server = await startDnsServer({
      'a.test': [
        {type: 'A', data: '192.0.2.1'},
        {type: 'TXT', data: ['v=spf1 ', 'include:x -all']},
      ],
      'alias.test': [{type: 'CNAME', data: 'a.test'}],
      'mail.test': [
        {type: 'MX', data: {preference: 10, exchange: 'mx1.mail.test'}},
        {type: 'CAA', data: {tag: 'issue', value: 'letsencrypt.org'}},
      ],
    })
    resolver.setServers([server.server])
  })
  afterAll(() => server.close())

  it('answers A, TXT (multi-string), CNAME chains, MX and CAA', async () => {
    expect(await resolver.resolve4('a.test')).toEqual(['192.0.2.1'])
    expect(await resolver.resolveTxt('a.test')).toEqual([['v=spf1 ', 'include:x -all']])
    expect(await resolver.resolve4('alias.test')).toEqual(['192.0.2.1'])
    expect(await resolver.resolveCname('alias.test')).toEqual(['a.test'])
    expect(await resolver.resolveMx('mail.test')).toEqual([{priority: 10, exchange: 'mx1.mail.test'}])
    expect(await resolver.resolveCaa('mail.test')).toEqual([{critical: 0, issue: 'letsencrypt.org'}])
  })

  it('gives NXDOMAIN, SERVFAIL, timeouts and TCP fallback on truncation', async () => {
    await expect(resolver.resolve4('nope.test')).rejects.toMatchObject({code: 'ENOTFOUND'})
    server.setFault('servfail', 'a.test')
    await expect(resolver.resolve4('a.test')).rejects.toMatchObject({code: 'ESERVFAIL'})
    server.setFault('drop', 'a.test')
    await expect(resolver.resolve4('a.test')).rejects.toMatchObject({code: 'ETIMEOUT'})
    server.setFault('truncated', 'a.test')
    expect(await resolver.resolve4('a.test')).toEqual(['192.0.2.1'])
    expect(server.queries.findLast((q) => q.name === 'a.test')?.transport).toBe('tcp')
    server.setFault(undefined, 'a.test')
  })
})
