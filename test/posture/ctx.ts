import type {ProbeContext, ResolveRule} from '../../src/probes/types.js'
import {parseResolveRule} from '../../src/probes/net.js'
import {systemClock} from '../../src/types.js'

/** A probe context for posture tests: extra CA, curl-style resolve rules, optional DNS server. */
export function probeCtx(
  opts: {ca?: string; resolve?: string[]; resolver?: string; timeoutMs?: number; now?: number} = {},
): ProbeContext {
  const timeoutMs = opts.timeoutMs ?? 8000
  const rules = (opts.resolve ?? []).map((r) => parseResolveRule(r)).filter((r): r is ResolveRule => Boolean(r))
  return {
    clock: opts.now === undefined ? systemClock : {now: () => opts.now as number},
    signal: AbortSignal.timeout(timeoutMs),
    timeoutMs,
    net: {ca: opts.ca, resolve: rules, resolver: opts.resolver},
  }
}

export const ids = (o: {findings: {id: string}[]}) => o.findings.map((f) => f.id)
