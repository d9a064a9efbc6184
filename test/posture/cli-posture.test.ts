import fs from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/store/db.js'
import {latestPosture, postureRegressions} from '../../src/store/posture.js'
import {runCli, tmpDir} from '../helpers/cli.js'
import {goodConfig, type Site, startSite} from './site.js'

let site: Site
let tmp: {dir: string; cleanup: () => void}
let catalogue: string
let db: string

beforeAll(async () => {
  site = await startSite()
  tmp = tmpDir('wk-posture-')
  fs.writeFileSync(path.join(tmp.dir, 'ca.pem'), site.ca)
  catalogue = path.join(tmp.dir, 'posture.yaml')
  db = path.join(tmp.dir, 'wk.db')
  fs.writeFileSync(
    catalogue,
    [
      'checks:',
      '  - id: site-posture',
      '    kind: web-security',
      `    target: ${site.url}`,
      `    http_port: ${site.http.port}`,
      '    ca: ca.pem',
      '    timeout: 10s',
      '    resolve:',
      ...site.resolve.map((r) => `      - "${r}"`),
      '    expect: {min_grade: A}',
      '',
    ].join('\n'),
  )
})
afterAll(async () => {
  await site.close()
  tmp.cleanup()
})

describe('posture over time through the real CLI', () => {
  it('records posture, reports it, and shows HSTS disappearing as a regression', async () => {
    site.config = goodConfig()
    const first = await runCli(['check', 'run', '--checks', catalogue, '--db', db, '--json'])
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    const run1 = JSON.parse(first.stdout)
    expect(run1.results[0]).toMatchObject({checkId: 'site-posture', kind: 'web-security', status: 'ok', findings: []})
    expect(run1.results[0].details.grade).toBe('A+')

    let report = await runCli(['report', 'posture', '--db', db, '--json'])
    expect(report.code).toBe(0)
    let posture = JSON.parse(report.stdout)
    expect(posture.targets).toHaveLength(1)
    expect(posture.targets[0]).toMatchObject({
      checkId: 'site-posture',
      grade: 'A+',
      score: 130,
      status: 'ok',
      findings: [],
      counts: {crit: 0, warn: 0, info: 0},
    })

    // Last night's deploy drops HSTS.
    delete site.config.headers['strict-transport-security']
    const second = await runCli(['check', 'run', '--checks', catalogue, '--db', db, '--json'])
    expect(second.code).toBe(2)
    const run2 = JSON.parse(second.stdout)
    expect(run2.results[0].findings.map((f: {id: string}) => f.id)).toEqual(
      expect.arrayContaining(['web.hsts.missing', 'web.expectation.unmet']),
    )

    report = await runCli(['report', 'posture', '--db', db, '--json'])
    posture = JSON.parse(report.stdout)
    // -20 leaves 80 before bonuses; under 90 the Observatory drops the bonuses, so 80 (B+), not 110.
    expect(posture.targets[0]).toMatchObject({grade: 'B+', score: 80, status: 'crit'})

    const diff = await runCli(['posture', 'diff', '--since', String(run1.runId), '--db', db, '--json'])
    expect(diff.code).toBe(0)
    const d = JSON.parse(diff.stdout)
    expect(d.since).toEqual({runId: run1.runId})
    expect(d.summary).toMatchObject({targets: 1, changed: 1, fixes: 0})
    expect(d.changes[0].appeared.map((f: {id: string}) => f.id).sort()).toEqual([
      'web.expectation.unmet',
      'web.hsts.missing',
    ])
    expect(d.changes[0].before).toMatchObject({grade: 'A+', score: 130})
    expect(d.changes[0].after).toMatchObject({grade: 'B+', score: 80})

    const gate = await runCli(['posture', 'diff', '--since', String(run1.runId), '--db', db, '--fail-on-regression'])
    expect(gate.code).toBe(1)
    expect(gate.stdout).toMatch(/\+ crit web\.hsts\.missing/)

    // The watch engineer's hook: new findings of severity >= warn against the previous result.
    const handle = openDatabase(db)
    try {
      const latest = latestPosture(handle)[0]
      expect(
        postureRegressions(handle, 'site-posture', latest.resultId)
          .map((f) => f.id)
          .sort(),
      ).toEqual(['web.expectation.unmet', 'web.hsts.missing'])
    } finally {
      handle.close()
    }

    // HSTS comes back: the diff from the second run shows the fix.
    site.config = goodConfig()
    const third = await runCli(['check', 'run', '--checks', catalogue, '--db', db, '--json'])
    expect(third.code).toBe(0)
    const fixed = JSON.parse(
      (await runCli(['posture', 'diff', '--since', String(run2.runId), '--db', db, '--json'])).stdout,
    )
    expect(fixed.changes[0].fixed.map((f: {id: string}) => f.id).sort()).toEqual([
      'web.expectation.unmet',
      'web.hsts.missing',
    ])
    expect(fixed.changes[0].appeared).toEqual([])
  }, 240_000)

  it('rejects a --since that is neither a run, an age nor a date', async () => {
    const r = await runCli(['posture', 'diff', '--since', 'yesterdayish', '--db', db, '--json'])
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout).error.message).toMatch(/expected a run id, an age/)
    const missing = await runCli(['posture', 'diff', '--since', '99999', '--db', db])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/No run 99999/)
  }, 120_000)
})
