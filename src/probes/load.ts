import type {Probe} from './types.js'

/**
 * Each kind's probe module, loaded on its first attempt: a run of http checks loads http.ts and undici, not
 * the TLS, DNS and posture probes as well. The same kinds as PROBES (probes/index.ts) and PROBE_SPECS.
 */
const LOADERS: ReadonlyMap<string, () => Promise<Probe>> = new Map([
  ['dns', async () => (await import('./dns.js')).dnsProbe],
  ['email-security', async () => (await import('./email-security.js')).emailSecurityProbe],
  ['http', async () => (await import('./http.js')).httpProbe],
  ['tcp', async () => (await import('./tcp.js')).tcpProbe],
  ['tls', async () => (await import('./tls.js')).tlsProbe],
  ['web-security', async () => (await import('./web-security.js')).webSecurityProbe],
])

const loaded = new Map<string, Probe>()

/** The kinds that have a loader, in PROBES' order. */
export const PROBE_KINDS: readonly string[] = [...LOADERS.keys()]

/** The probe of `kind`, loading its module once; undefined for a kind with no probe. */
export async function loadProbe(kind: string): Promise<Probe | undefined> {
  const known = loaded.get(kind)
  if (known) return known
  const load = LOADERS.get(kind)
  if (!load) return undefined
  const probe = await load()
  loaded.set(kind, probe)
  return probe
}
