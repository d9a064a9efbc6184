import type http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {validateCatalogue} from '../../src/catalogue/load.js'
import {lastResults} from '../../src/store/results.js'
import {issueCert, rootCA} from '../helpers/certs.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {type DnsServer, startDnsServer} from '../helpers/dns-server.js'
import {type RunningServer, startHttp, startHttps, startTcp, startTls} from '../helpers/servers.js'

const SECRET = 'k3y-that-must-not-leak-9481'

describe('check run end to end over every network probe (bin/run.js against loopback servers)', () => {
  const servers: RunningServer[] = []
  let dns: DnsServer
  let web: RunningServer<http.Server>
  let tmp: ReturnType<typeof tmpDir>
  let file: string

  beforeAll(async () => {
    tmp = tmpDir('wk-probes-e2e-')
    const ca = await rootCA()
    fs.writeFileSync(path.join(tmp.dir, 'test-ca.pem'), ca.cert)
    web = await startHttp((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('slow'), 150)
      if (req.url === '/down') return void res.writeHead(503).end('down')
      if (req.url === '/echo-key') return void res.writeHead(200, {'x-echo': String(req.headers.apikey)}).end('{}')
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({status: 'pass', revision: '7'}))
    })
    const leaf = await issueCert({hosts: ['www.nhs.uk'], issuer: 'intermediate', days: 200})
    const site = await startHttps({key: leaf.key, cert: leaf.fullchain}, (req, res) => res.end('<h1>NHS website</h1>'))
    const expiring = await issueCert({hosts: ['digital.nhs.uk'], days: 20})
    const tlsSite = await startTls({key: expiring.key, cert: expiring.fullchain})
    const smtp = await startTcp((s) => s.write('220 smtp.nhs.example.test ESMTP\r\n'))
    servers.push(web, site, tlsSite, smtp)
    dns = await startDnsServer({
      'nhs.example.test': [{type: 'MX', data: {preference: 10, exchange: 'mx1.nhs.example.test'}}],
    })

    file = path.join(tmp.dir, 'loopback.yaml')
    fs.writeFileSync(
      file,
      [
        '# yaml-language-server: $schema=../schemas/checks.schema.json',
        'defaults:',
        '  timeout: 3s',
        '  tags: [loopback]',
        'checks:',
        `  - {id: api-ping, kind: http, service: API, target: "${web.url}/_ping", expect: {status: 200-299, json: [{path: $.revision, op: exists}]}}`,
        `  - {id: api-slow, kind: http, target: "${web.url}/slow", latency: {warn: 50ms, crit: 2s}}`,
        `  - {id: api-down, kind: http, target: "${web.url}/down"}`,
        `  - {id: api-status, kind: http, target: "${web.url}/echo-key", headers: {apikey: "\${env:WK_E2E_KEY}"}, requires_env: [WK_E2E_KEY], expect: {headers: [{name: x-echo, value: other}]}}`,
        `  - {id: nhs-site, kind: http, target: "https://www.nhs.uk:${site.port}/", ca: test-ca.pem, resolve: ["www.nhs.uk:${site.port}:127.0.0.1"], expect: {contains: NHS website}}`,
        `  - {id: nhs-tls, kind: tls, target: "digital.nhs.uk:${tlsSite.port}", ca: test-ca.pem, resolve: ["digital.nhs.uk:${tlsSite.port}:127.0.0.1"]}`,
        `  - {id: mail-mx, kind: dns, target: nhs.example.test, type: MX, resolver: "${dns.server}", expect: {all_of: [mx1.nhs.example.test]}}`,
        `  - {id: mail-banner, kind: tcp, target: "${smtp.url}", banner: "^220 "}`,
        '',
      ].join('\n'),
    )
  })
  afterAll(async () => {
    for (const s of servers) await s.close()
    await dns.close()
    tmp.cleanup()
  })

  it('prints the JSON contract, exits with the worst status and stores one row per check', async () => {
    const db = path.join(tmp.dir, 'run.db')
    const res = await runCli(['check', 'run', '--checks', file, '--json', '--db', db], {env: {WK_E2E_KEY: SECRET}})
    expect(res.stderr).not.toContain('Error')
    const doc = JSON.parse(res.stdout)
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['startedAt', 'finishedAt', 'summary', 'results']))
    expect(Number.isNaN(Date.parse(doc.startedAt))).toBe(false)
    const byId = Object.fromEntries(doc.results.map((r: {checkId: string}) => [r.checkId, r]))
    const statuses = Object.fromEntries(Object.entries(byId).map(([k, r]) => [k, (r as {status: string}).status]))
    expect(statuses).toEqual({
      'api-ping': 'ok',
      'api-slow': 'warn',
      'api-down': 'crit',
      'api-status': 'crit',
      'nhs-site': 'ok',
      'nhs-tls': 'warn',
      'mail-mx': 'ok',
      'mail-banner': 'ok',
    })
    expect(doc.summary).toEqual({ok: 4, warn: 2, crit: 2, unknown: 0})
    // Exit code: the worst status (crit).
    expect(res.code).toBe(2)

    for (const r of doc.results) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining([
          'checkId',
          'kind',
          'target',
          'status',
          'summary',
          'durationMs',
          'timings',
          'findings',
          'metrics',
        ]),
      )
      expect(r.summary).not.toContain('\n')
      expect(typeof r.timings.totalMs).toBe('number')
    }

    expect(byId['api-ping']).toMatchObject({kind: 'http', service: 'API', metrics: {httpStatus: 200}})
    expect(byId['api-ping'].timings).toMatchObject({connectMs: expect.any(Number), ttfbMs: expect.any(Number)})
    expect(byId['api-down'].summary).toBe('HTTP 503 (expected 200-299)')
    expect(byId['nhs-site'].timings.tlsMs).toBeGreaterThan(0)
    expect(byId['nhs-site'].metrics.certDaysLeft).toBeGreaterThan(199)
    expect(byId['nhs-tls'].findings).toEqual([
      {id: 'tls.cert.expiring', severity: 'warn', message: expect.stringMatching(/^certificate expires in 19 days/)},
    ])
    expect(byId['mail-mx'].metrics.answers).toBe(1)
    // The interpolated key is redacted from the summary and never printed.
    expect(byId['api-status'].summary).toBe(
      'header x-echo is "***", expected "other"; HTTP 200 in ' +
        /in (\d+) ms/.exec(byId['api-status'].summary)?.[1] +
        ' ms',
    )
    expect(res.stdout).not.toContain(SECRET)

    const raw = new Database(db, {readonly: true})
    try {
      const rows = lastResults(raw)
      expect(rows.map((r) => r.checkId)).toEqual([
        'api-down',
        'api-ping',
        'api-slow',
        'api-status',
        'mail-banner',
        'mail-mx',
        'nhs-site',
        'nhs-tls',
      ])
      expect(Object.fromEntries(rows.map((r) => [r.checkId, r.status]))).toMatchObject({
        'api-down': 'crit',
        'api-slow': 'warn',
        'nhs-tls': 'warn',
        'mail-mx': 'ok',
      })
      for (const r of rows) expect(JSON.stringify(r)).not.toContain(SECRET)
      // Every stored text (summaries, findings, details) and block.
      for (const t of raw.prepare('SELECT text FROM result_texts').pluck().all() as string[])
        expect(t).not.toContain(SECRET)
      for (const d of raw.prepare('SELECT data FROM result_blocks').pluck().all() as Buffer[])
        expect(d.includes(SECRET)).toBe(false)
    } finally {
      raw.close()
    }
  })

  it('skips the checks whose required variable is unset', async () => {
    const db = path.join(tmp.dir, 'skip.db')
    const res = await runCli(['check', 'run', '--checks', file, '--json', '--db', db], {env: {WK_E2E_KEY: ''}})
    const doc = JSON.parse(res.stdout)
    expect(doc.results.map((r: {checkId: string}) => r.checkId)).not.toContain('api-status')
    expect(res.stderr).toContain('skipped api-status: needs WK_E2E_KEY set in the environment')
  })
})

describe('the shipped catalogue', () => {
  it('validates with no problems, every file declaring the schema on line 1', () => {
    const dir = path.join(ROOT, 'checks')
    const {catalogue, problems} = validateCatalogue([dir], {env: {}})
    expect(problems).toEqual([])
    const checks = catalogue?.checks ?? []
    const ids = checks.map((c) => c.id)
    for (const id of [
      'api-pds-ping',
      'api-ers-ping',
      'api-eps-ping',
      'api-scr-ping',
      'api-bars-ping',
      'api-immunisation-ping',
      'api-nhs-app-ping',
      'api-oauth2-ping',
      'web-nhs-uk',
      'web-digital-nhs-uk',
      'web-england-nhs-uk',
      'nhs-login-oidc-discovery',
      'tls-www-nhs-uk',
      'dns-nhs-net-mx',
      'web-dspt',
      'web-cyber-alert-service',
      'web-service-status-hub',
      'web-nhs-app',
      'web-nhsmail-portal',
      'nhs-login-jwks',
      'api-eps-fhir-prescribing-status',
      'api-eps-fhir-dispensing-status',
    ])
      expect(ids).toContain(id)
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      expect(fs.readFileSync(path.join(dir, file), 'utf8').split('\n')[0]).toBe(
        '# yaml-language-server: $schema=../schemas/checks.schema.json',
      )
    }
  })

  it('keeps every _status check off unless the status key is set, and puts the key only in a header', () => {
    const off =
      validateCatalogue([path.join(ROOT, 'checks')], {env: {}}).catalogue?.checks.filter((c) =>
        c.target.endsWith('/_status'),
      ) ?? []
    expect(off.length).toBeGreaterThanOrEqual(6)
    for (const c of off) {
      expect(c.enabled).toBe(false)
      expect(c.disabledReason).toBe('needs NHS_API_STATUS_KEY set in the environment')
    }

    const on =
      validateCatalogue([path.join(ROOT, 'checks')], {env: {NHS_API_STATUS_KEY: 'abc123'}}).catalogue?.checks.filter(
        (c) => c.target.endsWith('/_status'),
      ) ?? []
    for (const c of on) {
      expect(c.enabled).toBe(true)
      expect((c.spec.headers as Record<string, string>).apikey).toBe('abc123')
      expect(c.secrets).toEqual(['abc123'])
    }
  })

  it('ships only targets confirmed in the NHS services reference (add a target here with its source)', () => {
    const CONFIRMED = new Set([
      // API Platform base paths, each API's azure/project.yml; _status of the EPS FHIR APIs from their specs.
      ...[
        'personal-demographics/FHIR/R4',
        'referrals',
        'electronic-prescriptions',
        'summary-care-record/FHIR/R4',
        'immunisation-fhir-api/FHIR/R4',
        'nhs-app',
        'oauth2',
      ].flatMap((b) => [`https://api.service.nhs.uk/${b}/_ping`, `https://api.service.nhs.uk/${b}/_status`]),
      'https://api.service.nhs.uk/booking-and-referral/FHIR/R4/_ping',
      'https://api.service.nhs.uk/fhir-prescribing/FHIR/R4/_status',
      'https://api.service.nhs.uk/fhir-dispensing/FHIR/R4/_status',
      // Public hostnames (reference section 2).
      'https://www.nhs.uk/',
      'https://digital.nhs.uk/',
      'https://digital.nhs.uk/cyber-alerts',
      'https://www.england.nhs.uk/',
      'https://auth.login.nhs.uk/.well-known/openid-configuration',
      'https://auth.login.nhs.uk/.well-known/jwks.json',
      'https://access.login.nhs.uk/',
      'https://www.nhsapp.service.nhs.uk/login',
      'https://portal.nhs.net/',
      'https://www.dsptoolkit.nhs.uk/',
      'https://digital.nhs.uk/services/respond-to-an-nhs-cyber-alert',
      'https://nhsdigitallive.service-now.com/nhs_digital?id=services_status',
      'www.nhs.uk:443',
      'digital.nhs.uk:443',
      'www.england.nhs.uk:443',
      'auth.login.nhs.uk:443',
      'api.service.nhs.uk:443',
      'nhs.net',
      'nhs.uk',
    ])
    const checks = validateCatalogue([path.join(ROOT, 'checks')], {env: {}}).catalogue?.checks ?? []
    expect(checks.filter((c) => !CONFIRMED.has(c.target)).map((c) => `${c.id} ${c.target}`)).toEqual([])
  })

  it('checks the reporting routes and the EPS FHIR _status by status alone, and grades JSON endpoints with the api profile', () => {
    const checks =
      validateCatalogue([path.join(ROOT, 'checks')], {env: {NHS_API_STATUS_KEY: 'k'}}).catalogue?.checks ?? []
    const byId = new Map(checks.map((c) => [c.id, c]))
    for (const id of ['api-eps-fhir-prescribing-status', 'api-eps-fhir-dispensing-status']) {
      expect(byId.get(id)?.spec.expect).toEqual({status: 200})
      expect((byId.get(id)?.spec.headers as Record<string, string>).apikey).toBe('k')
    }

    for (const id of ['web-dspt', 'web-cyber-alert-service', 'web-service-status-hub', 'web-nhsmail-portal'])
      expect(byId.get(id)?.spec.expect).toEqual({status: 200})
    expect(byId.get('web-nhs-app')?.spec).toMatchObject({follow_redirects: false, expect: {status: '200-399'}})
    expect((byId.get('nhs-login-jwks')?.spec.expect as {json: unknown[]}).json).toEqual([
      {path: '$.keys[0].kty', op: 'exists'},
    ])
    for (const id of ['posture-nhs-login-auth', 'posture-api-platform']) expect(byId.get(id)?.spec.profile).toBe('api')
    // Pages keep the page profile (the default).
    for (const c of checks.filter(
      (x) => x.kind === 'web-security' && !['posture-nhs-login-auth', 'posture-api-platform'].includes(x.id),
    ))
      expect(c.spec.profile).toBeUndefined()
  })

  it('asserts jwks_uri on NHS login discovery', () => {
    const c = validateCatalogue([path.join(ROOT, 'checks')], {env: {}}).catalogue?.checks.find(
      (x) => x.id === 'nhs-login-oidc-discovery',
    )
    expect((c?.spec.expect as {json: unknown[]}).json).toContainEqual({
      path: '$.jwks_uri',
      value: 'https://auth.login.nhs.uk/.well-known/jwks.json',
    })
  })
})
