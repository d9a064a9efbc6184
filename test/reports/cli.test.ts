import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Status} from '../../src/types.js'
import {runCli} from '../helpers/cli.js'
import {freshDb, MINUTE, result, store} from '../store/seed.js'

const T0 = Date.UTC(2026, 10, 9, 0, 0, 10)
let fixture: ReturnType<typeof freshDb>

beforeAll(() => {
  fixture = freshDb('wk-report-cli-')
  const results = []
  for (let i = 0; i < 2 * 24 * 60; i++) {
    const api: Status = i >= 300 && i < 320 ? 'crit' : i >= 400 && i < 404 ? 'unknown' : 'ok'
    results.push(result('login-api', T0 + i * MINUTE, api, 100 + (i % 7)))
    results.push(result('login-web', T0 + i * MINUTE, i >= 2860 ? 'crit' : 'ok', 250))
  }

  store(fixture.db, {'login-api': 'NHS login', 'login-web': 'NHS login'}, results)
  fixture.db.close()
})
afterAll(() => fixture.cleanup())

// Each CLI start costs a second or more on a busy two-core machine.
describe('report and db commands through the CLI', {timeout: 120_000}, () => {
  it('report uptime --json prints one JSON document with the figures', async () => {
    const out = await runCli([
      'report',
      'uptime',
      '--db',
      fixture.file,
      '--since',
      '2026-11-09T00:00:00Z',
      '--until',
      '2026-11-11T00:00:00Z',
      '--json',
    ])
    expect(out.code).toBe(0)
    const report = JSON.parse(out.stdout)
    expect(report.since).toBe('2026-11-09T00:00:00.000Z')
    const api = report.checks.find((c: {id: string}) => c.id === 'login-api')
    expect(api).toMatchObject({
      results: 2880,
      ok: 2856,
      crit: 20,
      unknown: 4,
      outages: {count: 1, mttrMs: 20 * MINUTE, longest: {durationMs: 20 * MINUTE}},
    })
    expect(api.availability).toBe((2856 / 2876) * 100)
    expect(api.latency.maxMs).toBe(106)
    const web = report.checks.find((c: {id: string}) => c.id === 'login-web')
    expect(web.outages).toMatchObject({
      count: 1,
      recovered: 0,
      mttrMs: null,
      longest: {durationMs: 20 * MINUTE - 10_000, endedAt: null},
    })
    expect(report.services).toHaveLength(1)
    expect(report.services[0]).toMatchObject({id: 'NHS login', checks: 2, results: 5760, crit: 40})
  })

  it('report slo --format csv prints a CSV document', async () => {
    const out = await runCli([
      'report',
      'slo',
      '--db',
      fixture.file,
      '--objective',
      '99.5',
      '--window',
      '2d',
      '--until',
      '2026-11-11T00:00:00Z',
      '--format',
      'csv',
    ])
    expect(out.code).toBe(0)
    const lines = out.stdout.trimEnd().split('\r\n')
    expect(lines[0].split(',').slice(0, 6)).toEqual(['scope', 'id', 'service', 'objective_pct', 'eligible', 'bad'])
    const cols = lines[0].split(',')
    const web = Object.fromEntries(
      lines
        .find((l) => l.startsWith('check,login-web,'))!
        .split(',')
        .map((v, i) => [cols[i], v]),
    )
    expect(web).toMatchObject({
      objective_pct: '99.5',
      eligible: '2880',
      bad: '20',
      budget_used: '20',
      budget_total: '14.4',
      budget_left: '-5.6',
      alert: 'fast-burn',
    })
    expect(Number(web.burn_1h)).toBe(Math.round((20 / 60 / 0.005) * 1e4) / 1e4)
    expect(lines).toHaveLength(4)
  })

  it('report uptime renders Markdown and refuses --period with --since (exit 2)', async () => {
    const md = await runCli([
      'report',
      'uptime',
      '--db',
      fixture.file,
      '--since',
      '2026-11-09',
      '--until',
      '2026-11-11',
      '--format',
      'md',
    ])
    expect(md.code).toBe(0)
    expect(md.stdout).toMatch(/^# Uptime /)
    expect(md.stdout).toContain('| login-api | NHS login | 2880 |')
    const bad = await runCli(['report', 'uptime', '--db', fixture.file, '--period', '7d', '--since', '1d', '--json'])
    expect(bad.code).toBe(2)
    expect(JSON.parse(bad.stdout).error.message).toMatch(/cannot be combined/)
    const obj = await runCli(['report', 'slo', '--db', fixture.file, '--objective', '100'])
    expect(obj.code).toBe(2)
    expect(obj.stderr).toMatch(/objective/)
  })

  it('db stats and db backup (refusing to overwrite without --force)', async () => {
    const stats = await runCli(['db', 'stats', '--db', fixture.file, '--json'])
    expect(stats.code).toBe(0)
    const s = JSON.parse(stats.stdout)
    expect(s.results.rows).toBe(5760)
    expect(s.rollups.hourly.rows).toBe(2 * 48)
    expect(s.results.oldest).toBe(new Date(T0).toISOString())

    const file = path.join(fixture.dir, 'backup.db')
    const first = await runCli(['db', 'backup', file, '--db', fixture.file])
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/Backed up \d+ pages/)
    expect(fs.existsSync(file)).toBe(true)
    const again = await runCli(['db', 'backup', file, '--db', fixture.file])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already exists/)
    expect(again.stderr).toMatch(/--force/)
    expect((await runCli(['db', 'backup', file, '--db', fixture.file, '--force'])).code).toBe(0)
  })

  it('db prune --dry-run counts without deleting; a shrinking policy is a usage error', async () => {
    const dry = await runCli([
      'db',
      'prune',
      '--db',
      fixture.file,
      '--keep-raw',
      '1d',
      '--keep-hourly',
      '2d',
      '--dry-run',
      '--json',
    ])
    expect(dry.code).toBe(0)
    const d = JSON.parse(dry.stdout)
    expect(d.dryRun).toBe(true)
    expect(d.deleted.results).toBe(5760) // everything is older than a day before the real now
    const still = JSON.parse((await runCli(['db', 'stats', '--db', fixture.file, '--json'])).stdout)
    expect(still.results.rows).toBe(5760)
    const shrink = await runCli(['db', 'prune', '--db', fixture.file, '--keep-raw', '90d', '--keep-hourly', '30d'])
    expect(shrink.code).toBe(2)
  })
})
