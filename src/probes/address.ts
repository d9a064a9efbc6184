import net from 'node:net'

import type {ResolveRule} from './types.js'

// Address syntax shared by validation and the network code (no resolver here, so the catalogue can load it).

/** Parses `host:port:address` (address may be `[v6]`). */
export function parseResolveRule(text: string): ResolveRule | undefined {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5}):(\[[^\]]+\]|.+)$/.exec(text)
  if (!m) return undefined
  const unbracket = (s: string) => s.replace(/^\[(.*)\]$/, '$1')
  const port = Number(m[2])
  const address = unbracket(m[3])
  if (port < 1 || port > 65_535 || net.isIP(address) === 0) return undefined
  return {host: unbracket(m[1]).toLowerCase(), port, address}
}

/** Splits `host:port` or `[v6]:port` (port optional: `fallback`). */
export function splitHostPort(text: string, fallbackPort?: number): {host: string; port: number} | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:\s/]+))(?::(\d{1,5}))?$/.exec(text)
  if (!m) return undefined
  const port = m[3] === undefined ? fallbackPort : Number(m[3])
  if (port === undefined || port < 1 || port > 65_535) return undefined
  return {host: m[1] ?? m[2], port}
}
