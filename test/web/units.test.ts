import {describe, expect, it} from 'vitest'

import {badgeLabel, badgeSvg, formatPercent, uptimeColour, xmlEscape} from '../../src/web/badge.js'
import {serviceSlug, worstState} from '../../src/web/model.js'
import {RateLimiter} from '../../src/web/routes.js'
import {bearerMatches, safeJson} from '../../src/web/site.js'

describe('status page pieces', () => {
  it('formats availability rounded down, so a miss never shows as 100%', () => {
    expect(formatPercent(100)).toBe('100%')
    expect(formatPercent(99.999_96)).toBe('99.999%')
    expect(formatPercent(99.95)).toBe('99.95%')
    expect(formatPercent(95.8333)).toBe('95.83%')
    expect(formatPercent(0)).toBe('0.0%')
    expect(formatPercent(null)).toBe('no data')
    expect([uptimeColour(99.95), uptimeColour(99.5), uptimeColour(98), uptimeColour(null)]).toEqual([
      'ok',
      'degraded',
      'failing',
      'pending',
    ])
  })

  it('cuts badge names at 48 characters and escapes every string for XML, dropping characters XML forbids', () => {
    expect(badgeLabel('x'.repeat(60), '30d')).toBe(`${'x'.repeat(47)}… 30d`)
    expect(badgeLabel('short')).toBe('short')
    expect(xmlEscape(`a<b>&"'\u0001\u001B`)).toBe('a&lt;b&gt;&amp;&quot;&apos;')
    const svg = badgeSvg('<x>', '"y"', 'ok')
    expect(svg).toContain('aria-label="&lt;x&gt;: &quot;y&quot;"')
    expect(svg).not.toMatch(/<x>|"y"/)
  })

  it('writes JSON with <, >, & and line separators escaped', () => {
    const text = safeJson({t: '</script><b>&\u2028'})
    expect(text).not.toMatch(/[<>&\u2028]/)
    expect(JSON.parse(text)).toEqual({t: '</script><b>&\u2028'})
  })

  it('gives each client a token bucket: a burst, then the rate, Retry-After in whole seconds', () => {
    let now = 0
    const rl = new RateLimiter(2, 4, () => now, 3)
    expect([1, 2, 3, 4].map(() => rl.take('a'))).toEqual([0, 0, 0, 0])
    expect(rl.take('a')).toBe(1)
    expect(rl.take('b')).toBe(0)
    now += 500
    expect(rl.take('a')).toBe(0)
    expect(rl.take('a')).toBe(1)
    // Past maxClients the least recently seen client is forgotten (and starts with a full bucket again).
    rl.take('c')
    rl.take('d')
    expect([1, 2, 3, 4].map(() => rl.take('b'))).toEqual([0, 0, 0, 0])
  })

  it('matches the bearer token exactly', () => {
    expect(bearerMatches('Bearer abcdefabcdefabcdef', 'abcdefabcdefabcdef')).toBe(true)
    expect(bearerMatches('bearer abcdefabcdefabcdef', 'abcdefabcdefabcdef')).toBe(true)
    expect(bearerMatches('Bearer abcdefabcdefabcde', 'abcdefabcdefabcdef')).toBe(false)
    expect(bearerMatches('Basic abcdefabcdefabcdef', 'abcdefabcdefabcdef')).toBe(false)
    expect(bearerMatches(undefined, 'abcdefabcdefabcdef')).toBe(false)
    expect(bearerMatches('Bearer x', undefined)).toBe(false)
  })

  it('names services as path segments and orders states worst first', () => {
    expect(serviceSlug('NHS login')).toBe('nhs-login')
    expect(serviceSlug('../../etc/passwd')).toBe('etc-passwd')
    expect(serviceSlug('<>')).toBe('service')
    expect(worstState(['ok', 'maintenance', 'degraded'])).toBe('degraded')
    expect(worstState(['ok', 'pending'])).toBe('pending')
  })
})

describe('schemas/status-api.openapi.json', () => {
  it('is what scripts/status-api-openapi.mjs writes (regenerate: scripts/update-docs.sh)', async () => {
    const {execFileSync} = await import('node:child_process')
    const fs = await import('node:fs')
    const path = await import('node:path')
    const {ROOT} = await import('../helpers/cli.js')
    const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'status-api-openapi.mjs')], {
      encoding: 'utf8',
    })
    expect(fs.readFileSync(path.join(ROOT, 'schemas', 'status-api.openapi.json'), 'utf8')).toBe(out)
  })
})

describe('statusModel', () => {
  it('groups by service (checks without one last) and tier, lays maintenance over the state, and finds the next window within a week', async () => {
    const {freshDb, result, store} = await import('../store/seed.js')
    const {statusModel, checkDetail, modelCache} = await import('../../src/web/model.js')
    const f = freshDb('wk-status-model-')
    try {
      const now = Date.UTC(2026, 11, 1, 12, 0)
      store(f.db, {'a-ok': 'Zeta', 'b-down': 'Alpha', loose: undefined}, [
        result('a-ok', now - 60_000, 'ok', 50),
        result('b-down', now - 120_000, 'ok', 40),
        result('b-down', now - 60_000, 'crit', 0),
        result('loose', now - 60_000, 'warn', 70),
      ])
      const windows = [
        {
          name: 'now',
          checks: ['a-*'],
          tags: [],
          timezone: 'Europe/London',
          once: {start: now - 1000, end: now + 3_600_000},
        },
        {
          name: 'later',
          checks: ['b-down'],
          tags: [],
          timezone: 'Europe/London',
          recurring: {startMinute: 22 * 60, durationMs: 3_600_000, days: null},
        },
        {
          name: 'far',
          checks: ['loose'],
          tags: [],
          timezone: 'Europe/London',
          once: {start: now + 30 * 86_400_000, end: now + 31 * 86_400_000},
        },
      ]
      const m = statusModel(f.db, {now, maintenance: {windows, tags: new Map()}})
      expect(m.services.map((s) => [s.name, s.slug, s.state])).toEqual([
        ['Alpha', 'alpha', 'failing'],
        ['Zeta', 'zeta', 'maintenance'],
        ['Other checks', 'other', 'degraded'],
      ])
      expect(m.state).toBe('failing')
      expect(m.summary).toMatchObject({checks: 3, failing: 1, maintenance: 1, degraded: 1})
      const a = m.services[1].tiers[0].checks[0]
      expect(a).toMatchObject({
        id: 'a-ok',
        state: 'maintenance',
        watchState: 'ok',
        maintenance: {window: 'now', until: new Date(now + 3_600_000).toISOString()},
      })
      expect(m.maintenance).toEqual([
        {name: 'now', until: new Date(now + 3_600_000).toISOString(), next: null, checks: ['a-ok']},
        {name: 'later', until: null, next: new Date(Date.UTC(2026, 11, 1, 22, 0)).toISOString(), checks: ['b-down']},
      ])
      const b = m.services[0].tiers[0].checks[0]
      expect(b).toMatchObject({
        state: 'failing',
        since: new Date(now - 60_000).toISOString(),
        uptime: {'24h': 50, '7d': 50, '30d': 50},
      })
      const d = checkDetail(f.db, m, 'b-down', now)!
      expect(d.outages).toEqual([
        {startedAt: new Date(now - 60_000).toISOString(), endedAt: null, durationMs: 60_000, downResults: 1},
      ])
      // The last bar is the hour now running (12:00), empty; the results are in 11:00.
      expect(d.hourly.at(-1)).toMatchObject({start: new Date(now).toISOString(), up: 0, availability: null})
      expect(d.hourly.at(-2)).toMatchObject({up: 1, down: 1, availability: 50})
      expect(d.daily.at(-1)).toMatchObject({up: 1, down: 1, availability: 50})
      expect(checkDetail(f.db, m, 'nope', now)).toBeUndefined()
      // With the cache of finished hours, a rebuild gives the same figures, and a result in the running hour counts at once.
      const cache = modelCache()
      const cold = statusModel(f.db, {now, cache})
      expect(statusModel(f.db, {now, cache})).toEqual(cold)
      expect(cache.last.byCheck.size).toBe(3)
      expect(cache.hours?.from).toBe(now - 23 * 3_600_000)
      store(f.db, {'a-ok': 'Zeta'}, [result('a-ok', now + 60_000, 'ok', 5000)])
      const later = statusModel(f.db, {now: now + 120_000, cache})
      expect(later.services[1].tiers[0].checks[0].latency?.p95Ms).toBeGreaterThan(4000)
      expect(statusModel(f.db, {now: now + 120_000})).toEqual(later)
    } finally {
      f.cleanup()
    }
  })

  it('gives the same model from its cache as without one, as results arrive (late ones too) and hours and days roll over', async () => {
    const {freshDb, result, store, HOUR, DAY} = await import('../store/seed.js')
    const {statusModel, modelCache} = await import('../../src/web/model.js')
    const f = freshDb('wk-status-cache-')
    try {
      const now = Date.UTC(2026, 2, 28, 23, 30) // the evening before the clocks go forward in London
      const checks = {web: 'Web', api: 'Web', dns: 'Names'}
      const past = []
      for (let t = now - 40 * DAY; t < now; t += 5 * HOUR + 7 * 60_000) {
        past.push(
          result('web', t, t % 7 === 0 ? 'crit' : 'ok', 40 + (t % 300)),
          result('api', t + 1000, t % 5 === 0 ? 'warn' : 'ok', 90 + (t % 50)),
        )
      }

      past.push(result('dns', now - 2 * HOUR, 'ok', 8))
      store(f.db, checks, past)
      const cache = modelCache()
      const same = (at: number) => {
        const kept = statusModel(f.db, {now: at, cache})
        expect(kept, new Date(at).toISOString()).toEqual(statusModel(f.db, {now: at}))
        return kept
      }

      same(now)
      expect(cache.hours?.byRef.size).toBe(3)
      // dns has results only today, which is read live.
      expect(cache.days?.d30.size).toBe(2)
      // A result in the running hour, and one that lands late for the hour (and day) that just closed.
      store(f.db, checks, [result('web', now + 60_000, 'ok', 4000)])
      const late = same(now + 31 * 60_000)
      store(f.db, checks, [result('api', now + 29 * 60_000, 'crit', 0)])
      const after = same(now + 32 * 60_000)
      expect(after.services.find((s) => s.name === 'Web')?.uptime['24h']).toBeLessThan(
        late.services.find((s) => s.name === 'Web')?.uptime['24h'] ?? 0,
      )
      // Hours later (across the change to BST) and days later, with new results each time.
      for (const at of [now + 3 * HOUR, now + 26 * HOUR, now + 8 * DAY]) {
        store(f.db, checks, [result('dns', at - 1000, 'crit', 0)])
        const m = same(at)
        expect(m.services.find((s) => s.name === 'Names')?.tiers[0].checks[0]).toMatchObject({
          status: 'crit',
          lastRun: new Date(at - 1000).toISOString(),
        })
      }
    } finally {
      f.cleanup()
    }
  })
})
