/** The simulated estate: its DNS server, its certificates, and each fault as the real checks see it. */
import crypto from 'node:crypto'
import dns from 'node:dns'
import fs from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {validateCatalogue} from '../../src/catalogue/load.js'
import {exerciseAuthority, issueLeaf} from '../../src/exercises/estate/cert.js'
import {startExerciseDns} from '../../src/exercises/estate/dns.js'
import {Estate, EXERCISE_STATUS_KEY} from '../../src/exercises/estate/index.js'
import {runCheck} from '../../src/monitor/runner.js'
import {tmpDir} from '../helpers/cli.js'

let tmp: {dir: string; cleanup: () => void}
beforeEach(() => {
  tmp = tmpDir('wk-exe-')
})
afterEach(() => tmp.cleanup())

describe('the simulated estate', () => {
  it('the DNS server answers A, MX and TXT, NXDOMAIN for unknown names, NODATA for a missing type', async () => {
    const server = await startExerciseDns((name) =>
      name === 'example.nhs.uk'
        ? [
            {type: 'MX', data: {preference: 10, exchange: 'mail.example.nhs.uk'}},
            {type: 'TXT', data: 'v=spf1 -all'},
            {type: 'A', data: '127.0.0.1'},
          ]
        : name === 'long.example.nhs.uk'
          ? [{type: 'TXT', data: 'x'.repeat(300)}]
          : undefined,
    )
    try {
      const r = new dns.promises.Resolver({timeout: 1000, tries: 1})
      r.setServers([server.server])
      expect(await r.resolveMx('example.nhs.uk')).toEqual([{priority: 10, exchange: 'mail.example.nhs.uk'}])
      expect(await r.resolveTxt('example.nhs.uk')).toEqual([['v=spf1 -all']])
      expect(await r.resolve4('example.nhs.uk')).toEqual(['127.0.0.1'])
      expect((await r.resolveTxt('long.example.nhs.uk'))[0].join('')).toBe('x'.repeat(300))
      await expect(r.resolveTxt('nothing.nhs.uk')).rejects.toMatchObject({code: 'ENOTFOUND'})
      await expect(r.resolveNs('example.nhs.uk')).rejects.toMatchObject({code: 'ENODATA'})
    } finally {
      await server.close()
    }
  })

  it('issues certificates that chain to the exercise CA, and expired ones', () => {
    const ca = exerciseAuthority('t')
    const root = new crypto.X509Certificate(ca.cert)
    const leaf = new crypto.X509Certificate(issueLeaf(ca, ['www.nhs.uk']).cert)
    expect(leaf.checkIssued(root)).toBe(true)
    expect(leaf.verify(root.publicKey)).toBe(true)
    expect(leaf.checkHost('www.nhs.uk')).toBe('www.nhs.uk')
    expect(leaf.ca).toBe(false)
    expect(root.ca).toBe(true)
    const expired = new crypto.X509Certificate(issueLeaf(ca, ['www.nhs.uk'], {expired: true}).cert)
    expect(Date.parse(expired.validTo)).toBeLessThan(Date.now())
  })

  it('fails and recovers as told, and the real checks see each fault', async () => {
    const estate = await Estate.start(
      [
        {
          id: 'pds',
          kind: 'api',
          name: 'PDS FHIR API',
          host: 'api.service.nhs.uk',
          base_path: 'personal-demographics/FHIR/R4',
        },
        {id: 'site', kind: 'website', name: 'Trust website', host: 'www.example-trust.nhs.uk'},
        {id: 'mail', kind: 'mail-domain', name: 'Trust mail', domain: 'example-trust.nhs.uk'},
      ],
      path.join(tmp.dir, 'estate'),
      'test',
    )
    try {
      const file = estate.writeCatalogue(
        {intervalMs: 1000, timeoutMs: 1500, failures: 2},
        {playbook: 'ddos-national-endpoint', title: 'Drill'},
      )
      const {catalogue, problems} = validateCatalogue([file])
      expect(problems).toEqual([])
      const run = async () =>
        Object.fromEntries(
          await Promise.all(
            catalogue!.checks.map(async (c) => {
              const r = await runCheck(c, {})
              return [c.id, `${r.status} ${r.summary}`] as const
            }),
          ),
        )
      const ok = await run()
      for (const [id, v] of Object.entries(ok)) expect(v, id).toMatch(/^ok /)
      // The _status endpoint wants the key, as the platform's does, and says so in an OperationOutcome.
      const ping = new URL(estate.endpoints().find((e) => e.id === 'pds')!.url)
      const ca = fs.readFileSync(path.join(tmp.dir, 'estate', 'exercise-ca.pem'))
      const get = (p: string, headers: Record<string, string> = {}) =>
        new Promise<{status: number; body: Record<string, unknown>}>((resolve, reject) => {
          https
            .get(
              {
                host: '127.0.0.1',
                port: Number(ping.port),
                path: p,
                servername: ping.hostname,
                ca,
                headers: {host: ping.host, ...headers},
              },
              (res) => {
                let text = ''
                res.on('data', (d) => (text += d))
                res.on('end', () =>
                  resolve({status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>}),
                )
              },
            )
            .on('error', reject)
        })
      const status = ping.pathname.replace('/_ping', '/_status')
      expect(await get(ping.pathname)).toMatchObject({status: 200, body: {revision: '1'}})
      expect(await get(status)).toMatchObject({
        status: 401,
        body: {resourceType: 'OperationOutcome', issue: [{code: 'forbidden', diagnostics: 'Invalid Api Key'}]},
      })
      expect(await get(status, {apikey: EXERCISE_STATUS_KEY})).toMatchObject({
        status: 200,
        body: {status: 'pass', checks: {'backend:status': [{status: 'pass', timeout: 'false'}]}},
      })

      estate.fault('pds', '5xx')
      estate.fault('site', 'expired-certificate')
      estate.fault('mail', 'dmarc-removed')
      const bad = await run()
      expect(bad['exercise.pds.ping']).toMatch(/^crit HTTP 503/)
      expect(bad['exercise.site.http']).toMatch(/^crit .*CERT_HAS_EXPIRED/)
      expect(bad['exercise.site.tls']).toMatch(/^crit certificate expired on/)
      expect(bad['exercise.mail.dmarc']).toMatch(/^crit .*NXDOMAIN/)
      expect(bad['exercise.mail.mx']).toMatch(/^ok /)

      estate.fault('pds', 'hang')
      estate.fault('site', 'latency', '1s')
      estate.fault('mail', 'dns-gone')
      const worse = await run()
      expect(worse['exercise.pds.ping']).toMatch(/^crit timed out after 1500 ms/)
      expect(worse['exercise.site.http']).toMatch(/^crit HTTP 200 in \d+ ms, slower than 750ms/)
      expect(worse['exercise.mail.mx']).toMatch(/^crit .*no records/)

      for (const id of ['pds', 'site', 'mail']) estate.recover(id)
      for (const [id, v] of Object.entries(await run())) expect(v, id).toMatch(/^ok /)
    } finally {
      await estate.close()
    }
  })
})
