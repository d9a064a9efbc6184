import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {validateCatalogue} from '../../src/catalogue/load.js'
import {webSecurityProbe} from '../../src/probes/web-security.js'
import {issueCert, rootCA} from '../helpers/certs.js'
import {tmpDir} from '../helpers/cli.js'
import {startTcp, startTls} from '../helpers/servers.js'
import {ids, probeCtx} from './ctx.js'
import {goodConfig, type Site, startSite} from './site.js'

let site: Site

async function scan(options: Record<string, unknown> = {}, timeoutMs = 8000) {
  const opts = {target: site.url, http_port: site.http.port, ...options}
  return webSecurityProbe.run(site.url, opts, probeCtx({ca: site.ca, resolve: site.resolve, timeoutMs}))
}

beforeAll(async () => {
  site = await startSite()
})
afterAll(async () => {
  await site.close()
})

describe('web-security against a loopback site', () => {
  it('grades a well-configured site A+ with no warn or crit findings', async () => {
    site.config = goodConfig()
    const obs = await scan()
    expect(obs.status).toBe('ok')
    expect(obs.findings.filter((f) => f.severity !== 'info')).toEqual([])
    expect(obs.details?.grade).toBe('A+')
    // CSP default-src 'none' +10, XFO via frame-ancestors +5, referrer +5, CORP +10; no cookies; same-origin scripts.
    expect(obs.details?.score).toBe(130)
    expect(obs.metrics.postureScore).toBe(130)
    expect(obs.findings).toEqual([])
    expect(obs.summary).toBe('grade A+ (130); no findings')
  })

  it('reports a missing HSTS header and deducts 20', async () => {
    site.config = goodConfig()
    delete site.config.headers['strict-transport-security']
    const obs = await scan()
    expect(obs.status).toBe('crit')
    expect(ids(obs)).toContain('web.hsts.missing')
    const d = (obs.details?.deductions as {test: string; result: string; modifier: number}[]).find(
      (t) => t.test === 'strict-transport-security',
    )
    expect(d).toMatchObject({result: 'hsts-not-implemented', modifier: -20})
  })

  it('reports duplicated HSTS fields read from the raw header list', async () => {
    site.config = goodConfig()
    site.config.headers['strict-transport-security'] = ['max-age=63072000', 'max-age=63072000; includeSubDomains']
    const obs = await scan()
    expect(ids(obs)).toContain('web.hsts.duplicate')
    expect(obs.findings.find((f) => f.id === 'web.hsts.duplicate')?.message).toMatch(
      /2 Strict-Transport-Security fields/,
    )
    // Node joins the two fields with a comma, which the Observatory reads as "set multiple times".
    const d = (obs.details?.deductions as {test: string; result: string}[]).find(
      (t) => t.test === 'strict-transport-security',
    )
    expect(d?.result).toBe('hsts-header-invalid')
  })

  it('reports a short max-age, and the GOV.UK comma form as invalid', async () => {
    site.config = goodConfig()
    site.config.headers['strict-transport-security'] = 'max-age=86400'
    let obs = await scan()
    expect(ids(obs)).toContain('web.hsts.short')
    expect(obs.findings.find((f) => f.id === 'web.hsts.short')?.severity).toBe('warn')
    site.config.headers['strict-transport-security'] = 'max-age=31536000, includeSubDomains; preload;'
    obs = await scan()
    expect(ids(obs)).toContain('web.hsts.invalid')
    expect(obs.findings.find((f) => f.id === 'web.hsts.invalid')?.message).toMatch(/comma/)
  })

  it('reports unsafe CSP sources', async () => {
    site.config = goodConfig()
    site.config.headers['content-security-policy'] =
      "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; object-src 'none'"
    const obs = await scan()
    expect(ids(obs)).toEqual(expect.arrayContaining(['web.csp.unsafe_inline', 'web.csp.unsafe_eval']))
    expect(obs.findings.find((f) => f.id === 'web.csp.unsafe_inline')?.message).toMatch(/'unsafe-inline'/)
    const d = (obs.details?.deductions as {test: string; result: string; modifier: number}[]).find(
      (t) => t.test === 'content-security-policy',
    )
    expect(d).toMatchObject({result: 'csp-implemented-with-unsafe-inline', modifier: -20})
  })

  it('reports a missing CSP as warn, or crit when the check requires one', async () => {
    site.config = goodConfig()
    delete site.config.headers['content-security-policy']
    let obs = await scan()
    expect(obs.findings.find((f) => f.id === 'web.csp.missing')?.severity).toBe('warn')
    // X-Frame-Options DENY still guards against framing without the CSP.
    expect(ids(obs)).not.toContain('web.xfo.missing')
    obs = await scan({csp_required: true})
    expect(obs.findings.find((f) => f.id === 'web.csp.missing')?.severity).toBe('crit')
  })

  it('reports headers that leak versions', async () => {
    site.config = goodConfig()
    site.config.headers.server = 'Apache/2.4.41 (Ubuntu)'
    site.config.headers['x-powered-by'] = 'PHP/7.4.3'
    site.config.headers['x-aspnet-version'] = '4.0.30319'
    const obs = await scan()
    const leaks = obs.findings.filter((f) => f.id === 'web.leak.version').map((f) => f.message)
    expect(leaks).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server: Apache\/2\.4\.41/),
        expect.stringMatching(/^x-powered-by: PHP/),
        expect.stringMatching(/^x-aspnet-version/),
      ]),
    )
    expect(obs.status).toBe('warn')
  })

  it('reports insecure cookies', async () => {
    site.config = goodConfig()
    site.config.headers['set-cookie'] = [
      'sessionid=abc; Path=/',
      'prefs=dark; Path=/; Secure',
      'csrftoken=x; Secure; HttpOnly',
      'track=1; Secure; SameSite=Bogus',
    ]
    const obs = await scan()
    expect(ids(obs)).toEqual(
      expect.arrayContaining([
        'web.cookie.session_no_secure',
        'web.cookie.session_no_httponly',
        'web.cookie.csrf_no_samesite',
        'web.cookie.samesite_invalid',
      ]),
    )
    expect(obs.status).toBe('crit')
    const d = (obs.details?.deductions as {test: string; result: string; modifier: number}[]).find(
      (t) => t.test === 'cookies',
    )
    // With HSTS in place the Observatory's worst cookie outcome is a session cookie without HttpOnly (-30).
    expect(d).toMatchObject({result: 'cookies-session-without-httponly-flag', modifier: -30})
  })

  it('reports CORS that reflects any origin with credentials', async () => {
    site.config = goodConfig()
    site.config.cors = 'reflect-credentials'
    let obs = await scan()
    expect(ids(obs)).toContain('web.cors.reflected_credentials')
    expect(obs.status).toBe('crit')
    site.config.cors = 'reflect'
    obs = await scan()
    expect(ids(obs)).toContain('web.cors.reflected')
    site.config.cors = 'wildcard'
    obs = await scan()
    expect(obs.findings.find((f) => f.id === 'web.cors.wildcard')?.severity).toBe('info')
  })

  it('reports a missing, an expired and a non-text security.txt', async () => {
    site.config = goodConfig()
    site.config.securityTxt = {status: 404, body: 'not found', contentType: 'text/plain'}
    let obs = await scan()
    expect(ids(obs)).toContain('securitytxt.missing')
    site.config.securityTxt = {
      status: 200,
      body: 'Contact: mailto:a@site.test\nExpires: 2020-01-01T00:00:00Z\n',
      contentType: 'text/plain; charset=utf-8',
    }
    obs = await scan()
    expect(ids(obs)).toContain('securitytxt.expired')
    expect(obs.status).toBe('crit')
    site.config.securityTxt = {
      status: 200,
      body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe]),
      contentType: 'image/png',
    }
    obs = await scan()
    expect(obs.findings.filter((f) => f.id === 'securitytxt.invalid_media').length).toBeGreaterThanOrEqual(2)
    expect(ids(obs)).not.toContain('securitytxt.no_contact')
    site.config.securityTxt = {status: 200, body: 'Expires: 2099-01-01T00:00:00Z\n', contentType: 'text/plain'}
    obs = await scan()
    expect(ids(obs)).toEqual(expect.arrayContaining(['securitytxt.no_contact', 'securitytxt.long_expiry']))
  })

  it('reports a missing HTTP→HTTPS redirect, an off-host first hop and a redirect loop', async () => {
    site.config = goodConfig()
    site.config.http = 'plain'
    let obs = await scan()
    expect(ids(obs)).toContain('web.redirect.missing')
    site.config.http = 'off-host'
    obs = await scan()
    expect(ids(obs)).toContain('web.redirect.off_host')
    site.config.http = 'loop'
    obs = await scan()
    expect(ids(obs)).toContain('web.redirect.loop')
  })

  it('stops reading a 50 MB body at the cap, quickly', async () => {
    site.config = goodConfig()
    site.config.hugeBody = 50 * 1024 * 1024
    const t0 = performance.now()
    const obs = await scan({max_body: 256 * 1024})
    expect(performance.now() - t0).toBeLessThan(3000)
    expect(ids(obs)).toContain('web.body.truncated')
    expect(obs.status).not.toBe('unknown')
  })

  it('checks an expectation on the grade', async () => {
    site.config = goodConfig()
    delete site.config.headers['strict-transport-security']
    delete site.config.headers['x-frame-options']
    site.config.headers['content-security-policy'] = "script-src 'self' 'unsafe-inline'"
    const obs = await scan({expect: {min_grade: 'B'}})
    expect(ids(obs)).toContain('web.expectation.unmet')
    expect(obs.findings.find((f) => f.id === 'web.expectation.unmet')?.message).toMatch(/below the expected B/)
  })
})

describe('the api profile (JSON/API endpoints)', () => {
  const PAGE_ONLY = /^web\.(csp|xfo|referrer|permissions_policy|coop|sri)\./
  /** A JSON API as a platform proxy answers: no page headers, a one-day HSTS, a versioned Server. */
  function jsonApi() {
    const c = goodConfig()
    c.headers = {
      'content-type': 'application/json',
      'strict-transport-security': 'max-age=86400',
      server: 'envoy 1.29.1',
    }
    c.body = '{"status":"pass","version":"1.2.3"}'
    return c
  }

  it('raises no page-only finding on a JSON API, and still every one that applies', async () => {
    site.config = jsonApi()
    const asPage = await scan()
    // The page profile judges it as a document: CSP, framing, referrer, permissions and opener findings.
    expect(ids(asPage)).toEqual(
      expect.arrayContaining([
        'web.csp.missing',
        'web.xfo.missing',
        'web.referrer.missing',
        'web.permissions_policy.missing',
        'web.coop.missing',
      ]),
    )
    const api = await scan({profile: 'api'})
    expect(ids(api).filter((id) => PAGE_ONLY.test(id))).toEqual([])
    expect(ids(api)).toEqual([
      'web.hsts.short',
      'web.hsts.no_include_subdomains',
      'web.xcto.missing',
      'web.corp.missing',
      'web.leak.version',
    ])
    expect(api.status).toBe('warn')
    expect(api.details?.profile).toBe('api')
    // Page-only tests are kept in the details but score 0: 100 - 10 (HSTS under six months) - 5 (nosniff).
    const deductions = api.details?.deductions as {test: string; modifier: number; applies?: boolean}[]
    expect(
      deductions
        .filter((d) => d.applies === false)
        .map((d) => d.test)
        .sort(),
    ).toEqual(['content-security-policy', 'referrer-policy', 'subresource-integrity', 'x-frame-options'])
    expect(deductions.filter((d) => d.applies === false).every((d) => d.modifier === 0)).toBe(true)
    expect(api.details?.score).toBe(85)
    expect(api.details?.grade).toBe('A-')
    expect(asPage.details?.score).toBeLessThan(85)
  })

  it('still raises HSTS, cookie and CORS findings on an API', async () => {
    site.config = jsonApi()
    delete site.config.headers['strict-transport-security']
    site.config.headers['set-cookie'] = 'session=abc; Path=/'
    site.config.cors = 'reflect-credentials'
    const api = await scan({profile: 'api'})
    expect(api.status).toBe('crit')
    expect(ids(api)).toEqual(
      expect.arrayContaining(['web.hsts.missing', 'web.cookie.session_no_secure', 'web.cors.reflected_credentials']),
    )
    expect(ids(api).filter((id) => PAGE_ONLY.test(id))).toEqual([])
  })

  it('refuses csp_required with profile api, naming the key', () => {
    const problems =
      webSecurityProbe.validate?.({target: 'https://api.test/_ping', profile: 'api', csp_required: true}) ?? []
    expect(problems).toEqual([
      {
        path: ['csp_required'],
        message: 'csp_required does not apply with profile: api (no Content-Security-Policy is judged on an API)',
      },
    ])
    expect(webSecurityProbe.validate?.({target: 'https://api.test/_ping', profile: 'api'})).toEqual([])
  })

  it('names file:line:col for a contradictory or misspelt profile in a catalogue', () => {
    const tmp = tmpDir()
    try {
      const file = path.join(tmp.dir, 'api.yaml')
      fs.writeFileSync(
        file,
        [
          'checks:',
          '  - id: a',
          '    kind: web-security',
          '    target: https://api.test/_ping',
          '    profile: api',
          '    csp_required: true',
          '  - id: b',
          '    kind: web-security',
          '    target: https://api.test/_ping',
          '    profile: apii',
          '',
        ].join('\n'),
      )
      const {problems} = validateCatalogue([file], {env: {}})
      expect(problems.map((p) => `${p.line}:${p.col} ${p.path}`)).toEqual([
        '6:19 checks[0].csp_required',
        '10:14 checks[1].profile',
      ])
      expect(problems[1].message).toContain('did you mean "api"?')
    } finally {
      tmp.cleanup()
    }
  })
})

describe('web-security faults', () => {
  it('gives unknown with a reason when the server drops the connection mid-handshake', async () => {
    const srv = await startTcp((s) => s.once('data', () => s.destroy()))
    try {
      const url = `https://drop.test:${srv.port}/`
      const obs = await webSecurityProbe.run(
        url,
        {target: url, redirect: false, security_txt: false},
        probeCtx({resolve: [`drop.test:${srv.port}:127.0.0.1`], timeoutMs: 3000}),
      )
      expect(obs.status).toBe('unknown')
      expect(obs.summary).toMatch(/HTTPS request failed/)
    } finally {
      await srv.close()
    }
  })

  it('gives unknown with a reason on a malformed header', async () => {
    const leaf = await issueCert({hosts: ['bad.test']})
    const srv = await startTls({key: leaf.key, cert: leaf.fullchain}, (s) => {
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nThis is not a header\r\n\r\nhi'))
    })
    try {
      const url = `https://bad.test:${srv.port}/`
      const obs = await webSecurityProbe.run(
        url,
        {target: url, redirect: false, security_txt: false},
        probeCtx({ca: (await rootCA()).cert, resolve: [`bad.test:${srv.port}:127.0.0.1`], timeoutMs: 3000}),
      )
      expect(obs.status).toBe('unknown')
      expect(obs.summary).toMatch(/malformed HTTP response/)
    } finally {
      await srv.close()
    }
  })

  it('reports an untrusted certificate as a finding, not a failure to scan', async () => {
    site.config = goodConfig()
    const obs = await webSecurityProbe.run(
      site.url,
      {target: site.url, http_port: site.http.port},
      probeCtx({resolve: site.resolve}),
    )
    expect(ids(obs)).toContain('web.cert.invalid')
    expect(obs.status).toBe('crit')
  })

  it('honours the check timeout against a server that never answers', async () => {
    const leaf = await issueCert({hosts: ['slow.test']})
    const srv = await startTls({key: leaf.key, cert: leaf.fullchain}, () => {})
    try {
      const url = `https://slow.test:${srv.port}/`
      const t0 = performance.now()
      const obs = await webSecurityProbe.run(
        url,
        {target: url, redirect: false},
        probeCtx({ca: (await rootCA()).cert, resolve: [`slow.test:${srv.port}:127.0.0.1`], timeoutMs: 1500}),
      )
      expect(performance.now() - t0).toBeLessThan(2500)
      expect(obs.status).toBe('unknown')
      expect(obs.summary).toMatch(/timed out/)
    } finally {
      await srv.close()
    }
  })
})
