import {describe, expect, it} from 'vitest'

import {badgeLabel, badgeSvg, formatPercent, uptimeColour, xmlEscape} from '../../src/web/badge.js'
import {RateLimiter} from '../../src/web/routes.js'
import {bearerMatches, safeJson} from '../../src/web/site.js'
import {serviceSlug, worstState} from '../../src/web/model.js'

describe('status page pieces', () => {
  it('formats availability rounded down, so a miss never shows as 100%', () => {
    expect(formatPercent(100)).toBe('100%')
    expect(formatPercent(99.99996)).toBe('99.999%')
    expect(formatPercent(99.95)).toBe('99.95%')
    expect(formatPercent(95.8333)).toBe('95.83%')
    expect(formatPercent(0)).toBe('0.0%')
    expect(formatPercent(null)).toBe('no data')
    expect([uptimeColour(99.95), uptimeColour(99.5), uptimeColour(98), uptimeColour(null)]).toEqual(['ok', 'degraded', 'failing', 'pending'])
  })

  it('cuts badge names at 48 characters and escapes every string for XML, dropping characters XML forbids', () => {
    expect(badgeLabel('x'.repeat(60), '30d')).toBe(`${'x'.repeat(47)}… 30d`)
    expect(badgeLabel('short')).toBe('short')
    expect(xmlEscape(`a<b>&"'\u0001\u001b`)).toBe('a&lt;b&gt;&amp;&quot;&apos;')
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
    const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'status-api-openapi.mjs')], {encoding: 'utf8'})
    expect(fs.readFileSync(path.join(ROOT, 'schemas', 'status-api.openapi.json'), 'utf8')).toBe(out)
  })
})
