import dns from 'node:dns'
import net from 'node:net'

import type {NetOptions, ResolveRule} from './types.js'
import {splitHostPort} from './address.js'
import {errorField} from './errors.js'

export {parseResolveRule, splitHostPort} from './address.js'

export interface ResolvedAddress {
  address: string
  family: 4 | 6
  /** Time spent on the lookup; 0 for literal addresses and overrides. */
  dnsMs: number
  /** True when a `resolve:` rule supplied the address. */
  overridden: boolean
}

export function findOverride(rules: readonly ResolveRule[], host: string, port: number): ResolveRule | undefined {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  return rules.find((r) => r.host === h && r.port === port)
}

/** A dns.promises.Resolver using the configured server, or undefined for the system resolver. */
export function makeResolver(server: string | undefined, timeoutMs: number): dns.promises.Resolver | undefined {
  if (!server) return undefined
  const resolver = new dns.promises.Resolver({timeout: Math.max(100, Math.min(timeoutMs, 5000)), tries: 2})
  const hp = splitHostPort(server, 53)
  resolver.setServers([hp ? (net.isIPv6(hp.host) ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`) : server])
  return resolver
}

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'))
    signal.addEventListener('abort', onAbort, {once: true})
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Resolves host:port to an address: a `resolve:` override first, then a literal IP, then the configured
 * resolver (A, then AAAA) or the system's getaddrinfo.
 */
export async function resolveAddress(
  host: string,
  port: number,
  opts: NetOptions,
  signal: AbortSignal,
  now: () => number = performance.now.bind(performance),
): Promise<ResolvedAddress> {
  const rule = findOverride(opts.resolve, host, port)
  if (rule) return {address: rule.address, family: net.isIPv6(rule.address) ? 6 : 4, dnsMs: 0, overridden: true}
  const bare = host.replace(/^\[(.*)\]$/, '$1')
  const literal = net.isIP(bare)
  if (literal) return {address: bare, family: literal as 4 | 6, dnsMs: 0, overridden: false}
  const started = now()
  // The instant is taken as the lookup settles, before any other await.
  const stamped = <T>(p: Promise<T>) =>
    abortable(
      p.then((v) => [v, now()] as const),
      signal,
    )
  const resolver = makeResolver(opts.resolver, 5000)
  try {
    if (resolver) {
      try {
        const [v4, at] = await stamped(resolver.resolve4(bare))
        if (v4.length > 0) return {address: v4[0], family: 4, dnsMs: at - started, overridden: false}
      } catch (error) {
        if (signal.aborted) throw error
      }

      const [v6, at] = await stamped(resolver.resolve6(bare))
      if (v6.length === 0) throw Object.assign(new Error(`no address for ${bare}`), {code: 'ENOTFOUND'})
      return {address: v6[0], family: 6, dnsMs: at - started, overridden: false}
    }

    const [r, at] = await stamped(dns.promises.lookup(bare))
    return {address: r.address, family: r.family as 4 | 6, dnsMs: at - started, overridden: false}
  } finally {
    resolver?.cancel()
  }
}

const DNS_WORDS: Record<string, string> = {
  ENOTFOUND: 'name not found',
  ENODATA: 'no address records',
  ESERVFAIL: 'resolver failure (SERVFAIL)',
  EAI_AGAIN: 'temporary resolver failure',
  ENONAME: 'name not found',
}

/** One line for a network error: `ECONNREFUSED`, DNS failures, resets, timeouts, TLS errors. */
export function describeNetError(error: unknown, what = 'connection'): string {
  const e = error as {code?: string; message?: string; name?: string; cause?: unknown}
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `${what} timed out`
  const code = e?.code ?? (e?.cause as {code?: string} | undefined)?.code
  const msg = e?.message ?? String(error)
  switch (code) {
    case 'ECONNREFUSED': {
      return `${what} refused`
    }

    case 'ECONNRESET': {
      return `${what} reset by peer`
    }

    case 'ENOTFOUND':
    case 'ENODATA':
    case 'ESERVFAIL':
    case 'EAI_AGAIN':
    case 'ENONAME': {
      const host = errorField(error, 'hostname')
      return host
        ? `DNS lookup failed (${code}): ${DNS_WORDS[code] ?? 'no address'} for ${host}`
        : `DNS lookup failed (${code}): ${msg.replace(/^.*?:\s*/, '')}`
    }

    case 'EHOSTUNREACH':
    case 'ENETUNREACH': {
      return `host unreachable (${code})`
    }

    case 'ETIMEDOUT':
    case 'ETIMEOUT': {
      return `${what} timed out (${code})`
    }

    default: {
      return code ? `${msg} (${code})` : msg
    }
  }
}
