import dns from 'node:dns'

import type {NetOptions} from './types.js'
import {errorField, errorMessage} from './errors.js'
import {makeResolver} from './net.js'

/** An answer: records, "no such data" (void: NXDOMAIN or NODATA), or a failure with a reason. */
export interface DnsAnswer<T> {
  records: T[]
  /** True when the name or type does not exist (counts as a void lookup in SPF). */
  void: boolean
  /** True when the name itself does not exist (NXDOMAIN), not merely this record type. */
  nxdomain?: boolean
  /** Set when the lookup failed: SERVFAIL, refused, time-out, malformed answer. */
  error?: string
}

const VOID_CODES = new Set(['ENODATA', 'ENOTFOUND', 'NOTFOUND', 'ENONAME'])

function reason(code: string | undefined, message: string): string {
  switch (code) {
    case 'ESERVFAIL': {
      return 'SERVFAIL'
    }

    case 'EREFUSED': {
      return 'REFUSED'
    }

    case 'ETIMEOUT': {
      return 'timed out'
    }

    case 'EBADRESP': {
      return 'malformed answer'
    }

    case 'ECONNREFUSED': {
      return 'resolver refused the connection'
    }

    case 'ECANCELLED': {
      return 'cancelled (check timed out)'
    }

    default: {
      return code ? `${code}: ${message}` : message
    }
  }
}

/**
 * DNS lookups for posture probes against the check's resolver (or the system's), each bounded by a
 * per-query time-out and by the check's signal. Never throws: failures come back as `error`.
 */
export class PostureDns {
  private readonly resolver: dns.promises.Resolver
  queries = 0

  constructor(
    netOpts: NetOptions,
    private readonly signal: AbortSignal,
    perQueryMs: number,
  ) {
    const timeout = Math.round(Math.max(200, Math.min(perQueryMs, 5000)))
    this.resolver = makeResolver(netOpts.resolver, timeout) ?? new dns.promises.Resolver({timeout, tries: 2})
    signal.addEventListener('abort', () => this.resolver.cancel(), {once: true})
  }

  private async ask<T>(fn: () => Promise<T[]>): Promise<DnsAnswer<T>> {
    if (this.signal.aborted) return {records: [], void: false, error: 'cancelled (check timed out)'}
    this.queries++
    try {
      const records = await fn()
      return {records, void: records.length === 0}
    } catch (error) {
      const code = errorField(error, 'code')
      if (code && VOID_CODES.has(code))
        return {records: [], void: true, ...(code === 'ENOTFOUND' ? {nxdomain: true} : {})}
      return {records: [], void: false, error: reason(code, errorMessage(error))}
    }
  }

  /** TXT records, each record's strings joined. */
  txt(name: string): Promise<DnsAnswer<string>> {
    return this.ask(async () => (await this.resolver.resolveTxt(name)).map((chunks) => chunks.join('')))
  }

  mx(name: string): Promise<DnsAnswer<dns.MxRecord>> {
    return this.ask(() => this.resolver.resolveMx(name))
  }

  caa(name: string): Promise<DnsAnswer<dns.CaaRecord>> {
    return this.ask(() => this.resolver.resolveCaa(name))
  }

  /** A then AAAA: the name has an address when either has one. */
  async addresses(name: string): Promise<DnsAnswer<string>> {
    const v4 = await this.ask(() => this.resolver.resolve4(name))
    if (v4.records.length > 0) return v4
    const v6 = await this.ask(() => this.resolver.resolve6(name))
    if (v6.records.length > 0) return v6
    const error = v4.error ?? v6.error
    return {records: [], void: !error, ...(error ? {error} : {})}
  }
}
