import crypto from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'

import type {NetOptions, Probe} from './types.js'
import {finding} from '../findings.js'
import {type Finding, type Observation, type Status, type Timings, worstStatus} from '../types.js'
import {errorField, errorMessage} from './errors.js'
import {describeNetError, resolveAddress, splitHostPort} from './net.js'
import {secureContext} from './tls-context.js'
import {tlsPosture, tlsPostureOptions} from './tls-posture.js'
import {DEFAULT_EXPIRY, DEFAULT_MIN_PROTOCOL, type TlsBasicOptions, tlsSpec} from './tls-spec.js'

const DAY_MS = 86_400_000

/** One certificate the server presented, parsed. */
export interface ChainCert {
  /** 0 is the leaf. */
  position: number
  subject: string
  issuer: string
  notBefore: Date
  notAfter: Date
  /** 'rsa', 'ec', 'ed25519', … */
  keyType?: string
  keyBits?: number
  /** Named curve of an EC key. */
  curve?: string
  fingerprint256: string
  selfSigned: boolean
  x509: crypto.X509Certificate
}

/** What one handshake established. The socket is closed by the time this is returned. */
export interface TlsHandshake {
  host: string
  port: number
  address: string
  servername?: string
  protocol: string | null
  cipher: {name: string; standardName: string; version: string}
  ephemeralKey?: {type?: string; name?: string; size?: number}
  /** Chain validation against the trusted roots (+ `ca`), without the name check. */
  authorized: boolean
  authorizationError?: string
  /** The host-name check (tls.checkServerIdentity), undefined when it passed. */
  hostnameError?: string
  /** Certificates as presented, leaf first (walked through issuer links). */
  chain: ChainCert[]
  /** Raw stapled OCSP response when `requestOCSP` was set and the server sent one. */
  ocspResponse?: Buffer | null
  timings: Timings
}

export interface HandshakeOptions {
  host: string
  port: number
  /** SNI and the name checked; default the host unless it is an IP literal. */
  servername?: string
  net: NetOptions
  signal: AbortSignal
  minVersion?: tls.SecureVersion
  maxVersion?: tls.SecureVersion
  /** OpenSSL cipher string; default lets old protocols and weak keys through so they can be reported. */
  ciphers?: string
  requestOCSP?: boolean
}

const EC_BITS: Record<string, number> = {
  prime256v1: 256,
  'P-256': 256,
  secp384r1: 384,
  'P-384': 384,
  secp521r1: 521,
  'P-521': 521,
  secp256k1: 256,
}

function cn(name: string | undefined): string {
  if (!name) return ''
  const m = /(?:^|\n)CN=([^\n]*)/.exec(name)
  return m ? m[1] : name.split('\n').join(', ')
}

/** Parses one DER certificate into the facts the probes use. */
export function parseCert(raw: Buffer, position: number): ChainCert {
  const x = new crypto.X509Certificate(raw)
  const key = x.publicKey
  const details = key.asymmetricKeyDetails ?? {}
  const keyType = key.asymmetricKeyType
  const curve = details.namedCurve
  const keyBits =
    details.modulusLength ??
    (curve ? EC_BITS[curve] : keyType === 'ed25519' ? 256 : keyType === 'ed448' ? 456 : undefined)
  return {
    position,
    subject: cn(x.subject),
    issuer: cn(x.issuer),
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    keyType,
    keyBits,
    curve,
    fingerprint256: x.fingerprint256,
    selfSigned: x.subject === x.issuer && x.checkIssued(x),
    x509: x,
  }
}

/** The presented chain, leaf first, from getPeerCertificate(true). */
export function peerChain(socket: tls.TLSSocket): ChainCert[] {
  const out: ChainCert[] = []
  const seen = new Set<string>()
  let cur: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true)
  while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256)
    out.push(parseCert(cur.raw, out.length))
    cur = cur.issuerCertificate
  }

  return out
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), {name: 'AbortError'})
}

function connectOptions(
  opts: HandshakeOptions,
  address: string,
  servername: string | undefined,
): tls.ConnectionOptions & {requestOCSP?: boolean} {
  return {
    host: address,
    port: opts.port,
    servername,
    secureContext: secureContext({
      ca: opts.net.ca,
      minVersion: opts.minVersion ?? 'TLSv1',
      maxVersion: opts.maxVersion,
      ciphers: opts.ciphers ?? 'DEFAULT@SECLEVEL=0',
    }),
    rejectUnauthorized: false,
    // The name is checked separately so that `authorized` means the chain alone.
    checkServerIdentity: () => undefined,
    minVersion: opts.minVersion ?? 'TLSv1',
    maxVersion: opts.maxVersion,
    ciphers: opts.ciphers ?? 'DEFAULT@SECLEVEL=0',
    requestOCSP: opts.requestOCSP,
    ALPNProtocols: ['http/1.1'],
  }
}

/** getEphemeralKeyInfo() gives an empty object when there is no ephemeral key (and for TLS 1.3 resumption). */
function isKeyInfo(eph: object | null): eph is tls.EphemeralKeyInfo {
  return eph !== null && Object.keys(eph).length > 0
}

/** What the established socket says: protocol, cipher, key, trust verdicts and the chain. */
function handshakeFacts(
  socket: tls.TLSSocket,
  opts: HandshakeOptions,
  bare: string,
  address: string,
  servername: string | undefined,
): Omit<TlsHandshake, 'ocspResponse' | 'timings'> {
  const peer = socket.getPeerCertificate(true)
  const nameCheck = peer && peer.raw ? tls.checkServerIdentity(servername ?? bare, peer) : new Error('no certificate')
  const cipher = socket.getCipher()
  const eph = socket.getEphemeralKeyInfo()
  return {
    host: bare,
    port: opts.port,
    address,
    servername,
    protocol: socket.getProtocol(),
    cipher: {name: cipher.name, standardName: cipher.standardName, version: cipher.version},
    ...(isKeyInfo(eph) ? {ephemeralKey: eph} : {}),
    authorized: socket.authorized,
    authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
    hostnameError: nameCheck ? nameCheck.message : undefined,
    chain: peerChain(socket),
  }
}

/**
 * One TLS handshake to host:port with SNI, through `resolve:` overrides and the configured resolver,
 * trusting the default roots plus `ca`. Certificate problems do not abort it: they are reported in the
 * result (authorized / authorizationError / hostnameError) with the chain. Throws on network errors,
 * handshake failures and abort.
 */
export async function tlsHandshake(opts: HandshakeOptions): Promise<TlsHandshake> {
  const bare = opts.host.replace(/^\[(.*)\]$/, '$1')
  const addr = await resolveAddress(bare, opts.port, opts.net, opts.signal)
  const servername = opts.servername ?? (net.isIP(bare) ? undefined : bare)
  const timings: Timings = {dnsMs: addr.dnsMs}
  // Phases from the socket's events: connect (TCP) and tls (to secureConnect); they add up to totalMs.
  const connectStarted = performance.now()
  return new Promise<TlsHandshake>((resolve, reject) => {
    if (opts.signal.aborted) return reject(abortError(opts.signal))
    const socket = tls.connect(connectOptions(opts, addr.address, servername))
    let ocsp: Buffer | null | undefined
    const onAbort = () => {
      socket.destroy()
      reject(abortError(opts.signal))
    }

    opts.signal.addEventListener('abort', onAbort, {once: true})
    socket.once('connect', () => {
      timings.connectMs = performance.now() - connectStarted
    })
    socket.on('OCSPResponse', (r: Buffer) => (ocsp = r))
    socket.once('error', (error) => {
      opts.signal.removeEventListener('abort', onAbort)
      socket.destroy()
      reject(error)
    })
    socket.once('secureConnect', () => {
      opts.signal.removeEventListener('abort', onAbort)
      const now = performance.now()
      timings.tlsMs = now - connectStarted - (timings.connectMs ?? 0)
      timings.totalMs = (timings.dnsMs ?? 0) + (timings.connectMs ?? 0) + timings.tlsMs
      try {
        resolve({
          ...handshakeFacts(socket, opts, bare, addr.address, servername),
          ...(opts.requestOCSP ? {ocspResponse: ocsp ?? null} : {}),
          timings,
        })
      } catch (error) {
        reject(error)
      } finally {
        socket.destroy()
      }
    })
  })
}

const VERSION_RANK: Record<string, number> = {SSLv3: 0, TLSv1: 1, 'TLSv1.1': 2, 'TLSv1.2': 3, 'TLSv1.3': 4}

/** Trust errors that the expiry findings already explain when the leaf's own dates are out of range. */
const DATE_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'])

const TRUST_WORDS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate (unknown issuer or missing intermediate)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer certificate not found',
  CERT_HAS_EXPIRED: 'a certificate in the chain has expired',
  CERT_NOT_YET_VALID: 'a certificate in the chain is not yet valid',
  CERT_SIGNATURE_FAILURE: 'certificate signature does not verify',
  CERT_REVOKED: 'certificate revoked',
}

/** The leaf's facts into metrics and details. */
function describeLeaf(
  hs: TlsHandshake,
  leaf: ChainCert,
  daysLeft: number,
  metrics: Record<string, number>,
  details: Record<string, unknown>,
): void {
  metrics.certDaysLeft = Math.floor(daysLeft * 10) / 10
  metrics.certNotAfter = Math.floor(leaf.notAfter.getTime() / 1000)
  if (leaf.keyBits !== undefined) metrics.keyBits = leaf.keyBits
  Object.assign(details, {
    subject: leaf.subject,
    issuer: leaf.issuer,
    notAfter: leaf.notAfter.toISOString(),
    keyType: leaf.keyType,
    ...(leaf.curve ? {curve: leaf.curve} : {}),
    fingerprint256: leaf.fingerprint256,
    chainLength: hs.chain.length,
  })
}

/** Not yet valid, expired, or expiring within the warn or crit window. */
function expiryFindings(
  leaf: ChainCert,
  daysLeft: number,
  date: string,
  nowMs: number,
  warnDays: number,
  critDays: number,
): Finding[] {
  const findings: Finding[] = []
  if (leaf.notBefore.getTime() > nowMs)
    findings.push(
      finding('tls.cert.not_yet_valid', `certificate is not valid until ${leaf.notBefore.toISOString().slice(0, 10)}`),
    )
  if (daysLeft < 0)
    findings.push(finding('tls.cert.expired', `certificate expired on ${date} (${Math.floor(-daysLeft)} days ago)`))
  else if (daysLeft < critDays)
    findings.push(
      finding(
        'tls.cert.expiring',
        `certificate expires in ${Math.floor(daysLeft)} days (${date}); crit below ${critDays}`,
        'crit',
      ),
    )
  else if (daysLeft < warnDays)
    findings.push(
      finding(
        'tls.cert.expiring',
        `certificate expires in ${Math.floor(daysLeft)} days (${date}); warn below ${warnDays}`,
        'warn',
      ),
    )
  return findings
}

/** Chain trust (unless the leaf's own dates already explain it), the host name, the protocol floor. */
function trustFindings(hs: TlsHandshake, o: TlsBasicOptions, leafDatesBad: boolean): Finding[] {
  const findings: Finding[] = []
  if (!hs.authorized && !(hs.authorizationError && DATE_ERRORS.has(hs.authorizationError) && leafDatesBad)) {
    const code = hs.authorizationError ?? 'UNKNOWN'
    findings.push(
      finding(
        'tls.cert.untrusted',
        `certificate chain not trusted: ${TRUST_WORDS[code] ?? code.toLowerCase().replaceAll('_', ' ')} (${code})`,
      ),
    )
  }

  if (hs.hostnameError)
    findings.push(
      finding(
        'tls.cert.hostname_mismatch',
        `certificate does not match ${hs.servername ?? hs.host}: ${hs.hostnameError.replace(/^Hostname\/IP does not match certificate's altnames: /, '')}`,
      ),
    )

  const min = o.min_protocol ?? DEFAULT_MIN_PROTOCOL
  if (hs.protocol && (VERSION_RANK[hs.protocol] ?? 0) < VERSION_RANK[min]) {
    findings.push(finding('tls.protocol.below_minimum', `negotiated ${hs.protocol}, below the minimum ${min}`))
  }

  return findings
}

/** The basic judgement of a handshake: expiry, trust, name, protocol floor. Plain values in, plain values out. */
export function evaluateTls(hs: TlsHandshake, o: TlsBasicOptions, nowMs: number): Observation {
  const leaf = hs.chain[0]
  const warnDays = o.expiry?.warn ?? DEFAULT_EXPIRY.warn
  const critDays = o.expiry?.crit ?? DEFAULT_EXPIRY.crit
  const metrics: Record<string, number> = {}
  const details: Record<string, unknown> = {
    protocol: hs.protocol,
    cipher: hs.cipher.standardName || hs.cipher.name,
    address: hs.address,
  }
  if (hs.ephemeralKey) details.ephemeralKey = hs.ephemeralKey
  if (!leaf) {
    return {
      status: 'crit',
      summary: 'the server presented no certificate',
      timings: hs.timings,
      findings: [finding('tls.cert.untrusted', 'the server presented no certificate')],
      metrics,
      details,
    }
  }

  const daysLeft = (leaf.notAfter.getTime() - nowMs) / DAY_MS
  describeLeaf(hs, leaf, daysLeft, metrics, details)
  const date = leaf.notAfter.toISOString().slice(0, 10)
  const findings = [
    ...expiryFindings(leaf, daysLeft, date, nowMs, warnDays, critDays),
    ...trustFindings(hs, o, daysLeft < 0 || leaf.notBefore.getTime() > nowMs),
  ]
  const status: Status = findings.some((f) => f.severity === 'crit')
    ? 'crit'
    : findings.some((f) => f.severity === 'warn')
      ? 'warn'
      : 'ok'
  const head = `${hs.protocol} ${hs.cipher.standardName || hs.cipher.name}, certificate valid ${Math.floor(daysLeft)} days (until ${date})`
  const worst = findings.find((f) => f.severity === status) ?? findings[0]
  const summary = worst ? `${worst.message}${findings.length > 1 ? ` (+${findings.length - 1} more)` : ''}` : head
  return {
    status,
    summary,
    timings: hs.timings,
    findings,
    metrics,
    details,
    thresholds: {certDaysLeft: {warn: warnDays, crit: critDays, alertBelow: true}},
  }
}

/** TLS handshake: expiry, chain trust, host name, negotiated protocol and cipher, key type and size. */
export const tlsProbe: Probe = {
  ...tlsSpec,
  async run(target, options, ctx): Promise<Observation> {
    const started = performance.now()
    const o = options as TlsBasicOptions
    const hp = splitHostPort(target, 443)
    if (!hp)
      return {
        status: 'unknown',
        summary: `bad target ${target}: expected host or host:port`,
        timings: {},
        findings: [],
        metrics: {},
      }
    let hs: TlsHandshake
    try {
      hs = await tlsHandshake({
        host: hp.host,
        port: hp.port,
        servername: o.servername,
        net: ctx.net,
        signal: ctx.signal,
      })
    } catch (error) {
      const timings = {totalMs: performance.now() - started}
      if (ctx.signal.aborted)
        return {status: 'crit', summary: `timed out after ${ctx.timeoutMs} ms`, timings, findings: [], metrics: {}}
      const code = errorField(error, 'code')
      const tlsFailure =
        code?.startsWith('ERR_SSL_') ||
        code === 'EPROTO' ||
        /alert|handshake|wrong version/i.test(errorField(error, 'message') ?? '')
      const why = tlsFailure ? `TLS handshake failed: ${errorMessage(error).split('\n')[0]}` : describeNetError(error)
      return {status: 'crit', summary: why, timings, findings: [], metrics: {}}
    }

    const obs = evaluateTls(hs, o, ctx.clock.now())
    const postureOpts = tlsPostureOptions(options)
    if (postureOpts) {
      // The deeper assessment (protocol versions, weak ciphers, chain keys and hashes) of tls-posture.ts.
      const p = await tlsPosture(hp.host, hp.port, ctx, postureOpts)
      obs.findings.push(...p.findings)
      if (p.unavailable) obs.findings.push(finding('tls.posture.incomplete', p.unavailable))
      obs.metrics = {...p.metrics, ...obs.metrics}
      obs.details = {...obs.details, posture: p.details}
      const worst = worstStatus([
        obs.status,
        ...obs.findings.map((f): Status => (f.severity === 'info' ? 'ok' : f.severity)),
      ])
      if (worst !== obs.status) {
        const f = obs.findings.find((x) => x.severity === worst)
        obs.status = worst
        if (f) obs.summary = `${f.message} (+${obs.findings.length - 1} more)`
      }
    }

    // The check's time is the handshake's (its phases); the judging and any posture sweep are not network time.
    return obs
  },
}
