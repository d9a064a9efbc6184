import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {CheckResult, Finding, Status} from '../../src/types.js'
import {appendEvents, verifyIncident} from '../../src/incidents/service.js'
import {ResultWriter} from '../../src/monitor/result-writer.js'
import {postureDiffReport, postureReport} from '../../src/reports/posture.js'
import {sloReport} from '../../src/reports/slo.js'
import {statusReport} from '../../src/reports/status.js'
import {uptimeReport} from '../../src/reports/uptime.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {insertIncident} from '../../src/store/incidents.js'
import {databaseStats} from '../../src/store/maintenance.js'
import {insertDelivery} from '../../src/store/outbox.js'
import {latestPosture, postureDiff} from '../../src/store/posture.js'
import {
  finishRun,
  lastResults,
  recentResults,
  resultById,
  resultCount,
  startRun,
  statusSince,
  type StoredResult,
  storeRun,
  upsertChecks,
} from '../../src/store/results.js'
import {addRaw, type Aggregate} from '../../src/store/rollups.js'
import {runCli, tmpDir} from '../helpers/cli.js'
import {
  insertOldResults,
  OLD_MIGRATIONS,
  oldAddRaw,
  oldLastResults,
  oldRecentResults,
  oldResultById,
  oldStatusSince,
} from './old-layout.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const T0 = Date.UTC(2026, 10, 17, 21, 3, 7)
const ROUNDS = 3 * 24 * 6 // three days, every 10 minutes
const CHECKS = [
  {id: 'api', kind: 'http', target: 'http://api.test/_ping', service: 'API'},
  {id: 'site', kind: 'http', target: 'https://www.nhs.uk/', service: 'Web'},
  {id: 'mx', kind: 'dns', target: 'nhs.example.test'},
  {id: 'cert', kind: 'tls', target: 'digital.nhs.uk:443'},
  {id: 'web', kind: 'web-security', target: 'https://www.nhs.uk/', service: 'Web'},
  {id: 'port', kind: 'tcp', target: 'smtp.test:25'},
]

/** A deterministic pseudo-random sequence. */
function rng(seed: number): () => number {
  let s = seed
  return () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
}

/** One result of each check per round, as the probes shape them (metrics, findings, details, float metrics). */
function roundResults(r: number, rand: () => number): CheckResult[] {
  const at = T0 + r * 10 * 60_000
  const base = (
    checkId: string,
    offset: number,
  ): Pick<CheckResult, 'checkId' | 'kind' | 'target' | 'startedAt' | 'attempts'> => {
    const c = CHECKS.find((x) => x.id === checkId)!
    return {checkId, kind: c.kind, target: c.target, startedAt: at + offset + Math.floor(rand() * 40), attempts: 1}
  }

  const ms = (lo: number, hi: number) => Math.round((lo + rand() * (hi - lo)) * 10) / 10
  const out: CheckResult[] = []
  // api: ok with the default HTTP metrics; an outage of 503s now and then; a retry sometimes.
  const down = r % 50 >= 45
  const apiTotal = ms(20, 300)
  out.push({
    ...base('api', 0),
    status: down ? 'crit' : 'ok',
    summary: down
      ? `HTTP 503 (expected 200-299); HTTP 503 in ${Math.round(apiTotal)} ms`
      : `HTTP 200 in ${Math.round(apiTotal) + (rand() < 0.3 ? 1 : 0)} ms`,
    durationMs: apiTotal,
    attempts: down && r % 2 === 0 ? 2 : 1,
    timings: {dnsMs: ms(0, 3), connectMs: ms(0, 5), ttfbMs: ms(5, apiTotal), totalMs: apiTotal},
    findings: [],
    metrics: {httpStatus: down ? 503 : 200, redirects: 0, bodyBytes: down ? 4 : 51},
  })
  // site: https with certificate metrics (tenths of a day) and the TLS version in details.
  const siteTotal = ms(40, 400)
  const notAfter = Math.floor((T0 + 200 * DAY) / 1000)
  out.push({
    ...base('site', 1000),
    status: 'ok',
    summary: `HTTP 200 in ${Math.round(siteTotal)} ms after 1 redirect`,
    durationMs: siteTotal,
    timings: {dnsMs: ms(0, 2), connectMs: ms(0, 4), tlsMs: ms(5, 20), ttfbMs: ms(10, siteTotal), totalMs: siteTotal},
    findings: [],
    metrics: {
      httpStatus: 200,
      redirects: 1,
      bodyBytes: 20,
      certNotAfter: notAfter,
      certDaysLeft: Math.floor(((notAfter * 1000 - at) / DAY) * 10) / 10,
    },
    details: {finalUrl: 'https://www.nhs.uk/home', tlsProtocol: 'TLSv1.3'},
  })
  // mx: a DNS lookup whose metric is a float with many decimals.
  const lookup = 1 + rand() * 5
  out.push({
    ...base('mx', 2000),
    status: 'ok',
    summary: 'MX nhs.example.test: 1 answer (mx1.nhs.example.test)',
    durationMs: Math.round(lookup * 10) / 10,
    timings: {dnsMs: Math.round(lookup * 10) / 10, totalMs: Math.round(lookup * 10) / 10},
    findings: [],
    metrics: {answers: 1, lookupMs: lookup},
  })
  // cert: a TLS check that starts warning as the certificate nears expiry.
  const days = 25 - r / 48
  const expiring: Finding[] =
    days < 21
      ? [{id: 'tls.cert.expiring', severity: 'warn', message: `certificate expires in ${Math.floor(days)} days`}]
      : []
  out.push({
    ...base('cert', 3000),
    status: expiring.length > 0 ? 'warn' : 'ok',
    summary: expiring.length > 0 ? expiring[0].message : 'TLSv1.3, certificate valid for 25 days',
    durationMs: ms(5, 30),
    timings: {connectMs: ms(0, 3), tlsMs: ms(4, 25), totalMs: 30},
    findings: expiring,
    metrics: {
      certDaysLeft: Math.round(days * 10) / 10,
      chainMinDaysLeft: Math.round(days * 10) / 10,
      certKeyBits: 2048,
    },
    details: {protocol: 'TLSv1.3', issuer: 'Test CA'},
  })
  // web: posture every hour; a finding appears on day two and is fixed on day three.
  if (r % 6 === 0) {
    const findings: Finding[] = [{id: 'web.csp.missing', severity: 'warn', message: 'no Content-Security-Policy'}]
    if (r > 144 && r < 288)
      findings.push({id: 'web.hsts.missing', severity: 'crit', message: 'no Strict-Transport-Security header'})
    const score = 100 - findings.length * 20
    out.push({
      ...base('web', 4000),
      status: findings.some((f) => f.severity === 'crit') ? 'crit' : 'warn',
      summary: `grade ${score >= 80 ? 'B' : 'C'} (${score}); ${findings.length} findings`,
      durationMs: ms(200, 600),
      timings: {totalMs: 400},
      findings,
      metrics: {critFindings: findings.filter((f) => f.severity === 'crit').length, warnFindings: 1},
      details: {
        grade: score >= 80 ? 'B' : 'C',
        score,
        tests: {csp: 'missing', hsts: r > 144 && r < 288 ? 'missing' : 'ok'},
      },
    })
  }

  // port: flaps between refused and ok; unknown once in a while.
  const st: Status = r % 7 === 3 ? 'crit' : r % 97 === 5 ? 'unknown' : 'ok'
  out.push({
    ...base('port', 5000),
    status: st,
    summary:
      st === 'crit'
        ? 'connection refused'
        : st === 'unknown'
          ? 'probe failed: EMFILE'
          : `connected in ${Math.round(ms(0, 4))} ms, banner "220 smtp.test ESMTP"`,
    durationMs: ms(0, 4),
    timings: {connectMs: ms(0, 4), totalMs: 4},
    findings: [],
    metrics: {},
    ...(st === 'ok' ? {details: {banner: '220 smtp.test ESMTP'}} : {}),
  })
  return out
}

/** A result without its id (ids change in the migration; what they point at must not). */
const noId = ({resultId: _, ...r}: StoredResult) => r
const noIds = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'resultId' ? undefined : v)))

describe('migration 7: a populated old database converts without loss', () => {
  const tmp = tmpDir('wk-migrate7-')
  const oldFile = path.join(tmp.dir, 'old.db')
  const nativeFile = path.join(tmp.dir, 'native.db')
  const before: {
    recent: Record<string, StoredResult[]>
    last: StoredResult[]
    since: Record<string, number | null>
    referenced: Map<number, StoredResult>
    raw: Aggregate[][]
    posture: unknown
    diffRun: unknown
    diffTs: unknown
    count: number
    verify: unknown
    tables: Record<string, unknown[]>
  } = {
    recent: {},
    last: [],
    since: {},
    referenced: new Map(),
    raw: [],
    posture: null,
    diffRun: null,
    diffTs: null,
    count: 0,
    verify: null,
    tables: {},
  }
  let runs: number[] = []
  const referencedIds: number[] = []
  let migrated: DB
  let native: DB
  const rawRanges: [number, number][] = [
    [T0, T0 + 3 * DAY],
    [T0 + 5 * 60_000, T0 + 47 * 60_000],
    [T0 + DAY + 17 * 60_000, T0 + 2 * DAY + 3 * 60_000],
  ]
  const unchanged = [
    'checks',
    'runs',
    'rollup_hourly',
    'rollup_daily',
    'outages',
    'rollup_cursor',
    'timeline_events',
    'notifications',
    'incidents',
  ]

  beforeAll(() => {
    // The old database, filled through the old SQL; the same results written natively beside it.
    const old = openDatabase(oldFile, {migrations: OLD_MIGRATIONS})
    native = openDatabase(nativeFile)
    expect(old.prepare('SELECT count(*) FROM schema_migrations WHERE version = 7').pluck().get()).toBe(0)
    expect(old.prepare("SELECT name FROM sqlite_schema WHERE name = 'results'").get()).toBeDefined()
    const rand = rng(7)
    const watchRun = startRun(old, 'watch', T0)
    expect(startRun(native, 'watch', T0)).toBe(watchRun)
    const oldRefs = upsertChecks(old, CHECKS, T0)
    const nativeRefs = upsertChecks(native, CHECKS, T0)
    let late: CheckResult | undefined
    for (let r = 0; r < ROUNDS; r++) {
      const results = roundResults(r, rand)
      if (r === 100) late = results.pop()
      if (r === 103 && late) results.push(late) // arrives after newer ones
      if (r % 3 === 0) {
        // `check run`: a run of its own.
        const run = startRun(old, 'check run', results[0].startedAt)
        const ids = insertOldResults(old, oldRefs, run, results)
        finishRun(old, run, results[0].startedAt + 5000)
        expect(
          storeRun(native, {
            source: 'check run',
            startedAt: results[0].startedAt,
            finishedAt: results[0].startedAt + 5000,
            checks: CHECKS,
            results,
          }),
        ).toBe(run)
        runs.push(run)
        if (r % 60 === 0) referencedIds.push(ids[0], ids.at(-1)!)
      } else {
        // `watch`: one long run, batches as the ResultWriter writes them.
        insertOldResults(old, oldRefs, watchRun, results)
        const w = new ResultWriter(native, nativeRefs, watchRun, {batchSize: 4})
        for (const x of results) w.add(x)
        w.flush()
      }
    }

    runs = runs.sort((a, b) => a - b)

    // What refers to result ids: monitor state and events, an incident's evidence, a pending notification.
    const [a, b, c] = referencedIds
    old
      .prepare(
        `INSERT INTO monitor_state (check_id, state, since, last_result_id, last_ts, updated_at) VALUES ('api', 'ok', ?, ?, ?, ?)`,
      )
      .run(T0, c, T0, T0)
    const ev = old.prepare(
      `INSERT INTO monitor_events (check_id, ts, kind, state, previous, result_id, message) VALUES ('api', ?, 'state', 'failing', 'ok', ?, 'x')`,
    )
    ev.run(T0, a)
    ev.run(T0 + 1, b)
    const incident = insertIncident(old, {title: 'API down', severity: 'SEV2', state: 'triage', openedAt: T0})
    const evidence = oldResultById(old, a)!
    appendEvents(old, incident, 'tester', T0, [
      {
        type: 'evidence_attached',
        occurredAt: evidence.ts,
        data: {
          kind: 'check_result',
          checkId: evidence.checkId,
          resultId: a,
          status: evidence.status,
          summary: evidence.summary,
          target: evidence.target,
        },
      },
    ])
    insertDelivery(old, {
      createdAt: T0,
      notifier: 'ops',
      provider: 'webhook',
      event: 'failing',
      checkId: 'api',
      subject: 'api',
      dedupKey: 'k',
      status: 'pending',
      message: 'api failing',
      body: JSON.stringify({text: 'api failing', resultId: b}),
      expiresAt: T0 + DAY,
    })

    // What the old readers show.
    for (const c of CHECKS) before.recent[c.id] = oldRecentResults(old, c.id, {limit: 100_000})
    before.last = oldLastResults(old)
    for (const r of before.last) before.since[r.checkId] = oldStatusSince(old, r.checkId, r.status)
    for (const id of [a, b, c]) before.referenced.set(id, oldResultById(old, id)!)
    before.raw = rawRanges.map(([from, to]) => {
      const m = new Map<number, Aggregate>()
      oldAddRaw(old, from, to, m)
      return [...m.entries()].sort((x, y) => x[0] - y[0]).map(([, v]) => v)
    })
    before.posture = noIds(latestPosture(old))
    before.diffRun = noIds(postureDiff(old, {runId: runs[Math.floor(runs.length / 2)]}))
    before.diffTs = noIds(postureDiff(old, {ts: T0 + DAY + HOUR}))
    before.verify = verifyIncident(old, incident)
    before.count = old.prepare('SELECT count(*) FROM results').pluck().get() as number
    for (const t of unchanged) before.tables[t] = old.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()
    old.close()

    migrated = openDatabase(oldFile)
  }, 120_000)

  afterAll(() => {
    migrated?.close()
    native?.close()
    tmp.cleanup()
  })

  it('is at the latest version with every result, and the tables it does not own untouched', () => {
    expect(migrated.pragma('user_version', {simple: true})).toBeGreaterThanOrEqual(7)
    expect(migrated.prepare("SELECT name FROM sqlite_schema WHERE name = 'results'").get()).toBeUndefined()
    expect(resultCount(migrated)).toBe(before.count)
    expect(resultCount(native)).toBe(before.count)
    // Rollups, outages and the cursor gain vantage_ref (0: none); nothing else changes in them.
    const rows = (t: string) =>
      (migrated.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all() as Record<string, unknown>[]).map(
        ({vantage_ref: v, ...r}) => {
          expect(v ?? 0).toBe(0)
          return r
        },
      )
    for (const t of unchanged) expect(rows(t), t).toEqual(before.tables[t])
    expect(migrated.pragma('foreign_key_check')).toEqual([])
    expect(migrated.pragma('integrity_check', {simple: true})).toBe('ok')
  })

  it('history, the last results and "since" read the same as before (ids aside)', () => {
    for (const c of CHECKS) {
      const after = recentResults(migrated, c.id, {limit: 100_000})
      expect(after.map(noId), c.id).toEqual(before.recent[c.id].map(noId))
      expect(recentResults(native, c.id, {limit: 100_000}).map(noId), c.id).toEqual(before.recent[c.id].map(noId))
      // Limits and windows cut at the same results.
      const since = T0 + DAY + 7 * 60_000
      expect(recentResults(migrated, c.id, {limit: 7, since}).map(noId)).toEqual(
        oldSlice(before.recent[c.id], since, 7),
      )
      // Ids stay ordered as time is, per check.
      const ids = after.map((r) => r.resultId)
      expect(new Set(ids).size).toBe(ids.length)
    }

    expect(lastResults(migrated).map(noId)).toEqual(before.last.map(noId))
    for (const r of lastResults(migrated))
      expect(statusSince(migrated, r.checkId, r.status), r.checkId).toBe(before.since[r.checkId])
  })

  it('every stored reference to a result still finds it: posture, monitor state and events, incident evidence, notifications', () => {
    for (const [oldId, r] of before.referenced) expect(noId(resultById(migrated, oldId)!)).toEqual(noId(r))
    const state = migrated
      .prepare("SELECT last_result_id FROM monitor_state WHERE check_id = 'api'")
      .pluck()
      .get() as number
    expect(noId(resultById(migrated, state)!)).toEqual(noId(before.referenced.get(referencedIds[2])!))
    const events = migrated.prepare('SELECT result_id FROM monitor_events ORDER BY id').pluck().all() as number[]
    expect(events.map((id) => noId(resultById(migrated, id)!))).toEqual(
      [referencedIds[0], referencedIds[1]].map((id) => noId(before.referenced.get(id)!)),
    )
    // The incident's timeline (hash chain untouched) verifies as it did, and its evidence id finds the result.
    expect(verifyIncident(migrated, 1)).toEqual(before.verify)
    const evidence = migrated
      .prepare("SELECT json_extract(data, '$.resultId') FROM timeline_events WHERE type = 'evidence_attached'")
      .pluck()
      .get() as number
    expect(noId(resultById(migrated, evidence)!)).toEqual(noId(before.referenced.get(referencedIds[0])!))
    for (const p of latestPosture(migrated)) {
      const r = resultById(migrated, p.resultId)!
      expect([r.checkId, r.ts, r.status]).toEqual([p.checkId, p.ts, p.status])
    }
  })

  it('posture, posture diff --since RUN and --since TIME give the same', () => {
    expect(noIds(latestPosture(migrated))).toEqual(before.posture)
    expect(noIds(postureDiff(migrated, {runId: runs[Math.floor(runs.length / 2)]}))).toEqual(before.diffRun)
    expect(noIds(postureDiff(migrated, {ts: T0 + DAY + HOUR}))).toEqual(before.diffTs)
    expect(before.diffTs).not.toEqual([])
  })

  it('raw aggregates for uptime and SLO edges are the same; the reports match a database written natively', () => {
    for (const [i, [from, to]] of rawRanges.entries()) {
      const m = new Map<number, Aggregate>()
      addRaw(migrated, from, to, m)
      expect([...m.entries()].sort((x, y) => x[0] - y[0]).map(([, v]) => v)).toEqual(before.raw[i])
    }

    const now = T0 + 3 * DAY
    const window = {since: T0 + 13 * 60_000, until: now - 7 * 60_000, label: 'test'}
    expect(uptimeReport(migrated, window)).toEqual(uptimeReport(native, window))
    const slo = {objective: 99.5, windowMs: 2 * DAY, until: now - 3 * 60_000}
    expect(sloReport(migrated, slo)).toEqual(sloReport(native, slo))
    // Monitor state, alerts and incidents come from tables the migration leaves as they are (the first test).
    const own = (x: unknown) =>
      JSON.parse(
        JSON.stringify(x, (k, v) =>
          ['resultId', 'lastAlert', 'state', 'stateSince', 'incident'].includes(k) ? undefined : v,
        ),
      )
    expect(own(statusReport(migrated, {now}))).toEqual(own(statusReport(native, {now})))
    expect(noIds(postureReport(migrated, {now}))).toEqual(noIds(postureReport(native, {now})))
    const run = runs[10]
    expect(noIds(postureDiffReport(migrated, {runId: run} as never, {now}))).toEqual(
      noIds(postureDiffReport(native, {runId: run} as never, {now})),
    )
  })

  it('db stats counts the same results and time span', () => {
    const s = databaseStats(migrated)
    expect(s.results.rows).toBe(before.count)
    const all = Object.values(before.recent).flat()
    expect(s.results.oldest).toBe(new Date(Math.min(...all.map((r) => r.ts))).toISOString())
    expect(s.results.newest).toBe(new Date(Math.max(...all.map((r) => r.ts))).toISOString())
  })

  it('the CLI shows the same history, status and reports on the migrated file as on the native one', async () => {
    const strip = (text: string) =>
      JSON.parse(text, (k, v) =>
        ['resultId', 'generatedAt', 'lastAlert', 'state', 'stateSince', 'incident', 'now'].includes(k) ? undefined : v,
      )
    for (const args of [
      ['history', 'api', '--limit', '500'],
      ['history', 'web'],
      ['report', 'uptime', '--since', new Date(T0).toISOString(), '--until', new Date(T0 + 3 * DAY).toISOString()],
      ['posture', 'diff', '--since', String(runs[5])],
      ['status'],
    ]) {
      const [a, b] = await Promise.all([
        runCli([...args, '--json', '--db', oldFile]),
        runCli([...args, '--json', '--db', nativeFile]),
      ])
      expect(a.code, a.stderr).toBe(b.code)
      expect(strip(a.stdout), args.join(' ')).toEqual(strip(b.stdout))
    }
  }, 60_000)
})

/** The old history cut the way recentResults cuts it: results at or after `since`, newest first, at most `limit`. */
function oldSlice(all: readonly StoredResult[], since: number, limit: number) {
  return all
    .filter((r) => r.ts >= since)
    .slice(0, limit)
    .map(noId)
}
