import {describe, expect, it} from 'vitest'

import {signatureOid, tlsPosture} from '../../src/probes/tls-posture.js'
import {issueCert, rootCA, WEAK_SERVER_OPTIONS} from '../helpers/certs.js'
import {startTcp, startTls} from '../helpers/servers.js'
import {ids, probeCtx} from './ctx.js'

async function assess(serverOptions: Parameters<typeof startTls>[0], posture = {}, timeoutMs = 8000) {
  const srv = await startTls(serverOptions)
  try {
    const ctx = probeCtx({ca: (await rootCA()).cert, resolve: [`tls.test:${srv.port}:127.0.0.1`], timeoutMs})
    return await tlsPosture('tls.test', srv.port, ctx, posture)
  } finally {
    await srv.close()
  }
}

describe('tls posture against loopback TLS servers', () => {
  it('passes a modern server: TLS 1.2/1.3 only, no weak families, a short-lived ECDSA certificate', async () => {
    const leaf = await issueCert({hosts: ['tls.test'], days: 80})
    const r = await assess({key: leaf.key, cert: leaf.fullchain, minVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305'})
    expect(r.unavailable).toBeUndefined()
    expect(r.details.protocols).toMatchObject({TLSv1: 'refused', 'TLSv1.1': 'refused', 'TLSv1.2': 'accepted', 'TLSv1.3': 'accepted', SSLv3: 'not tested'})
    expect(r.details.ciphers).toMatchObject({NULL: 'refused', anonymous: 'refused', 'CBC-SHA1': 'refused', 'static-RSA': 'refused'})
    // Only the honest "could not test" notes and the missing staple remain.
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([])
    expect(ids(r)).toEqual(expect.arrayContaining(['tls.protocol.ssl_untested', 'tls.ocsp.no_staple']))
    expect(r.details.handshakes).toBeLessThanOrEqual(12)
    expect(r.details.chain[0]).toMatchObject({role: 'leaf', keyType: 'ec', keyBits: 256, signature: 'sha256WithRSAEncryption'})
  })

  it('reports a server that accepts TLS 1.0 and 1.1', async () => {
    const leaf = await issueCert({hosts: ['tls.test']})
    const r = await assess({key: leaf.key, cert: leaf.fullchain, minVersion: 'TLSv1', ...WEAK_SERVER_OPTIONS})
    expect(r.details.protocols).toMatchObject({TLSv1: 'accepted', 'TLSv1.1': 'accepted'})
    expect(ids(r)).toEqual(expect.arrayContaining(['tls.protocol.tls1_0', 'tls.protocol.tls1_1']))
    expect(r.findings.find((f) => f.id === 'tls.protocol.tls1_0')?.severity).toBe('crit')
  })

  it('reports weak cipher families a server accepts: CBC-SHA1 and static RSA', async () => {
    const leaf = await issueCert({hosts: ['tls.test'], key: 'rsa2048'})
    const r = await assess({key: leaf.key, cert: leaf.fullchain, maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256'})
    expect(r.details.ciphers).toMatchObject({'CBC-SHA1': 'accepted', 'static-RSA': 'accepted', NULL: 'refused'})
    expect(ids(r)).toEqual(expect.arrayContaining(['tls.cipher.cbc_sha1', 'tls.cipher.no_forward_secrecy', 'tls.protocol.no_tls1_3']))
    // 3DES, RC4 and EXPORT are not in this OpenSSL build: said, not pretended.
    expect(r.findings.find((f) => f.id === 'tls.cipher.untested')?.message).toMatch(/EXPORT/)
  })

  it('reports an expired intermediate in the presented chain', async () => {
    const leaf = await issueCert({hosts: ['tls.test'], issuer: 'expired-intermediate'})
    const r = await assess({key: leaf.key, cert: leaf.fullchain})
    const expired = r.findings.filter((f) => f.id === 'tls.chain.expired')
    expect(expired).toHaveLength(1)
    expect(expired[0].message).toMatch(/^intermediate CN=watchkeeper expired intermediate CA.* expired on/)
    expect(r.details.chain.map((c) => c.role)).toEqual(['leaf', 'intermediate', 'root'])
  })

  it('reports a 1024-bit RSA key', async () => {
    const leaf = await issueCert({hosts: ['tls.test'], key: 'rsa1024'})
    const r = await assess({key: leaf.key, cert: leaf.fullchain, ...WEAK_SERVER_OPTIONS})
    expect(r.findings.find((f) => f.id === 'tls.key.weak')?.message).toMatch(/1024-bit RSA key/)
    expect(r.metrics.certKeyBits).toBe(1024)
  })

  it('reports a SHA-1 signed certificate', async () => {
    const leaf = await issueCert({hosts: ['tls.test'], hash: 'SHA-1'})
    const r = await assess({key: leaf.key, cert: leaf.fullchain, ...WEAK_SERVER_OPTIONS})
    expect(r.findings.find((f) => f.id === 'tls.sig.sha1')?.message).toMatch(/sha1WithRSAEncryption/)
    expect(signatureOid(Buffer.from(leaf.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64'))).toBe('1.2.840.113549.1.1.5')
  })

  it('reports expiry soon (crit within 14 days) and a lifetime over 398 days', async () => {
    const soon = await issueCert({hosts: ['tls.test'], days: 5})
    let r = await assess({key: soon.key, cert: soon.fullchain}, {protocols: false, ciphers: false})
    expect(r.findings.find((f) => f.id === 'tls.chain.expiring')).toMatchObject({severity: 'crit'})
    expect(r.details.handshakes).toBe(1)
    const long = await issueCert({hosts: ['tls.test'], days: 800})
    r = await assess({key: long.key, cert: long.fullchain}, {protocols: false, ciphers: false})
    expect(ids(r)).toContain('tls.cert.lifetime')
  })

  it('gives a reason, not a crash, when the server drops the connection mid-handshake', async () => {
    const srv = await startTcp((s) => s.once('data', () => s.destroy()))
    try {
      const r = await tlsPosture('drop.test', srv.port, probeCtx({resolve: [`drop.test:${srv.port}:127.0.0.1`], timeoutMs: 3000}))
      expect(r.unavailable).toMatch(/TLS handshake with drop\.test:\d+ failed/)
    } finally {
      await srv.close()
    }
  })
})
