import {describe, expect, it} from 'vitest'

import {gradeForScore, type HeaderMap, observatory, parseCsp, scoreTests} from '../../src/probes/observatory-score.js'

const h = (o: Record<string, string | string[]>): HeaderMap =>
  new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]]))

function score(
  headers: Record<string, string | string[]>,
  extra: {body?: string; http?: 'redirect' | 'none' | 'missing'} = {},
) {
  const url = new URL('https://example.org/')
  const route = extra.http === 'missing' ? [new URL('http://example.org/')] : [new URL('http://example.org/'), url]
  return observatory({
    hostname: 'example.org',
    https: {verified: true, headers: h(headers), status: 200, url, body: extra.body ?? ''},
    http: extra.http === 'none' ? undefined : {route, verified: true},
    cookies: [],
  })
}

describe('Observatory scoring on known header sets', () => {
  it('maps scores to the grade chart', () => {
    expect([130, 100, 99, 90, 85, 80, 75, 70, 65, 60, 50, 45, 40, 30, 25, 24, 0, -10].map(gradeForScore)).toEqual([
      'A+',
      'A+',
      'A',
      'A',
      'A-',
      'B+',
      'B',
      'B',
      'B-',
      'C+',
      'C',
      'C-',
      'D+',
      'D',
      'D-',
      'F',
      'F',
      'F',
    ])
  })

  it('counts bonuses only when the score without them is at least 90', () => {
    expect(scoreTests([{modifier: -10}, {modifier: 5}])).toMatchObject({score: 95, uncurvedScore: 90, grade: 'A'})
    expect(scoreTests([{modifier: -15}, {modifier: 10}])).toMatchObject({score: 85, uncurvedScore: 85, grade: 'A-'})
  })

  it('scores a bare site (no security headers) 0/F: CSP -25, HSTS -20, XFO -20, XCTO -5, redirect -20', () => {
    const r = score({'content-type': 'text/html'}, {http: 'missing'})
    expect(r.tests.filter((t) => t.modifier !== 0).map((t) => [t.test, t.modifier])).toEqual([
      ['content-security-policy', -25],
      ['redirection', -20],
      ['strict-transport-security', -20],
      ['x-content-type-options', -5],
      ['x-frame-options', -20],
    ])
    expect(r).toMatchObject({score: 10, grade: 'F'})
  })

  it('scores the MDN-recommended header set above 100', () => {
    const r = score(
      {
        'content-type': 'text/html',
        'content-security-policy':
          "default-src 'none'; img-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
        'strict-transport-security': 'max-age=63072000',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'cross-origin-resource-policy': 'same-site',
      },
      {
        body: '<html><script src="https://cdn.other.net/x.js" integrity="sha384-abc" crossorigin="anonymous"></script></html>',
      },
    )
    // +10 CSP default-src none, +5 frame-ancestors, +5 referrer, +10 CORP, +5 SRI with external scripts.
    expect(r).toMatchObject({score: 135, grade: 'A+'})
  })

  it('handles the CSP rules the Observatory applies', () => {
    const unsafe = score({
      'content-type': 'text/html',
      'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'",
      'x-frame-options': 'DENY',
      'strict-transport-security': 'max-age=31536000',
      'x-content-type-options': 'nosniff',
    })
    expect(unsafe.tests.find((t) => t.test === 'content-security-policy')).toMatchObject({
      result: 'csp-implemented-with-unsafe-inline',
      modifier: -20,
    })
    const nonce = score({
      'content-type': 'text/html',
      'content-security-policy': "default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'; object-src 'none'",
    })
    expect(nonce.csp.result).toBe('csp-implemented-with-no-unsafe')
    const dynamicOnly = score({'content-type': 'text/html', 'content-security-policy': "script-src 'strict-dynamic'"})
    expect(dynamicOnly.csp.result).toBe('csp-header-invalid')
    const meta = score(
      {'content-type': 'text/html'},
      {body: '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'},
    )
    expect(meta.csp.result).toBe('csp-implemented-with-no-unsafe-default-src-none')
    expect(() => parseCsp(["default-src 'self'; default-src 'none'"])).toThrow(/duplicate/)
    const reportOnly = score({'content-type': 'text/html', 'content-security-policy-report-only': "default-src 'self'"})
    expect(reportOnly.csp.result).toBe('csp-not-implemented-but-reporting-enabled')
  })

  it('reads HSTS as the Observatory does: a comma is "set multiple times", under six months is -10', () => {
    expect(score({'strict-transport-security': 'max-age=31536000, includeSubDomains'}).hsts.result).toBe(
      'hsts-header-invalid',
    )
    expect(score({'strict-transport-security': 'max-age=15551999'}).hsts).toMatchObject({
      result: 'hsts-implemented-max-age-less-than-six-months',
      maxAge: 15_551_999,
    })
    expect(score({'strict-transport-security': 'max-age=15552000; includeSubDomains; preload'}).hsts).toMatchObject({
      result: 'hsts-implemented-max-age-at-least-six-months',
      includeSubDomains: true,
      preload: true,
    })
  })

  it('takes the last valid Referrer-Policy of a list', () => {
    expect(
      score({'referrer-policy': 'no-referrer, unsafe-url'}).tests.find((t) => t.test === 'referrer-policy')?.modifier,
    ).toBe(-5)
    expect(
      score({'referrer-policy': 'unsafe-url, bogus, same-origin'}).tests.find((t) => t.test === 'referrer-policy')
        ?.modifier,
    ).toBe(5)
  })
})
