import crypto from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'

import type {Finding} from '../types.js'
import type {TlsPostureOptions} from './tls-posture-spec.js'
import type {NetOptions, ProbeContext} from './types.js'
import {errorField, errorMessage} from './errors.js'
import {describeNetError, resolveAddress} from './net.js'
import {boundedSignal, Findings} from './posture-common.js'
import {secureContext} from './tls-context.js'

export {
  TLS_POSTURE_OBJECT_SCHEMA,
  TLS_POSTURE_PROPERTIES,
  type TlsPostureOptions,
  tlsPostureOptions,
} from './tls-posture-spec.js'

/**
 * TLS posture of one host:port: which protocol versions and weak cipher families it accepts (one
 * handshake each, a dozen at most), and the key size, signature hash and validity of every certificate
 * it presents. The tls probe calls `tlsPosture` when a check sets `posture:`; web-security calls it when
 * a check sets `tls:`.
 *
 * Limits of Node.js, reported rather than hidden: SSLv2/SSLv3 cannot be offered at all, and cipher
 * families the bundled OpenSSL lacks (EXPORT, RC4, and 3DES in OpenSSL 3 builds) cannot be tested.
 */

type HandshakeOutcome =
  | {kind: 'accepted'; socket: tls.TLSSocket; protocol: string | null; cipher: string; ocsp?: Buffer | null}
  | {kind: 'refused'; reason: string}
  | {kind: 'error'; reason: string}
  | {kind: 'untestable'; reason: string}

interface HandshakeSpec {
  minVersion?: tls.SecureVersion
  maxVersion?: tls.SecureVersion
  ciphers?: string
  requestOCSP?: boolean
  /** Keep the socket open (the caller reads the certificate chain, then destroys it). */
  keep?: boolean
}

const REFUSAL =
  /alert|handshake failure|wrong version|unsupported protocol|no protocols available|version too low|no shared cipher|no ciphers|sslv3|tlsv1|inappropriate fallback|EPROTO|ERR_SSL/i

/** One handshake; never throws. A TLS alert or a reset during the handshake counts as a refusal. */
async function handshake(
  address: string,
  port: number,
  servername: string | undefined,
  netOpts: NetOptions,
  signal: AbortSignal,
  spec: HandshakeSpec,
): Promise<HandshakeOutcome> {
  if (signal.aborted) return {kind: 'error', reason: 'timed out'}
  let socket: tls.TLSSocket
  try {
    const connectOptions: tls.ConnectionOptions & {requestOCSP?: boolean} = {
      host: address,
      port,
      ...(servername ? {servername} : {}),
      rejectUnauthorized: false,
      secureContext: secureContext({
        ca: netOpts.ca,
        minVersion: spec.minVersion,
        maxVersion: spec.maxVersion,
        ciphers: spec.ciphers ?? 'DEFAULT@SECLEVEL=0',
      }),
      requestOCSP: spec.requestOCSP ?? false,
    }
    socket = tls.connect(connectOptions)
  } catch (error) {
    if (errorField(error, 'code') === 'ERR_SSL_NO_CIPHER_MATCH')
      return {kind: 'untestable', reason: 'the local OpenSSL has no such suites'}
    return {kind: 'untestable', reason: errorMessage(error)}
  }

  return new Promise<HandshakeOutcome>((resolve) => {
    let ocsp: Buffer | null = null
    let done = false
    let connected = false
    const finish = (o: HandshakeOutcome) => {
      if (done) return
      done = true
      signal.removeEventListener('abort', onAbort)
      if (o.kind !== 'accepted' || !spec.keep) socket.destroy()
      resolve(o)
    }

    const onAbort = () => finish({kind: 'error', reason: 'timed out'})
    signal.addEventListener('abort', onAbort, {once: true})
    socket.on('OCSPResponse', (r: Buffer) => {
      ocsp = r
    })
    socket.once('connect', () => {
      connected = true
    })
    socket.once('secureConnect', () => {
      // The OCSPResponse event fires before secureConnect when a staple is sent.
      finish({kind: 'accepted', socket, protocol: socket.getProtocol(), cipher: socket.getCipher()?.name ?? '?', ocsp})
    })
    socket.once('error', (error: Error & {code?: string}) => {
      const msg = `${error.code ?? ''} ${error.message}`
      if (!connected) finish({kind: 'error', reason: describeNetError(error)})
      else if (REFUSAL.test(msg) || error.code === 'ECONNRESET') finish({kind: 'refused', reason: error.message})
      else finish({kind: 'error', reason: describeNetError(error)})
    })
    socket.once('close', () =>
      finish({kind: connected ? 'refused' : 'error', reason: 'connection closed during the handshake'}),
    )
  })
}

// ---------------------------------------------------------------- certificate facts

const SIG_OIDS: Record<string, {name: string; weak?: 'sha1' | 'md5'}> = {
  '1.2.840.113549.1.1.4': {name: 'md5WithRSAEncryption', weak: 'md5'},
  '1.2.840.113549.1.1.5': {name: 'sha1WithRSAEncryption', weak: 'sha1'},
  '1.2.840.10045.4.1': {name: 'ecdsa-with-SHA1', weak: 'sha1'},
  '1.2.840.10040.4.3': {name: 'dsa-with-sha1', weak: 'sha1'},
  '1.2.840.113549.1.1.11': {name: 'sha256WithRSAEncryption'},
  '1.2.840.113549.1.1.12': {name: 'sha384WithRSAEncryption'},
  '1.2.840.113549.1.1.13': {name: 'sha512WithRSAEncryption'},
  '1.2.840.113549.1.1.10': {name: 'RSASSA-PSS'},
  '1.2.840.10045.4.3.2': {name: 'ecdsa-with-SHA256'},
  '1.2.840.10045.4.3.3': {name: 'ecdsa-with-SHA384'},
  '1.2.840.10045.4.3.4': {name: 'ecdsa-with-SHA512'},
  '1.3.101.112': {name: 'Ed25519'},
  '1.3.101.113': {name: 'Ed448'},
}

/** Reads a DER length at `pos`; returns [length, offset of the content]. */
function derLength(buf: Buffer, pos: number): [number, number] {
  const first = buf[pos]
  if (first < 0x80) return [first, pos + 1]
  const n = first & 0x7f
  if (n === 0 || n > 4) throw new Error('unsupported DER length')
  let len = 0
  for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 1 + i]
  return [len, pos + 1 + n]
}

/** The signatureAlgorithm OID of a DER certificate (Node 20 does not expose it). */
export function signatureOid(der: Buffer): string | undefined {
  try {
    if (der[0] !== 0x30) return undefined
    const [, certBody] = derLength(der, 1)
    if (der[certBody] !== 0x30) return undefined
    const [tbsLen, tbsBody] = derLength(der, certBody + 1)
    const algPos = tbsBody + tbsLen
    if (der[algPos] !== 0x30) return undefined
    const [, algBody] = derLength(der, algPos + 1)
    if (der[algBody] !== 0x06) return undefined
    const [oidLen, oidBody] = derLength(der, algBody + 1)
    const bytes = der.subarray(oidBody, oidBody + oidLen)
    const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40]
    let v = 0
    for (const b of bytes.subarray(1)) {
      v = v * 128 + (b & 0x7f)
      if ((b & 0x80) === 0) {
        parts.push(v)
        v = 0
      }
    }

    return parts.join('.')
  } catch {
    return undefined
  }
}

export interface CertFacts {
  position: number
  role: 'leaf' | 'intermediate' | 'root'
  subject: string
  issuer: string
  notBefore: string
  notAfter: string
  daysLeft: number
  lifetimeDays: number
  keyType?: string
  keyBits?: number
  curve?: string
  signature?: string
  fingerprint256: string
  /** OCSP responder URIs named in the Authority Information Access extension. */
  ocspUris: string[]
  /** Set on a certificate that is one of Node's bundled public roots. */
  publicRoot?: true
}

const EC_BITS: Record<string, number> = {
  prime256v1: 256,
  'P-256': 256,
  secp384r1: 384,
  'P-384': 384,
  secp521r1: 521,
  'P-521': 521,
  secp224r1: 224,
  secp192r1: 192,
  prime192v1: 192,
}

/** The OCSP URIs of an `infoAccess` text ("OCSP - URI:http://…" lines; Node 20 gives no structured form). */
export function ocspUris(infoAccess: string | undefined): string[] {
  return (infoAccess ?? '')
    .split('\n')
    .map((l) => /^OCSP - URI:(\S+)$/.exec(l.trim())?.[1])
    .filter((u): u is string => Boolean(u))
}

let publicRoots: Set<string> | undefined
/** Whether a certificate is one of Node's bundled public roots: its DER, as base64, against theirs (no parsing). */
function isPublicRoot(der: Buffer): boolean {
  publicRoots ??= new Set(tls.rootCertificates.map((pem) => pem.replaceAll(/-----[^-]+-----|\s/g, '')))
  return publicRoots.has(der.toString('base64'))
}

export function certFacts(der: Buffer, position: number, now: number): CertFacts {
  const x = new crypto.X509Certificate(der)
  const selfSigned = x.subject === x.issuer
  const notBefore = Date.parse(x.validFrom)
  const notAfter = Date.parse(x.validTo)
  const details = x.publicKey.asymmetricKeyDetails ?? {}
  const keyType = x.publicKey.asymmetricKeyType
  const oid = signatureOid(der)
  return {
    position,
    role: position === 0 ? 'leaf' : selfSigned ? 'root' : 'intermediate',
    subject: x.subject.replaceAll('\n', ', '),
    issuer: x.issuer.replaceAll('\n', ', '),
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(notAfter).toISOString(),
    daysLeft: Math.floor((notAfter - now) / 86_400_000),
    lifetimeDays: Math.round((notAfter - notBefore) / 86_400_000),
    ...(keyType ? {keyType} : {}),
    ...(details.modulusLength ? {keyBits: details.modulusLength} : {}),
    ...(details.namedCurve ? {curve: details.namedCurve, keyBits: EC_BITS[details.namedCurve] ?? undefined} : {}),
    ...(oid ? {signature: SIG_OIDS[oid]?.name ?? oid} : {}),
    fingerprint256: x.fingerprint256,
    ocspUris: ocspUris(x.infoAccess),
    ...(selfSigned && isPublicRoot(der) ? {publicRoot: true as const} : {}),
  }
}

const DAY_MS = 86_400_000

/**
 * The longest validity a publicly trusted TLS certificate may have, by its issue date (notBefore):
 * CA/Browser Forum ballot SC-081 (Baseline Requirements 6.3.2) lowers it from 398 days in three steps.
 */
export const LIFETIME_STEPS: readonly {from: string; days: number}[] = [
  {from: '2029-03-15', days: 47},
  {from: '2027-03-15', days: 100},
  {from: '2026-03-15', days: 200},
]
export const LIFETIME_BEFORE_SC081 = 398

/** The maximum lifetime for a certificate issued at `notBefore`, and the date that line applies from. */
export function maxLifetime(notBefore: number): {days: number; from?: string} {
  const step = LIFETIME_STEPS.find((s) => notBefore >= Date.parse(`${s.from}T00:00:00Z`))
  return step ? {days: step.days, from: step.from} : {days: LIFETIME_BEFORE_SC081}
}

/** The presented chain, leaf first, as DER buffers (Node appends the trust-store root when it finds one). */
function peerChain(socket: tls.TLSSocket): Buffer[] {
  const out: Buffer[] = []
  const seen = new Set<string>()
  let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true)
  while (c && 'raw' in c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256)
    out.push(c.raw)
    c = c.issuerCertificate
  }

  return out
}

/** Judges the presented certificates: key size, SHA-1/MD5 signatures, expiry of each, leaf lifetime. */
export function judgeChain(certs: readonly CertFacts[], opts: TlsPostureOptions, out: Findings, now: number): void {
  const warnDays = opts.expiry_warn_days ?? 30
  const critDays = opts.expiry_crit_days ?? 14
  for (const c of certs) {
    const who = c.role === 'leaf' ? `leaf certificate ${c.subject}` : `${c.role} ${c.subject}`
    if (c.role !== 'root') {
      if (c.keyType === 'rsa' && c.keyBits !== undefined && c.keyBits < 2048)
        out.add('tls.key.weak', `${who} has a ${c.keyBits}-bit RSA key (minimum 2048)`)
      if (c.keyType === 'ec' && c.keyBits !== undefined && c.keyBits < 256)
        out.add('tls.key.weak', `${who} has a ${c.keyBits}-bit EC key (minimum 256)`)
      const sig = Object.values(SIG_OIDS).find((s) => s.name === c.signature)
      if (sig?.weak) out.add('tls.sig.sha1', `${who} is signed with ${c.signature}`)
    }

    if (c.daysLeft < 0 || Date.parse(c.notBefore) > now) {
      out.add(
        'tls.chain.expired',
        c.daysLeft < 0
          ? `${who} expired on ${c.notAfter.slice(0, 10)}`
          : `${who} is not valid until ${c.notBefore.slice(0, 10)}`,
      )
    } else if (c.daysLeft < critDays)
      out.add('tls.chain.expiring', `${who} expires in ${c.daysLeft} days (${c.notAfter.slice(0, 10)})`, 'crit')
    else if (c.daysLeft < warnDays)
      out.add('tls.chain.expiring', `${who} expires in ${c.daysLeft} days (${c.notAfter.slice(0, 10)})`)
  }

  const leaf = certs.find((c) => c.role === 'leaf')
  if (leaf)
    judgeLifetime(
      leaf,
      certs.some((c) => c.publicRoot),
      opts,
      out,
    )
}

/**
 * The leaf's validity against the CA/B Forum line for its issue date. Over it on a chain to a public
 * root, the certificate is mis-issued and its CA must revoke it (Baseline Requirements 4.9.1.1): crit,
 * whatever the check says. Otherwise (private CAs are not bound by the BRs) the check's own
 * max_lifetime_days, when set, replaces the line: warn.
 */
function judgeLifetime(leaf: CertFacts, publiclyTrusted: boolean, opts: TlsPostureOptions, out: Findings): void {
  const notBefore = Date.parse(leaf.notBefore)
  const lifetimeMs = Date.parse(leaf.notAfter) - notBefore
  const issued = leaf.notBefore.slice(0, 10)
  const line = maxLifetime(notBefore)
  const overLine = lifetimeMs > line.days * DAY_MS
  const rule = line.from
    ? `the ${line.days}-day maximum for certificates issued from ${line.from} (CA/B Forum ballot SC-081)`
    : `the ${line.days}-day maximum for certificates issued before 2026-03-15 (CA/B Forum Baseline Requirements)`
  if (overLine && publiclyTrusted)
    out.add(
      'tls.cert.lifetime',
      `leaf certificate issued ${issued} is valid for ${leaf.lifetimeDays} days, over ${rule}: mis-issued, so its CA must revoke it`,
      'crit',
    )
  else if (opts.max_lifetime_days !== undefined) {
    if (lifetimeMs > opts.max_lifetime_days * DAY_MS)
      out.add(
        'tls.cert.lifetime',
        `leaf certificate issued ${issued} is valid for ${leaf.lifetimeDays} days (over the check's ${opts.max_lifetime_days})`,
      )
  } else if (overLine)
    out.add(
      'tls.cert.lifetime',
      `leaf certificate issued ${issued} is valid for ${leaf.lifetimeDays} days, over ${rule}`,
    )
}

export interface TlsPostureResult {
  findings: Finding[]
  metrics: Record<string, number>
  details: {
    protocols: Record<string, 'accepted' | 'refused' | 'error' | 'not tested'>
    ciphers: Record<string, 'accepted' | 'refused' | 'error' | 'untestable'>
    negotiated?: {protocol: string | null; cipher: string; ephemeralKey?: {type?: string; name?: string; size?: number}}
    ocspStapled?: boolean
    chain: CertFacts[]
    handshakes: number
    errors: string[]
  }
  /** Set when the host could not be assessed at all (no handshake succeeded). */
  unavailable?: string
}

const PROTOCOLS: {name: string; version: tls.SecureVersion; ciphers?: string}[] = [
  {name: 'TLSv1', version: 'TLSv1'},
  {name: 'TLSv1.1', version: 'TLSv1.1'},
  {name: 'TLSv1.2', version: 'TLSv1.2'},
  {name: 'TLSv1.3', version: 'TLSv1.3'},
]

/** Weak families offered alone (TLS 1.0–1.2); a completed handshake means the server accepts one. */
const CIPHER_FAMILIES: {name: string; ciphers: string; id: string; label: string}[] = [
  {name: 'NULL', ciphers: 'eNULL:!aNULL:@SECLEVEL=0', id: 'tls.cipher.null', label: 'NULL-encryption'},
  {name: 'anonymous', ciphers: 'aNULL:!eNULL:@SECLEVEL=0', id: 'tls.cipher.anonymous', label: 'anonymous key-exchange'},
  {name: 'EXPORT', ciphers: 'EXP:@SECLEVEL=0', id: 'tls.cipher.export', label: 'EXPORT'},
  {name: 'RC4', ciphers: 'RC4:@SECLEVEL=0', id: 'tls.cipher.rc4', label: 'RC4'},
  {name: '3DES', ciphers: '3DES:@SECLEVEL=0', id: 'tls.cipher.3des', label: '3DES'},
  {
    name: 'CBC-SHA1',
    ciphers: 'SHA1:!3DES:!RC4:!eNULL:!aNULL:@SECLEVEL=0',
    id: 'tls.cipher.cbc_sha1',
    label: 'CBC with SHA-1',
  },
  {
    name: 'static-RSA',
    ciphers: 'kRSA:!eNULL:!aNULL:@SECLEVEL=0',
    id: 'tls.cipher.no_forward_secrecy',
    label: 'static RSA key-exchange (no forward secrecy)',
  },
]

async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(
    Array.from({length: Math.min(limit, tasks.length)}, async () => {
      while (next < tasks.length) {
        const i = next++
        out[i] = await tasks[i]()
      }
    }),
  )
  return out
}

type PostureDetails = TlsPostureResult['details']
type Shake = (spec: HandshakeSpec) => Promise<HandshakeOutcome>

/** Assesses the TLS posture of host:port with at most 12 handshakes, 6 at a time. Never throws. */
export async function tlsPosture(
  host: string,
  port: number,
  ctx: Pick<ProbeContext, 'signal' | 'timeoutMs' | 'net' | 'clock'>,
  opts: TlsPostureOptions = {},
): Promise<TlsPostureResult> {
  const found = new Findings()
  const details: PostureDetails = {protocols: {}, ciphers: {}, chain: [], handshakes: 0, errors: []}
  const bare = host.replace(/^\[(.*)\]$/, '$1')
  let address: string
  try {
    address = (await resolveAddress(bare, port, ctx.net, ctx.signal)).address
  } catch (error) {
    return {findings: [], metrics: {}, details, unavailable: describeNetError(error, `${host}:${port}`)}
  }

  const servername = net.isIP(bare) ? undefined : bare
  const perHandshake = Math.max(500, Math.min(5000, ctx.timeoutMs / 3))
  const shake: Shake = (spec) => {
    details.handshakes++
    return handshake(address, port, servername, ctx.net, boundedSignal(ctx.signal, perHandshake), spec)
  }

  // The sweep runs beside the main handshake, whose presented chain is judged.
  const sweep = pool(sweepTasks(opts, shake, details, found), 6)
  // The main handshake: best protocol, default suites, OCSP requested; its chain is judged.
  const main = await shake({requestOCSP: true, keep: true, minVersion: 'TLSv1'})
  if (main.kind !== 'accepted') {
    await sweep
    return {
      findings: found.list,
      metrics: {},
      details: {...details, errors: [main.reason]},
      unavailable: `TLS handshake with ${host}:${port} failed: ${main.reason}`,
    }
  }

  try {
    readMainHandshake(main, details, found, ctx.clock.now())
  } finally {
    main.socket.destroy()
  }

  judgeChain(details.chain, opts, found, ctx.clock.now())
  // OCSP is optional since 2023 and Let's Encrypt has run none since August 2025: a missing staple is
  // only worth saying when the leaf names a responder (testssl.sh's rule).
  const responder = details.chain.find((c) => c.role === 'leaf')?.ocspUris[0]
  if (!details.ocspStapled && responder)
    found.add('tls.ocsp.no_staple', `no OCSP response was stapled, though the leaf names the responder ${responder}`)

  await sweep
  judgeSweep(opts, details, found)
  return {findings: found.list, metrics: postureMetrics(details), details}
}

/** One handshake per protocol version and one per weak cipher family; each records its verdict in details. */
function sweepTasks(
  opts: TlsPostureOptions,
  shake: Shake,
  details: PostureDetails,
  found: Findings,
): (() => Promise<void>)[] {
  const tasks: (() => Promise<void>)[] = []
  if (opts.protocols !== false) {
    for (const p of PROTOCOLS) {
      tasks.push(async () => {
        const o = await shake({minVersion: p.version, maxVersion: p.version})
        details.protocols[p.name] = o.kind === 'accepted' ? 'accepted' : o.kind === 'refused' ? 'refused' : 'error'
        if (o.kind === 'error' || o.kind === 'untestable') details.errors.push(`${p.name}: ${o.reason}`)
      })
    }
  }

  if (opts.ciphers !== false) {
    for (const f of CIPHER_FAMILIES) {
      tasks.push(async () => {
        const o = await shake({minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: f.ciphers})
        details.ciphers[f.name] =
          o.kind === 'accepted'
            ? 'accepted'
            : o.kind === 'untestable'
              ? 'untestable'
              : o.kind === 'refused'
                ? 'refused'
                : 'error'
        if (o.kind === 'accepted')
          found.add(f.id, `accepts ${f.label} suites (negotiated ${o.cipher} over ${o.protocol})`)
        if (o.kind === 'error') details.errors.push(`${f.name}: ${o.reason}`)
      })
    }
  }

  return tasks
}

/** The main handshake's chain, negotiated parameters and OCSP staple; a weak DH group is a finding. */
function readMainHandshake(
  main: Extract<HandshakeOutcome, {kind: 'accepted'}>,
  details: PostureDetails,
  found: Findings,
  now: number,
): void {
  details.chain = peerChain(main.socket).map((der, i) => certFacts(der, i, now))
  const info = main.socket.getEphemeralKeyInfo()
  const eph = isEphemeralKeyInfo(info) ? info : undefined
  details.negotiated = {
    protocol: main.protocol,
    cipher: main.cipher,
    ...(eph ? {ephemeralKey: eph} : {}),
  }
  details.ocspStapled = Boolean(main.ocsp)
  if (eph?.type === 'DH' && eph.size !== undefined && eph.size < 2048)
    found.add('tls.kex.weak_dh', `ephemeral Diffie-Hellman group of ${eph.size} bits (minimum 2048)`)
}

/** Node gives an empty object when the key exchange had no ephemeral key. */
function isEphemeralKeyInfo(info: tls.EphemeralKeyInfo | object | null): info is tls.EphemeralKeyInfo {
  return info !== null && 'type' in info
}

/** Findings from the protocol and cipher sweep, and from posture handshakes that failed. */
function judgeSweep(opts: TlsPostureOptions, details: PostureDetails, found: Findings): void {
  if (opts.protocols !== false) {
    details.protocols.SSLv3 = 'not tested'
    details.protocols.SSLv2 = 'not tested'
    if (details.protocols.TLSv1 === 'accepted') found.add('tls.protocol.tls1_0', 'TLS 1.0 is accepted')
    if (details.protocols['TLSv1.1'] === 'accepted') found.add('tls.protocol.tls1_1', 'TLS 1.1 is accepted')
    const v12 = details.protocols['TLSv1.2']
    const v13 = details.protocols['TLSv1.3']
    if (v12 === 'refused' && v13 === 'refused')
      found.add('tls.protocol.no_modern', 'neither TLS 1.2 nor TLS 1.3 is accepted')
    else if (v13 === 'refused') found.add('tls.protocol.no_tls1_3', 'TLS 1.3 is not accepted')
    found.add('tls.protocol.ssl_untested', 'SSLv2 and SSLv3 were not tested: Node.js cannot offer them')
  }

  if (opts.ciphers !== false) {
    const untestable = Object.entries(details.ciphers)
      .filter(([, v]) => v === 'untestable')
      .map(([k]) => k)
    if (untestable.length > 0)
      found.add(
        'tls.cipher.untested',
        `not tested (the local OpenSSL ${process.versions.openssl} cannot offer them): ${untestable.join(', ')}`,
      )
  }

  if (details.errors.length > 0)
    found.add(
      'tls.posture.incomplete',
      `${details.errors.length} posture handshake(s) failed: ${details.errors.slice(0, 3).join('; ')}`,
    )
}

function postureMetrics(details: PostureDetails): Record<string, number> {
  const leaf = details.chain.find((c) => c.role === 'leaf')
  const metrics: Record<string, number> = {tlsHandshakes: details.handshakes}
  if (leaf) metrics.certDaysLeft = leaf.daysLeft
  const minDays = Math.min(...details.chain.filter((c) => c.role !== 'root').map((c) => c.daysLeft))
  if (Number.isFinite(minDays)) metrics.chainMinDaysLeft = minDays
  if (leaf?.keyBits) metrics.certKeyBits = leaf.keyBits
  return metrics
}
