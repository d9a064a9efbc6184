import type {JsonSchema} from './types.js'

// The schema and options of the TLS posture assessment (tls-posture.ts), shared by the tls and web-security specs.

export interface TlsPostureOptions {
  /** Probe TLS 1.0–1.3 (default true). */
  protocols?: boolean
  /** Probe weak cipher families (default true). */
  ciphers?: boolean
  /** Warn when a certificate expires within this many days (default 30). */
  expiry_warn_days?: number
  /** Crit when a certificate expires within this many days (default 14). */
  expiry_crit_days?: number
  /** Warn when the leaf's total validity exceeds this many days (default: the CA/B Forum maximum for its issue date). A public leaf over that maximum is crit regardless. */
  max_lifetime_days?: number
}

const postureObject: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    protocols: {type: 'boolean', description: 'probe which of TLS 1.0, 1.1, 1.2, 1.3 are accepted (default true)'},
    ciphers: {
      type: 'boolean',
      description: 'probe weak cipher families: NULL, anonymous, 3DES, RC4, CBC-SHA1, static RSA (default true)',
    },
    expiry_warn_days: {
      type: 'integer',
      minimum: 0,
      maximum: 3650,
      description: 'warn when any presented certificate expires within this many days (default 30)',
    },
    expiry_crit_days: {
      type: 'integer',
      minimum: 0,
      maximum: 3650,
      description: 'crit when any presented certificate expires within this many days (default 14)',
    },
    max_lifetime_days: {
      type: 'integer',
      minimum: 1,
      maximum: 36_500,
      description:
        'warn when the leaf certificate is valid for longer than this (default: the CA/Browser Forum maximum for its issue date: 398 days before 2026-03-15, then 200, 100 from 2027-03-15, 47 from 2029-03-15); a leaf chaining to a public root over that line is crit regardless',
    },
  },
}

/** JSON Schema of the `posture` key; the tls probe spreads this into its properties. */
export const TLS_POSTURE_PROPERTIES: Record<string, JsonSchema> = {
  posture: {
    description:
      'also assess TLS posture: accepted protocol versions, weak cipher families, key sizes, SHA-1 signatures, chain expiry, lifetime, OCSP stapling (true, or an object of options)',
    anyOf: [{type: 'boolean'}, postureObject],
  },
}

export const TLS_POSTURE_OBJECT_SCHEMA = postureObject

/** The posture options of a check (`posture: true | {...}` under `key`), or undefined when not asked for. */
export function tlsPostureOptions(options: Record<string, unknown>, key = 'posture'): TlsPostureOptions | undefined {
  const v = options[key]
  if (v === true) return {}
  if (v && typeof v === 'object') return v as TlsPostureOptions
  return undefined
}
