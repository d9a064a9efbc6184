import type {TLSSocket} from 'node:tls'
import net from 'node:net'

import {buildConnector, Client} from '../util/undici.js'

import type {NetOptions} from './types.js'
import {resolveAddress} from './net.js'
import {secureContext} from './tls-context.js'

/**
 * What one new connection cost and what it found. The instants (performance.now(), taken in the
 * lookup, socket and TLS callbacks) bound the phases: resolve dnsStart→dnsDone, connect
 * dnsDone→connectDone, tls connectDone→tlsDone.
 */
export interface ConnectionFacts {
  host: string
  port: number
  address?: string
  dnsStart: number
  dnsDone: number
  connectDone?: number
  tlsDone?: number
  /** When the connection was handed to the HTTP client (connectDone, or tlsDone for https). */
  ready?: number
  dnsMs: number
  connectMs?: number
  tlsMs?: number
  tlsProtocol?: string
  cipher?: string
  /** The peer certificate's validity end, when TLS. */
  certNotAfter?: Date
  certSubject?: string
}

export type ConnectPhase = 'dns' | 'connect' | 'tls'

export interface TimedAgentOptions {
  net: NetOptions
  signal: AbortSignal
  /** Extra trusted CAs (PEM), added to Node's default roots. */
  ca?: string
  /** Called as each connection moves through its phases (for "timed out while …" messages). */
  onPhase?: (phase: ConnectPhase) => void
  /** Called once per new connection, when it is ready. */
  onConnection?: (facts: ConnectionFacts) => void
}

/**
 * An undici connector whose connections resolve addresses through the check's settings (a `resolve:`
 * override first, then the configured resolver or the system's) and time each phase: DNS, TCP connect
 * and TLS handshake. SNI and the certificate name check use the URL's host name even when an override
 * sends the connection elsewhere; the Host header is undici's, from the URL.
 */
export function timedConnector(opts: TimedAgentOptions): buildConnector.connector {
  const base = buildConnector({
    ...(opts.ca ? {secureContext: secureContext({ca: opts.ca})} : {}),
    // The check's AbortSignal bounds every wait; this only stops undici's own 10 s default.
    timeout: 0,
  })
  const connect: buildConnector.connector = (options, callback) => {
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80)
    const host = options.hostname.replace(/^\[(.*)\]$/, '$1')
    opts.onPhase?.('dns')
    const dnsStart = performance.now()
    resolveAddress(host, port, opts.net, opts.signal).then(
      (addr) => {
        const dnsDone = dnsStart + addr.dnsMs
        const facts: ConnectionFacts = {host, port, address: addr.address, dnsStart, dnsDone, dnsMs: addr.dnsMs}
        opts.onPhase?.('connect')
        const servername = net.isIP(host) ? undefined : host
        // undici does not abort a request whose connection is still being made: stop the socket here.
        const onAbort = () =>
          socket.destroy(opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted'))
        const socket = base({...options, hostname: addr.address, port: String(port), servername}, (error, sock) => {
          const at = performance.now()
          opts.signal.removeEventListener('abort', onAbort)
          if (error) {
            callback(error, null)
            return
          }

          const s = sock as TLSSocket
          facts.connectDone ??= at
          facts.connectMs = facts.connectDone - dnsDone
          if (options.protocol === 'https:') {
            facts.tlsDone = at
            facts.tlsMs = at - facts.connectDone
            facts.tlsProtocol = s.getProtocol?.() ?? undefined
            facts.cipher = s.getCipher?.()?.standardName
            const cert = s.getPeerCertificate?.()
            if (cert?.valid_to) facts.certNotAfter = new Date(cert.valid_to)
            if (cert?.subject?.CN) facts.certSubject = String(cert.subject.CN)
          }

          facts.ready = at
          opts.onConnection?.(facts)
          callback(null, sock)
        }) as unknown as net.Socket // undici's connector returns the socket, though its type says void
        if (opts.signal.aborted) onAbort()
        else opts.signal.addEventListener('abort', onAbort, {once: true})
        socket.once('connect', () => {
          facts.connectDone = performance.now()
          if (options.protocol === 'https:') opts.onPhase?.('tls')
        })
      },
      (error: unknown) => callback(error as Error, null),
    )
  }

  return connect
}

const CHECK_FINISHED = Object.assign(new Error('check finished; connection closed'), {code: 'WK_CHECK_FINISHED'})

/**
 * One undici Client per origin, all on a timed connector: what one check needs (a plain Client per origin
 * costs less than an Agent for the one or two requests a check makes). `destroy()` closes them all.
 */
export class TimedClients {
  private readonly clients = new Map<string, Client>()
  private readonly connect: buildConnector.connector

  constructor(opts: TimedAgentOptions) {
    this.connect = timedConnector(opts)
  }

  for(origin: string): Client {
    let c = this.clients.get(origin)
    if (!c) {
      // The check's AbortSignal bounds every wait, so undici's own timers are off.
      c = new Client(origin, {connect: this.connect, headersTimeout: 0, bodyTimeout: 0})
      this.clients.set(origin, c)
    }

    return c
  }

  /** Closes every connection at once. */
  destroy(): void {
    // One prepared error: undici builds a new one (with a stack trace) per destroy() otherwise.
    for (const c of this.clients.values()) c.destroy(CHECK_FINISHED).catch(() => {})
    this.clients.clear()
  }
}
