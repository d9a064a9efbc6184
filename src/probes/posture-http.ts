import type net from 'node:net'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'

import type {NetOptions} from './types.js'
import {errorField, errorMessage} from './errors.js'
import {describeNetError, resolveAddress, type ResolvedAddress} from './net.js'
import {secureContext} from './tls-context.js'

/**
 * One HTTP(S) exchange for posture probes, hop by hop (no automatic redirects), on node:http(s) so the
 * raw header list (duplicates kept), the TLS socket's verdict and a capped body are all at hand.
 * Certificates are not enforced at connect time: the verdict is reported, so a bad chain is a finding.
 */

export interface PostureResponse {
  url: URL
  status: number
  /** Lower-case header name → every value in order (duplicates kept, never joined). */
  headers: Map<string, string[]>
  body: Buffer
  /** True when the body was cut at the cap. */
  truncated: boolean
  /** For https: whether the chain and host name verified, and why not. */
  tls?: {authorized: boolean; authorizationError?: string; protocol?: string | null}
  timings: {dnsMs: number; connectMs?: number; tlsMs?: number; ttfbMs?: number; totalMs: number}
}

export interface FetchOptions {
  method?: string
  headers?: Record<string, string>
  /** Bytes of body kept at most; the rest is not read (the connection is dropped). */
  maxBody: number
  net: NetOptions
  signal: AbortSignal
}

export class FetchError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message)
    this.name = 'FetchError'
  }
}

/** The first value of a header, or undefined. */
export function header(res: {headers: Map<string, string[]>}, name: string): string | undefined {
  return res.headers.get(name.toLowerCase())?.[0]
}

/** Trusted roots: the system's plus the check's extra CA, in a shared context (building one per request costs ~13 ms). */
function trusted(netOpts: NetOptions): {secureContext?: tls.SecureContext} {
  return netOpts.ca ? {secureContext: secureContext({ca: netOpts.ca})} : {}
}

function describeHttpError(error: unknown): string {
  const code = errorField(error, 'code') ?? ''
  if (code.startsWith('HPE_')) {
    if (code === 'HPE_HEADER_OVERFLOW') return 'response headers too large (over 16 KiB)'
    return `malformed HTTP response (${code}: ${errorMessage(error)})`
  }

  if (code === 'ECONNRESET' || /socket hang up/.test(errorField(error, 'message') ?? ''))
    return 'connection dropped by the server'
  return describeNetError(error)
}

/** The address to connect to, with a resolution failure as a FetchError naming the origin. */
async function resolveFor(url: URL, host: string, port: number, opts: FetchOptions): Promise<ResolvedAddress> {
  try {
    return await resolveAddress(host, port, opts.net, opts.signal)
  } catch (error) {
    throw new FetchError(describeNetError(error, `${url.protocol}//${url.host}`), errorField(error, 'code'))
  }
}

/** A lookup that answers every query with the address already resolved. */
function pinnedLookup(addr: ResolvedAddress): net.LookupFunction {
  return (_h, o, cb) => {
    if (o?.all) cb(null, [{address: addr.address, family: addr.family}])
    else cb(null, addr.address, addr.family)
  }
}

function requestOptions(
  url: URL,
  host: string,
  port: number,
  addr: ResolvedAddress,
  opts: FetchOptions,
): https.RequestOptions {
  return {
    method: opts.method ?? 'GET',
    host,
    port,
    path: `${url.pathname}${url.search}`,
    headers: {
      'user-agent': 'watchkeeper-posture/1',
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
      ...opts.headers,
    },
    agent: false,
    lookup: pinnedLookup(addr),
    signal: opts.signal,
    ...(url.protocol === 'https:' ? {rejectUnauthorized: false, ...trusted(opts.net), servername: host} : {}),
  }
}

/** Lower-case header name → every value in order, from node's flat raw list. */
function headerMap(raw: string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    const list = headers.get(name) ?? []
    list.push(raw[i + 1])
    headers.set(name, list)
  }

  return headers
}

/**
 * Reads the body up to maxBody bytes. `finish` gets what was kept (when the cap is reached, before the
 * response is destroyed); `fail` gets a read error before any byte or a connection dropped mid-body.
 * Both may be called more than once: the caller keeps only the first outcome.
 */
function readBody(
  res: http.IncomingMessage,
  maxBody: number,
  finish: (chunks: Buffer[], truncated: boolean) => void,
  fail: (error: unknown) => void,
): void {
  const chunks: Buffer[] = []
  let size = 0
  let truncated = false
  const done = () => finish(chunks, truncated)
  res.on('data', (chunk: Buffer) => {
    if (truncated) return
    const room = maxBody - size
    if (chunk.length >= room) {
      chunks.push(chunk.subarray(0, Math.max(0, room)))
      size = maxBody
      truncated = chunk.length > room || res.readableLength > 0 || !res.complete
      done()
      res.destroy()
      return
    }

    chunks.push(chunk)
    size += chunk.length
  })
  res.on('end', done)
  res.on('error', (e) => (size > 0 ? done() : fail(e)))
  res.on('close', () => {
    if (res.complete) done()
    else fail(new FetchError('connection dropped while reading the body', 'ECONNRESET'))
  })
}

/** Times the socket's connect and TLS phases; hands over the TLS verdict at secureConnect. */
function timeSocket(
  socket: net.Socket,
  started: number,
  timings: PostureResponse['timings'],
  onTls: (info: PostureResponse['tls']) => void,
): void {
  socket.once('connect', () => {
    timings.connectMs = performance.now() - started - timings.dnsMs
  })
  socket.once('secureConnect', () => {
    timings.tlsMs = performance.now() - started - timings.dnsMs - (timings.connectMs ?? 0)
    if (socket instanceof tls.TLSSocket)
      onTls({
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
        protocol: socket.getProtocol(),
      })
  })
}

export async function fetchOnce(url: URL, opts: FetchOptions): Promise<PostureResponse> {
  const started = performance.now()
  const isHttps = url.protocol === 'https:'
  const port = Number(url.port || (isHttps ? 443 : 80))
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const addr = await resolveFor(url, host, port, opts)
  const reqOpts = requestOptions(url, host, port, addr, opts)
  const timings: PostureResponse['timings'] = {dnsMs: addr.dnsMs, totalMs: 0}
  return new Promise<PostureResponse>((resolve, reject) => {
    let tlsInfo: PostureResponse['tls']
    let settled = false
    const fail = (error: unknown) => {
      if (settled) return
      settled = true
      req.destroy()
      reject(error instanceof FetchError ? error : new FetchError(describeHttpError(error), errorField(error, 'code')))
    }

    const req = (isHttps ? https : http).request(reqOpts, (res) => {
      timings.ttfbMs = performance.now() - started
      const headers = headerMap(res.rawHeaders)
      const finish = (chunks: Buffer[], truncated: boolean) => {
        if (settled) return
        settled = true
        timings.totalMs = performance.now() - started
        resolve({
          url,
          status: res.statusCode ?? 0,
          headers,
          body: Buffer.concat(chunks),
          truncated,
          tls: tlsInfo,
          timings,
        })
      }

      readBody(res, opts.maxBody, finish, fail)
    })
    req.on('socket', (socket: net.Socket) => timeSocket(socket, started, timings, (info) => (tlsInfo = info)))
    req.on('error', fail)
    req.end()
  })
}

export interface Hop {
  url: string
  status: number
  location?: string
  /** https hops: whether the certificate verified. */
  verified?: boolean
}

export interface ChainResult {
  hops: Hop[]
  /** The last response (a non-redirect, or the last redirect when the chain was cut). */
  final?: PostureResponse
  /** Every response of the chain, in order. */
  responses: PostureResponse[]
  /** Why the chain stopped early: a loop, too many hops, a failed hop. */
  error?: string
  loop?: boolean
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** Follows redirects by hand, recording each hop; stops at a loop or after maxHops redirects. */
export async function followRedirects(
  start: URL,
  opts: FetchOptions & {maxHops?: number; keepBody?: boolean},
): Promise<ChainResult> {
  const out: ChainResult = {hops: [], responses: []}
  const seen = new Set<string>()
  let url = start
  const maxHops = opts.maxHops ?? 10
  for (let i = 0; ; i++) {
    if (seen.has(url.href)) {
      out.loop = true
      out.error = `redirect loop at ${url.href}`
      return out
    }

    seen.add(url.href)
    let res: PostureResponse
    try {
      res = await fetchOnce(url, opts)
    } catch (error) {
      out.error = `${url.href}: ${errorMessage(error)}`
      return out
    }

    out.responses.push(res)
    out.final = res
    const location = header(res, 'location')
    out.hops.push({
      url: url.href,
      status: res.status,
      ...(location ? {location} : {}),
      ...(res.tls ? {verified: res.tls.authorized} : {}),
    })
    if (!REDIRECTS.has(res.status) || !location) return out
    if (i >= maxHops) {
      out.error = `more than ${maxHops} redirects`
      out.loop = true
      return out
    }

    try {
      url = new URL(location, url)
    } catch {
      out.error = `bad Location header "${location.slice(0, 100)}"`
      return out
    }

    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      out.error = `redirect to unsupported scheme ${url.protocol}`
      return out
    }
  }
}
