import type {OptionProblem, ProbeSpec} from './types.js'
import {splitHostPort} from './address.js'
import {TLS_POSTURE_PROPERTIES} from './tls-posture-spec.js'

export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const
export type TlsVersion = (typeof TLS_VERSIONS)[number]
export const DEFAULT_EXPIRY = {warn: 30, crit: 14}
export const DEFAULT_MIN_PROTOCOL: TlsVersion = 'TLSv1.2'
export interface TlsBasicOptions {
  servername?: string
  expiry?: {warn?: number; crit?: number}
  min_protocol?: TlsVersion
}

/** The tls probe's schema and validation (its run() is in tls.ts). */
export const tlsSpec: ProbeSpec = {
  kind: 'tls',
  description: 'TLS handshake: certificate expiry, chain trust, host name, protocol floor, cipher, key type and size',
  targetSchema: {
    type: 'string',
    pattern: String.raw`^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$`,
    description: 'host or host:port (default port 443), e.g. www.nhs.uk:443',
  },
  properties: {
    servername: {
      type: 'string',
      pattern: '^[A-Za-z0-9._-]+$',
      description: 'SNI name to send and check the certificate against (default the target host)',
    },
    expiry: {
      type: 'object',
      properties: {
        warn: {
          type: 'integer',
          minimum: 0,
          maximum: 3650,
          description: `warn when the certificate expires within this many days (default ${DEFAULT_EXPIRY.warn})`,
        },
        crit: {
          type: 'integer',
          minimum: 0,
          maximum: 3650,
          description: `crit when the certificate expires within this many days (default ${DEFAULT_EXPIRY.crit})`,
        },
      },
      additionalProperties: false,
      description: 'days-to-expiry thresholds of the leaf certificate',
    },
    min_protocol: {
      enum: [...TLS_VERSIONS],
      description: `lowest acceptable negotiated protocol (default ${DEFAULT_MIN_PROTOCOL})`,
    },
    ...TLS_POSTURE_PROPERTIES,
  },
  validate(options): OptionProblem[] {
    const o = options as TlsBasicOptions
    const problems: OptionProblem[] = []
    if (!splitHostPort(String(options.target), 443))
      problems.push({path: ['target'], message: 'expected host or host:port with a port from 1 to 65535'})
    const warn = o.expiry?.warn ?? DEFAULT_EXPIRY.warn
    const crit = o.expiry?.crit ?? DEFAULT_EXPIRY.crit
    if (crit > warn)
      problems.push({
        path: ['expiry', o.expiry?.crit === undefined ? 'warn' : 'crit'],
        message: `crit (${crit} days) is above warn (${warn} days)`,
      })
    return problems
  },
}
