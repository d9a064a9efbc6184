import type {ProbeSpec} from './types.js'
import {dnsSpec} from './dns-spec.js'
import {emailSecuritySpec} from './email-security-spec.js'
import {httpSpec} from './http-spec.js'
import {tcpSpec} from './tcp-spec.js'
import {tlsSpec} from './tls-spec.js'
import {webSecuritySpec} from './web-security-spec.js'

/**
 * Every kind of check's schema and validation, by kind, without run(): what listing, validating and the
 * catalogue schema need, loading no network module. probes/index.ts has the same kinds with run().
 */
export const PROBE_SPECS: ReadonlyMap<string, ProbeSpec> = new Map(
  [httpSpec, tcpSpec, tlsSpec, dnsSpec, webSecuritySpec, emailSecuritySpec].map((p) => [p.kind, p]),
)

export function probeSpecFor(kind: string): ProbeSpec | undefined {
  return PROBE_SPECS.get(kind)
}
