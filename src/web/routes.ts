import type http from 'node:http'

import type {Route} from '../metrics/server.js'
import {bearerMatches, CONTENT, etagOf, type SiteResponse, type StatusSite} from './site.js'

/** Token buckets per client address: `rate` tokens a second, up to `burst`; the oldest clients are forgotten past `maxClients`. */
export class RateLimiter {
  private readonly buckets = new Map<string, {tokens: number; at: number}>()

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxClients = 10_000,
  ) {}

  /** 0 when the request may go ahead, else the seconds until a token is there. */
  take(client: string): number {
    const now = this.now()
    let b = this.buckets.get(client)
    if (b) this.buckets.delete(client)
    else {
      b = {tokens: this.burst, at: now}
      if (this.buckets.size >= this.maxClients) {
        const oldest = this.buckets.keys().next()
        if (!oldest.done) this.buckets.delete(oldest.value)
      }
    }

    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate)
    b.at = now
    this.buckets.set(client, b)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }

    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate))
  }
}

export interface StatusRouteOptions {
  /** The bearer token for incident details, from the environment. */
  token?: string
  /** Requests a second per client address, and the burst allowed. */
  rate: number
  burst: number
  now?: () => number
}

/** Longest request target accepted; status paths are short. */
export const MAX_URL = 2048

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
}

function send(req: http.IncomingMessage, res: http.ServerResponse, r: SiteResponse): void {
  const etag = (r.etag ??= etagOf(r.body))
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'content-type': r.type,
    etag,
    'cache-control': r.maxAge > 0 ? `${r.public ? 'public' : 'private'}, max-age=${r.maxAge}` : 'no-store',
    ...(r.public ? {'access-control-allow-origin': '*'} : {}),
    ...r.headers,
  }
  if (r.status === 200 && req.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) {
    res.writeHead(304, headers).end()
    return
  }

  res.writeHead(r.status, {...headers, 'content-length': String(Buffer.byteLength(r.body))}).end(r.body)
}

/** The status pages, badges and read API as routes on watch's listener: GET and HEAD only, rate limited, bounded requests. */
export function statusRoutes(site: StatusSite, opts: StatusRouteOptions): Route[] {
  const limiter = new RateLimiter(opts.rate, opts.burst, opts.now)
  const handle = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const text = (status: number, body: string, extra: Record<string, string> = {}) =>
      void res
        .writeHead(status, {...SECURITY_HEADERS, 'content-type': CONTENT.text, 'cache-control': 'no-store', ...extra})
        .end(body)
    const wait = limiter.take(req.socket.remoteAddress ?? 'unknown')
    if (wait > 0) return text(429, 'too many requests\n', {'retry-after': String(wait)})
    if ((req.url ?? '').length > MAX_URL) return text(414, 'request target too long\n')
    // Nothing here takes a body; one is refused rather than read.
    if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'])
      return text(413, 'no request body is accepted\n', {connection: 'close'})
    send(req, res, site.answer(url.pathname, bearerMatches(req.headers.authorization, opts.token)))
  }

  return ['/', '/index.html', '/checks/', '/badge/', '/api/v1/'].map((path) => ({method: 'GET' as const, path, handle}))
}
