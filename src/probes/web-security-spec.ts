import type {OptionProblem, ProbeSpec} from './types.js'
import {GRADES} from './observatory-score.js'
import {TLS_POSTURE_OBJECT_SCHEMA} from './tls-posture-spec.js'

/**
 * What the target is. `page` (default) is a document a browser renders; `api` is a JSON/API endpoint, for
 * which the criteria that only protect a rendered document are not judged: CSP, framing (X-Frame-Options /
 * frame-ancestors), Referrer-Policy, Permissions-Policy, COOP and subresource integrity. HSTS, redirects,
 * X-Content-Type-Options, CORP, cookies, CORS, version leaks, security.txt and TLS still apply.
 */
export const PROFILES = ['page', 'api'] as const
export type Profile = (typeof PROFILES)[number]

export const DEFAULT_CORS_ORIGIN = 'https://cors-probe.watchkeeper.invalid'

/** The web-security probe's schema and validation (its run() is in web-security.ts). */
export const webSecuritySpec: ProbeSpec = {
  kind: 'web-security',
  description:
    'Security posture of an HTTPS origin: redirect, HSTS, CSP and headers, cookies, CORS, security.txt, optional TLS posture; graded as the MDN HTTP Observatory',
  targetSchema: {
    type: 'string',
    pattern: String.raw`^https://[^\s/]+(/\S*)?$`,
    description: 'https:// URL of the origin (a path is allowed; security.txt is read at the origin root)',
  },
  properties: {
    http_port: {
      type: 'integer',
      minimum: 1,
      maximum: 65_535,
      description: 'port of the plain-HTTP listener whose redirect to HTTPS is checked (default 80)',
    },
    redirect: {type: 'boolean', description: 'check the http:// → https:// redirect (default true)'},
    security_txt: {type: 'boolean', description: 'check /.well-known/security.txt (default true)'},
    cors_origin: {
      type: 'string',
      pattern: '^https?://',
      description: `Origin sent in the CORS preflight (default ${DEFAULT_CORS_ORIGIN})`,
    },
    max_body: {
      type: 'integer',
      minimum: 1024,
      maximum: 16 * 1024 * 1024,
      description: 'bytes of a response body read at most (default 1 MiB)',
    },
    csp_required: {
      type: 'boolean',
      description: 'a missing Content-Security-Policy is crit rather than warn (transactional services)',
    },
    profile: {
      enum: [...PROFILES],
      description:
        'page (default): a document a browser renders; api: a JSON/API endpoint, where CSP, X-Frame-Options/frame-ancestors, Referrer-Policy, Permissions-Policy, COOP and SRI are neither reported nor scored',
    },
    tls: {
      description: "also assess the TLS posture of the host (true, or the options of the tls probe's posture:)",
      anyOf: [{type: 'boolean'}, TLS_POSTURE_OBJECT_SCHEMA],
    },
    expect: {
      type: 'object',
      additionalProperties: false,
      description: 'what a responder expects; falling short is a crit finding (web.expectation.unmet)',
      properties: {
        min_grade: {enum: [...GRADES], description: 'lowest acceptable Observatory grade'},
        min_score: {type: 'integer', minimum: 0, maximum: 200, description: 'lowest acceptable Observatory score'},
      },
    },
  },
  validate(o) {
    const problems: OptionProblem[] = []
    if (typeof o.target === 'string') {
      try {
        const u = new URL(o.target)
        if (u.protocol !== 'https:') problems.push({path: ['target'], message: 'web-security needs an https:// URL'})
      } catch {
        problems.push({path: ['target'], message: `not a URL: ${o.target}`})
      }
    }

    if (o.profile === 'api' && o.csp_required === true)
      problems.push({
        path: ['csp_required'],
        message: 'csp_required does not apply with profile: api (no Content-Security-Policy is judged on an API)',
      })
    return problems
  },
}
