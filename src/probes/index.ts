import type {Probe} from './types.js'
import {dnsProbe} from './dns.js'
import {emailSecurityProbe} from './email-security.js'
import {httpProbe} from './http.js'
import {tcpProbe} from './tcp.js'
import {tlsProbe} from './tls.js'
import {webSecurityProbe} from './web-security.js'

/** Every kind of check, by kind, with run(); the same kinds as PROBE_SPECS (probes/specs.ts), in the same order. */
export const PROBES: ReadonlyMap<string, Probe> = new Map(
  [httpProbe, tcpProbe, tlsProbe, dnsProbe, webSecurityProbe, emailSecurityProbe].map((p) => [p.kind, p]),
)

export function probeFor(kind: string): Probe | undefined {
  return PROBES.get(kind)
}
