import crypto from 'node:crypto'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {emailSecurityProbe, mxMatches, parseStsPolicy} from '../../src/probes/email-security.js'
import {parseSpf} from '../../src/probes/spf.js'
import {issueCert, rootCA} from '../helpers/certs.js'
import {type DnsServer, startDnsServer, type Zone} from '../helpers/dns-server.js'
import {closedPort, type RunningServer, startHttps} from '../helpers/servers.js'
import {ids, probeCtx} from './ctx.js'
import {startSmtp} from './smtp-server.js'

function dkimKey(bits: number): string[] {
  const {publicKey} = crypto.generateKeyPairSync('rsa', {modulusLength: bits})
  const b64 = publicKey.export({type: 'spki', format: 'der'}).toString('base64')
  const rec = `v=DKIM1; k=rsa; p=${b64}`
  return rec.match(/.{1,250}/g) as string[]
}

let dns: DnsServer
let policy: RunningServer
let policyBody = ''
let policyType = 'text/plain'
let ca: string
const DKIM_2048 = dkimKey(2048)
const DKIM_1024 = dkimKey(1024)

function goodZone(): Zone {
  return {
    'good.test': [
      {type: 'MX', data: {preference: 10, exchange: 'mx1.good.test'}},
      {type: 'TXT', data: 'v=spf1 ip4:192.0.2.0/24 include:_spf.good.test -all'},
      {type: 'TXT', data: 'google-site-verification=abc'},
      {type: 'CAA', data: {tag: 'issue', value: 'letsencrypt.org'}},
    ],
    'mx1.good.test': [{type: 'A', data: '127.0.0.1'}],
    '_spf.good.test': [{type: 'TXT', data: 'v=spf1 ip4:198.51.100.0/24 -all'}],
    '_dmarc.good.test': [{type: 'TXT', data: 'v=DMARC1; p=reject; rua=mailto:dmarc@good.test'}],
    '_mta-sts.good.test': [{type: 'TXT', data: 'v=STSv1; id=20260101T000000'}],
    '_smtp._tls.good.test': [{type: 'TXT', data: 'v=TLSRPTv1; rua=mailto:tlsrpt@good.test'}],
    'sel1._domainkey.good.test': [{type: 'TXT', data: DKIM_2048}],
    'bad.test': [
      {type: 'MX', data: {preference: 10, exchange: 'mx.bad.test'}},
      {type: 'TXT', data: 'v=spf1 a mx include:i1.bad.test include:i2.bad.test ?all'},
    ],
    'i1.bad.test': [{type: 'TXT', data: 'v=spf1 a mx ptr exists:x.bad.test -all'}],
    'i2.bad.test': [{type: 'TXT', data: 'v=spf1 a mx a:y.bad.test mx:z.bad.test -all'}],
    '_dmarc.bad.test': [{type: 'TXT', data: 'v=DMARC1; p=none; sp=none; pct=50'}],
    '_mta-sts.bad.test': [{type: 'TXT', data: 'v=STSv1; id=1'}],
    'sel1._domainkey.bad.test': [{type: 'TXT', data: DKIM_1024}],
    'sel3._domainkey.bad.test': [{type: 'TXT', data: 'v=DKIM1; k=rsa; p='}],
  }
}

const GOOD_POLICY =
  'version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.backup.good.test\r\nmax_age: 1209600\r\n'

function ctx(extra: {timeoutMs?: number; resolve?: string[]} = {}) {
  return probeCtx({
    ca,
    resolver: dns.server,
    timeoutMs: extra.timeoutMs ?? 8000,
    resolve: [
      `mta-sts.good.test:${policy.port}:127.0.0.1`,
      `mta-sts.bad.test:${policy.port}:127.0.0.1`,
      ...(extra.resolve ?? []),
    ],
  })
}

async function scan(
  domain: string,
  options: Record<string, unknown> = {},
  extra: {timeoutMs?: number; resolve?: string[]} = {},
) {
  return emailSecurityProbe.run(domain, {target: domain, mta_sts_port: policy.port, ...options}, ctx(extra))
}

beforeAll(async () => {
  dns = await startDnsServer(goodZone())
  ca = (await rootCA()).cert
  const leaf = await issueCert({hosts: ['mta-sts.good.test', 'mta-sts.bad.test']})
  policy = await startHttps({key: leaf.key, cert: leaf.fullchain}, (req, res) => {
    if (req.url !== '/.well-known/mta-sts.txt') return void res.writeHead(404).end()
    const body = req.headers.host?.startsWith('mta-sts.bad.test')
      ? 'version: STSv1\nmode: testing\nmx: *.other.test\nmax_age: 86400\n'
      : policyBody
    res.writeHead(200, {'content-type': policyType}).end(body)
  })
})
afterAll(async () => {
  await Promise.all([dns.close(), policy.close()])
})

describe('email-security against a loopback DNS server', () => {
  it('finds nothing wrong with a well-configured domain', async () => {
    policyBody = GOOD_POLICY
    policyType = 'text/plain; charset=utf-8'
    const obs = await scan('good.test', {
      dkim_selectors: ['sel1'],
      expect: {dmarc_policy: 'reject', spf_all: '-all', mta_sts_mode: 'enforce'},
    })
    expect(obs.findings).toEqual([])
    expect(obs.status).toBe('ok')
    expect(obs.summary).toBe('MX 1, SPF -all, DMARC reject, MTA-STS enforce; no findings')
    expect(obs.metrics).toMatchObject({mxCount: 1, spfLookups: 1, dkimMinBits: 2048, mtaStsMaxAge: 1_209_600})
  })

  it('reports a weak domain: SPF lookups, void lookups, ?all, ptr; weak DMARC; MTA-STS testing and mx mismatch; TLS-RPT, CAA, DKIM', async () => {
    const obs = await scan('bad.test', {dkim_selectors: ['sel1', 'sel2', 'sel3'], expect: {dmarc_policy: 'reject'}})
    const found = ids(obs)
    expect(found).toEqual(
      expect.arrayContaining([
        'email.mx.unresolvable',
        'email.spf.too_many_lookups',
        'email.spf.void_lookups',
        'email.spf.all_permissive',
        'email.spf.ptr',
        'email.dmarc.p_none',
        'email.dmarc.sp_none',
        'email.dmarc.pct',
        'email.dmarc.no_rua',
        'email.mtasts.testing',
        'email.mtasts.mx_mismatch',
        'email.tlsrpt.missing',
        'email.dkim.short_key',
        'email.dkim.missing',
        'email.dkim.revoked',
        'dns.caa.missing',
        'email.expectation.unmet',
      ]),
    )
    expect(obs.findings.find((f) => f.id === 'email.mtasts.mx_mismatch')?.severity).toBe('warn')
    expect(obs.findings.find((f) => f.id === 'email.expectation.unmet')?.message).toBe(
      'DMARC p=none, expected p=reject',
    )
    expect(obs.metrics.spfLookups).toBe(11)
    expect(obs.status).toBe('crit')
  })

  it('counts exactly ten lookups as a warning and eleven as an error', async () => {
    const zone = goodZone()
    zone['ten.test'] = [
      {type: 'TXT', data: `v=spf1 ${Array.from({length: 10}, (_, i) => `include:n${i}.ten.test`).join(' ')} -all`},
    ]
    for (let i = 0; i < 11; i++) zone[`n${i}.ten.test`] = [{type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 -all'}]
    zone['eleven.test'] = [
      {type: 'TXT', data: `v=spf1 ${Array.from({length: 11}, (_, i) => `include:n${i}.ten.test`).join(' ')} -all`},
    ]
    dns.setRecords(zone)
    try {
      const ten = await scan('ten.test', {mta_sts: false, caa: false})
      expect(ids(ten)).toContain('email.spf.lookups_at_limit')
      expect(ids(ten)).not.toContain('email.spf.too_many_lookups')
      const eleven = await scan('eleven.test', {mta_sts: false, caa: false})
      expect(ids(eleven)).toContain('email.spf.too_many_lookups')
    } finally {
      dns.setRecords(goodZone())
    }
  })

  it('reports DMARC, SPF and MTA-STS problems a check expects otherwise', async () => {
    const zone = goodZone()
    zone['good.test'] = zone['good.test'].map((r) =>
      r.type === 'TXT' && String(r.data).startsWith('v=spf1') ? {type: 'TXT', data: 'v=spf1 mx ~all'} : r,
    )
    zone['_dmarc.good.test'] = [{type: 'TXT', data: 'v=DMARC1; p=quarantine; rua=https://example.test/r'}]
    dns.setRecords(zone)
    policyBody = GOOD_POLICY.replace('enforce', 'testing')
    try {
      const obs = await scan('good.test', {expect: {dmarc_policy: 'reject', spf_all: '-all', mta_sts_mode: 'enforce'}})
      const unmet = obs.findings.filter((f) => f.id === 'email.expectation.unmet').map((f) => f.message)
      expect(unmet).toEqual(
        expect.arrayContaining([
          'SPF ends ~all, expected -all',
          'DMARC p=quarantine, expected p=reject',
          'MTA-STS mode testing, expected enforce',
        ]),
      )
      expect(ids(obs)).toEqual(
        expect.arrayContaining(['email.spf.softfail', 'email.dmarc.rua_invalid', 'email.mtasts.testing']),
      )
    } finally {
      dns.setRecords(goodZone())
      policyBody = GOOD_POLICY
    }
  })

  it('reports a missing SPF, several SPF records and a missing DMARC', async () => {
    const zone = goodZone()
    zone['two.test'] = [
      {type: 'TXT', data: 'v=spf1 -all'},
      {type: 'TXT', data: 'v=spf1 mx -all'},
    ]
    zone['none.test'] = [{type: 'MX', data: {preference: 0, exchange: '.'}}]
    dns.setRecords(zone)
    try {
      const two = await scan('two.test', {mta_sts: false})
      expect(ids(two)).toEqual(
        expect.arrayContaining(['email.spf.multiple', 'email.dmarc.missing', 'email.mx.missing']),
      )
      const none = await scan('none.test', {mta_sts: false})
      expect(ids(none)).toEqual(expect.arrayContaining(['email.mx.null', 'email.spf.missing']))
    } finally {
      dns.setRecords(goodZone())
    }
  })

  it('reports an MTA-STS policy that is not text, and one served with an untrusted certificate', async () => {
    policyBody = '\u0000\u0001PNG\u0000'
    policyType = 'image/png'
    try {
      const obs = await scan('good.test')
      expect(obs.findings.find((f) => f.id === 'email.mtasts.policy_invalid')?.message).toMatch(/not text/)
    } finally {
      policyBody = GOOD_POLICY
      policyType = 'text/plain'
    }

    const untrusting = await emailSecurityProbe.run(
      'good.test',
      {target: 'good.test', mta_sts_port: policy.port},
      probeCtx({resolver: dns.server, resolve: [`mta-sts.good.test:${policy.port}:127.0.0.1`]}),
    )
    expect(untrusting.findings.find((f) => f.id === 'email.mtasts.policy_unavailable')?.message).toMatch(
      /certificate does not verify/,
    )
  })
})

describe('email-security DNS faults', () => {
  it('gives unknown with a reason when every lookup fails', async () => {
    dns.setFault('servfail')
    try {
      const obs = await scan('good.test')
      expect(obs.status).toBe('unknown')
      expect(obs.summary).toMatch(/DNS lookups for good.test failed: SERVFAIL/)
    } finally {
      dns.setFault(undefined)
    }
  })

  it("gives unknown, not missing records, when the domain's own MX and TXT lookups fail and its subnames answer NXDOMAIN", async () => {
    // A resolver that times out on the apex but answers NXDOMAIN for _dmarc, _mta-sts and _smtp._tls.
    dns.setFault('drop', 'good.test')
    dns.setRecords(Object.fromEntries(Object.entries(goodZone()).filter(([name]) => !name.startsWith('_'))))
    try {
      const obs = await scan('good.test', {}, {timeoutMs: 1500})
      expect(obs.status).toBe('unknown')
      expect(obs.summary).toMatch(
        /^DNS lookups of good\.test itself failed \(MX and TXT: (timed out|cancelled)[^)]*\); its records cannot be judged$/,
      )
      expect(obs.findings).toEqual([])
      expect(dns.queries.some((q) => q.name === '_mta-sts.good.test')).toBe(true)
    } finally {
      dns.setFault(undefined, 'good.test')
      dns.setRecords(goodZone())
    }
  })

  it('reports a malformed answer for one name as a failed lookup, and reads the rest', async () => {
    dns.setFault('malformed', '_dmarc.good.test')
    try {
      const obs = await scan('good.test')
      expect(obs.findings.find((f) => f.id === 'dns.lookup.failed')?.message).toMatch(/^TXT _dmarc\.good\.test: /)
      expect(ids(obs)).not.toContain('email.dmarc.missing')
      expect(obs.status).toBe('warn')
    } finally {
      dns.setFault(undefined, '_dmarc.good.test')
    }
  })

  it('follows truncated UDP answers over TCP', async () => {
    dns.setFault('truncated')
    try {
      const obs = await scan('good.test')
      expect(obs.findings).toEqual([])
      expect(dns.queries.some((q) => q.transport === 'tcp')).toBe(true)
    } finally {
      dns.setFault(undefined)
    }
  })

  it('stays within the timeout when answers are dropped', async () => {
    dns.setFault('drop', '_smtp._tls.good.test')
    try {
      const t0 = performance.now()
      const obs = await scan('good.test', {}, {timeoutMs: 2000})
      expect(performance.now() - t0).toBeLessThan(3000)
      expect(obs.findings.find((f) => f.id === 'dns.lookup.failed')?.message).toMatch(
        /_smtp\._tls\.good\.test: (timed out|cancelled)/,
      )
    } finally {
      dns.setFault(undefined, '_smtp._tls.good.test')
    }
  })
})

describe('email-security STARTTLS', () => {
  it('passes an MX with STARTTLS and a valid certificate, fails one without, and is inconclusive on a closed port', async () => {
    const leaf = await issueCert({hosts: ['mx1.good.test']})
    const good = await startSmtp({tls: {key: leaf.key, cert: leaf.fullchain}})
    const plain = await startSmtp()
    const closed = await closedPort()
    try {
      let obs = await scan('good.test', {starttls: true, smtp_port: good.port})
      expect(obs.findings).toEqual([])
      expect(
        (obs.details?.starttls as Record<string, {kind: string; protocol: string}>)['mx1.good.test'],
      ).toMatchObject({kind: 'ok', protocol: 'TLSv1.3'})
      obs = await scan('good.test', {starttls: true, smtp_port: plain.port})
      expect(obs.findings.map((f) => [f.id, f.severity])).toEqual([['email.starttls.missing', 'crit']])
      obs = await scan('good.test', {starttls: true, smtp_port: closed})
      expect(obs.findings.map((f) => [f.id, f.severity])).toEqual([['email.starttls.inconclusive', 'info']])
      expect(obs.status).toBe('ok')
    } finally {
      await Promise.all([good.close(), plain.close()])
    }
  })
})

describe('email-security parsers', () => {
  it('parses SPF terms and rejects unknown mechanisms and glued all', () => {
    expect(
      parseSpf('v=spf1 ip4:192.0.2.0/24 include:_spf.example.org redirect=x.example.org').map((t) => t.name),
    ).toEqual(['ip4', 'include', 'redirect'])
    expect(() => parseSpf('v=spf1 ipv4:192.0.2.1 -all')).toThrow(/unknown mechanism/)
    expect(() => parseSpf('v=spf1 ip4:192.0.2.1~all')).toThrow(/bad ip4/)
  })

  it('matches MTA-STS mx patterns as RFC 8461 says', () => {
    expect(mxMatches('mx1.example.org', '*.example.org')).toBe(true)
    expect(mxMatches('a.mx1.example.org', '*.example.org')).toBe(false)
    expect(mxMatches('example.org', '*.example.org')).toBe(false)
    expect(mxMatches('MX1.Example.org.', 'mx1.example.org')).toBe(true)
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 604800\n')).toMatchObject({
      version: 'STSv1',
      mode: 'enforce',
      maxAge: 604_800,
      mx: ['a.b'],
    })
  })
})
