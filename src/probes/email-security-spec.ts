import type {ProbeSpec} from './types.js'

export const DOMAIN = String.raw`^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}\.?$`

/** The email-security probe's schema (its run() is in email-security.ts). */
export const emailSecuritySpec: ProbeSpec = {
  kind: 'email-security',
  description:
    'Mail security posture of a domain: MX, SPF, DMARC, MTA-STS (record and policy), TLS-RPT, DKIM selectors, CAA, optional STARTTLS on each MX',
  targetSchema: {type: 'string', pattern: DOMAIN, description: 'a mail domain, e.g. nhs.net'},
  properties: {
    dkim_selectors: {
      type: 'array',
      items: {type: 'string', pattern: '^[A-Za-z0-9_.-]+$', description: 'a DKIM selector'},
      uniqueItems: true,
      maxItems: 20,
      description: 'DKIM selectors to check (they cannot be listed from DNS), e.g. [selector1, selector2]',
    },
    starttls: {
      type: 'boolean',
      description:
        'connect to each MX host (at most 5) and check STARTTLS; unreachable port 25 is inconclusive, not a failure (default false)',
    },
    smtp_port: {
      type: 'integer',
      minimum: 1,
      maximum: 65_535,
      description: 'SMTP port for the STARTTLS check (default 25)',
    },
    mta_sts: {type: 'boolean', description: 'check MTA-STS record and policy (default true)'},
    mta_sts_port: {
      type: 'integer',
      minimum: 1,
      maximum: 65_535,
      description: 'HTTPS port of mta-sts.<domain> (default 443; other values for test and staging set-ups)',
    },
    caa: {type: 'boolean', description: 'check CAA records (default true)'},
    expect: {
      type: 'object',
      additionalProperties: false,
      description: 'what a responder expects; a weaker value is a crit finding (email.expectation.unmet)',
      properties: {
        dmarc_policy: {enum: ['none', 'quarantine', 'reject'], description: 'weakest acceptable DMARC p='},
        dmarc_subdomain_policy: {
          enum: ['none', 'quarantine', 'reject'],
          description: 'weakest acceptable DMARC sp= (p= when sp is absent)',
        },
        spf_all: {enum: ['-all', '~all'], description: 'weakest acceptable SPF all term (-all is stricter than ~all)'},
        mta_sts_mode: {enum: ['enforce', 'testing'], description: 'weakest acceptable MTA-STS mode'},
      },
    },
  },
}
