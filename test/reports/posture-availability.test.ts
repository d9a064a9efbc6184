import fs from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli, tmpDir} from '../helpers/cli.js'
import {type Site, startSite} from '../posture/site.js'

/*
 * A web-security check graded D next to a healthy health check of the same service, both run for real by
 * `check run` against a loopback site: the grade is posture, not availability.
 */

let site: Site
let tmp: {dir: string; cleanup: () => void}
let db: string

beforeAll(async () => {
  site = await startSite()
  for (const h of ['strict-transport-security', 'content-security-policy', 'x-content-type-options', 'x-frame-options'])
    delete site.config.headers[h]
  tmp = tmpDir('wk-posture-avail-')
  fs.writeFileSync(path.join(tmp.dir, 'ca.pem'), site.ca)
  const catalogue = path.join(tmp.dir, 'site.yaml')
  db = path.join(tmp.dir, 'wk.db')
  const common = [
    '    service: NHS website',
    '    ca: ca.pem',
    '    timeout: 10s',
    '    resolve:',
    ...site.resolve.map((r) => `      - "${r}"`),
  ]
  fs.writeFileSync(
    catalogue,
    [
      'checks:',
      '  - id: site-health',
      '    kind: http',
      `    target: ${site.url}`,
      ...common,
      '  - id: site-posture',
      '    kind: web-security',
      `    target: ${site.url}`,
      `    http_port: ${site.http.port}`,
      ...common,
      '    expect: {min_grade: B}',
      '',
    ].join('\n'),
  )
  for (let i = 0; i < 3; i++) {
    const run = await runCli(['check', 'run', '--checks', catalogue, '--db', db, '--json'])
    expect(run.code).toBe(2)
    const byId = Object.fromEntries(JSON.parse(run.stdout).results.map((r: {checkId: string}) => [r.checkId, r]))
    expect(byId['site-health'].status).toBe('ok')
    expect(byId['site-posture'].status).toBe('crit')
    expect(byId['site-posture'].details.grade).toMatch(/^D/)
  }
}, 120_000)
afterAll(async () => {
  await site.close()
  tmp.cleanup()
})

const json = async (...args: string[]) => {
  const res = await runCli([...args, '--db', db, '--json'])
  expect(res.code).toBe(0)
  return JSON.parse(res.stdout)
}

describe('posture is not availability', () => {
  it('report uptime counts health checks only: the D grade is no outage', async () => {
    const r = await json('report', 'uptime', '--period', '24h')
    expect(r).toMatchObject({includePosture: false, postureChecksLeftOut: 1})
    expect(r.checks.map((c: {id: string}) => c.id)).toEqual(['site-health'])
    expect(r.services).toEqual([
      expect.objectContaining({
        id: 'NHS website',
        checks: 1,
        availability: 100,
        crit: 0,
        outages: expect.objectContaining({count: 0, downtimeMs: 0}),
      }),
    ])

    const text = await runCli(['report', 'uptime', '--period', '24h', '--db', db])
    expect(text.stdout).toContain('1 posture check left out')
    expect(text.stdout).not.toContain('site-posture')
  })

  it('report uptime --include-posture counts it: three crit results and an open outage', async () => {
    const r = await json('report', 'uptime', '--period', '24h', '--include-posture')
    expect(r).toMatchObject({includePosture: true, postureChecksLeftOut: 0})
    const web = r.checks.find((c: {id: string}) => c.id === 'site-posture')
    expect(web).toMatchObject({crit: 3, availability: 0, outages: expect.objectContaining({count: 1})})
    expect(r.services[0]).toMatchObject({checks: 2, availability: 50})
  })

  it('report slo spends no budget on the grade, and raises no burn alert, unless --include-posture', async () => {
    const r = await json('report', 'slo', '--objective', '99.9')
    expect(r.postureChecksLeftOut).toBe(1)
    expect(r.checks.map((c: {id: string}) => c.id)).toEqual(['site-health'])
    expect(r.services[0]).toMatchObject({
      id: 'NHS website',
      bad: 0,
      budget: expect.objectContaining({used: 0}),
      alert: null,
    })

    const all = await json('report', 'slo', '--objective', '99.9', '--include-posture')
    const web = all.checks.find((c: {id: string}) => c.id === 'site-posture')
    expect(web).toMatchObject({bad: 3, budget: expect.objectContaining({used: 3}), alert: 'fast-burn'})
    expect(all.services[0]).toMatchObject({bad: 3, alert: 'fast-burn'})
  })

  it('report posture is where the grade shows', async () => {
    const r = await json('report', 'posture')
    expect(r.targets).toEqual([
      expect.objectContaining({checkId: 'site-posture', status: 'crit', grade: expect.stringMatching(/^D/)}),
    ])
  })
})
