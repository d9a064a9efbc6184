/**
 * Real X.509 certificates for tests, generated in-process with @peculiar/x509 over Node's WebCrypto.
 *
 * - `rootCA()` is the shared test root; pass its `cert` as the `ca` a probe trusts.
 * - `intermediateCA({expired})` is signed by the root.
 * - `createCA(name)` makes another, unrelated root (for "signed by a CA nobody trusts").
 * - `issueCert(options)` makes a leaf: SANs, validity window, key type, signature hash, issuer.
 *
 * The result's `key` (PKCS#8 PEM) and `fullchain` (leaf + intermediates) go straight into
 * `https.createServer({key, cert: fullchain})` / `tls.createServer`.
 *
 * Node 20's OpenSSL 3 refuses to *serve* SHA-1-signed or RSA-1024 certificates at its default security
 * level ("ca md too weak" / "ee key too small"). Servers using such certificates must be created with
 * `ciphers: 'DEFAULT@SECLEVEL=0'` (see `WEAK_SERVER_OPTIONS`); clients checking them need the same to
 * get past the handshake.
 *
 * Keys are cached per process (RSA 4096 takes about a second to generate), one per key type and role.
 */
import crypto, {type webcrypto} from 'node:crypto'
import net from 'node:net'

import './reflect-metadata.js'

import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(crypto.webcrypto)
const {subtle} = crypto.webcrypto

export type KeyType = 'rsa1024' | 'rsa2048' | 'rsa4096' | 'ec256' | 'ec384'
export type SignatureHash = 'SHA-1' | 'SHA-256' | 'SHA-384'

/** Server options that let OpenSSL 3 serve SHA-1 / 1024-bit certificates and old protocol versions. */
export const WEAK_SERVER_OPTIONS = {ciphers: 'DEFAULT@SECLEVEL=0'} as const

const DAY = 86_400_000

export interface CertAuthority {
  /** PEM of the CA certificate. */
  cert: string
  /** PKCS#8 PEM of its private key. */
  key: string
  /** PEM of the certificates between this CA and the root (empty for a root). */
  chain: string
  /** PEM of the root this CA leads to (itself for a root). */
  root: string
  name: string
  notAfter: Date
  keyType: KeyType
  /** @internal */
  x509: x509.X509Certificate
  /** @internal */
  keys: webcrypto.CryptoKeyPair
}

export interface IssueOptions {
  /** SubjectAltNames: IP literals become IP entries, the rest DNS names. Default ['localhost', '127.0.0.1']. */
  hosts?: string[]
  /** Subject CN (default the first host). */
  commonName?: string
  /** Start of validity (default one day ago). */
  notBefore?: Date
  /** End of validity (default notBefore + 90 days, or now + `days`). */
  notAfter?: Date
  /** Shortcut: valid until now + days (may be negative for an expired certificate). */
  days?: number
  key?: KeyType
  /** Hash of the issuer's signature (default SHA-256). */
  hash?: SignatureHash
  /** Who signs: the test root (default), its intermediate, an expired intermediate, the leaf itself, or any CA. */
  issuer?: 'ca' | 'intermediate' | 'expired-intermediate' | 'self' | CertAuthority
  /** Extra extensions (e.g. AuthorityInfoAccess) appended to the usual ones. */
  extensions?: x509.Extension[]
}

export interface IssuedCert {
  /** PKCS#8 PEM private key of the leaf. */
  key: string
  /** PEM of the leaf alone. */
  cert: string
  /** PEM of the intermediates the server must send (empty when the root signs directly or self-signed). */
  chain: string
  /** Leaf followed by its intermediates: the `cert` option of a server. */
  fullchain: string
  /** PEM of the trust anchor: the root CA, or the leaf itself when self-signed. */
  ca: string
  notBefore: Date
  notAfter: Date
  /** SHA-256 fingerprint (colon-separated upper-case hex, as Node prints it). */
  fingerprint256: string
}

const keyCache = new Map<string, Promise<webcrypto.CryptoKeyPair>>()

function keyAlgorithm(type: KeyType): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  switch (type) {
    case 'ec256': {
      return {name: 'ECDSA', namedCurve: 'P-256'}
    }

    case 'ec384': {
      return {name: 'ECDSA', namedCurve: 'P-384'}
    }

    default: {
      return {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: Number(type.slice(3)),
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      }
    }
  }
}

/** A cached key pair of the given type for a role ('root', 'intermediate', 'leaf', …). */
export function keyPair(type: KeyType, role: string): Promise<webcrypto.CryptoKeyPair> {
  const k = `${type}/${role}`
  let p = keyCache.get(k)
  if (!p) {
    p = subtle.generateKey(keyAlgorithm(type), true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>
    keyCache.set(k, p)
  }

  return p
}

/** The issuer's private key as WebCrypto needs it to sign with `hash`, and the matching algorithm. */
async function signer(
  keys: webcrypto.CryptoKeyPair,
  hash: SignatureHash,
): Promise<{key: webcrypto.CryptoKey; alg: webcrypto.Algorithm | webcrypto.EcdsaParams}> {
  if (keys.privateKey.algorithm.name === 'ECDSA')
    return {key: keys.privateKey, alg: {name: 'ECDSA', hash} as webcrypto.EcdsaParams}
  // RSASSA-PKCS1-v1_5 signs with the hash bound to the key: re-import it with the wanted hash.
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey)
  const key = await subtle.importKey('pkcs8', pkcs8, {name: 'RSASSA-PKCS1-v1_5', hash}, false, ['sign'])
  return {key, alg: {name: 'RSASSA-PKCS1-v1_5', hash} as webcrypto.Algorithm}
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key))
  const b64 = der
    .toString('base64')
    .replaceAll(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`
}

function serial(): string {
  const bytes = crypto.randomBytes(12)
  bytes[0] &= 0x7f
  bytes[0] |= 0x10
  return bytes.toString('hex')
}

function pem(c: x509.X509Certificate): string {
  return c.toString('pem').replaceAll('\r\n', '\n').trimEnd() + '\n'
}

async function makeCA(opts: {
  name: string
  keyType?: KeyType
  issuer?: CertAuthority
  notBefore?: Date
  notAfter?: Date
  hash?: SignatureHash
  role: string
}): Promise<CertAuthority> {
  const keyType = opts.keyType ?? 'rsa2048'
  const keys = await keyPair(keyType, opts.role)
  const notBefore = opts.notBefore ?? new Date(Date.now() - 2 * DAY)
  const notAfter = opts.notAfter ?? new Date(Date.now() + 3650 * DAY)
  const subject = `CN=${opts.name}, O=watchkeeper tests`
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, opts.issuer ? 0 : undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ]
  let cert: x509.X509Certificate
  if (opts.issuer) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(opts.issuer.x509))
    const s = await signer(opts.issuer.keys, opts.hash ?? 'SHA-256')
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: opts.issuer.x509.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: s.key,
      signingAlgorithm: s.alg,
      extensions,
    })
  } else {
    const s = await signer(keys, opts.hash ?? 'SHA-256')
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: subject,
      notBefore,
      notAfter,
      keys: {publicKey: keys.publicKey, privateKey: s.key},
      signingAlgorithm: s.alg,
      extensions,
    })
  }

  const certPem = pem(cert)
  return {
    cert: certPem,
    key: await pkcs8Pem(keys.privateKey),
    chain: opts.issuer ? opts.issuer.cert + opts.issuer.chain : '',
    root: opts.issuer ? opts.issuer.root : certPem,
    name: opts.name,
    notAfter,
    keyType,
    x509: cert,
    keys,
  }
}

const caCache = new Map<string, Promise<CertAuthority>>()
function cachedCA(k: string, make: () => Promise<CertAuthority>): Promise<CertAuthority> {
  let p = caCache.get(k)
  if (!p) {
    p = make()
    caCache.set(k, p)
  }

  return p
}

/** The shared test root CA (RSA 2048, valid ten years). */
export function rootCA(): Promise<CertAuthority> {
  return cachedCA('root', () => makeCA({name: 'watchkeeper test root CA', role: 'root'}))
}

/** An intermediate signed by the test root; `expired` makes one whose validity ended yesterday. */
export function intermediateCA(opts: {expired?: boolean} = {}): Promise<CertAuthority> {
  return cachedCA(opts.expired ? 'intermediate-expired' : 'intermediate', async () =>
    makeCA({
      name: opts.expired ? 'watchkeeper expired intermediate CA' : 'watchkeeper test intermediate CA',
      role: 'intermediate',
      issuer: await rootCA(),
      ...(opts.expired ? {notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - DAY)} : {}),
    }),
  )
}

/** Another root CA, unrelated to the shared one (cached by name). */
export function createCA(name: string, opts: {keyType?: KeyType} = {}): Promise<CertAuthority> {
  return cachedCA(`other:${name}:${opts.keyType ?? 'rsa2048'}`, () =>
    makeCA({name, keyType: opts.keyType, role: `other-${name}`}),
  )
}

/** Issues a leaf (server) certificate. */
export async function issueCert(opts: IssueOptions = {}): Promise<IssuedCert> {
  const hosts = opts.hosts ?? ['localhost', '127.0.0.1']
  const keyType = opts.key ?? 'ec256'
  const keys = await keyPair(keyType, 'leaf')
  const notBefore = opts.notBefore ?? new Date(Date.now() - DAY)
  const notAfter =
    opts.notAfter ??
    (opts.days === undefined ? new Date(notBefore.getTime() + 90 * DAY) : new Date(Date.now() + opts.days * DAY))
  const cn = opts.commonName ?? hosts[0] ?? 'watchkeeper test'
  const subject = `CN=${cn}, O=watchkeeper tests`
  const isRsa = keyType.startsWith('rsa')
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(
      hosts.map((h) => ({type: net.isIP(h) ? ('ip' as const) : ('dns' as const), value: h})),
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ...(opts.extensions ?? []),
  ]
  const hash = opts.hash ?? 'SHA-256'
  let cert: x509.X509Certificate
  let issuer: CertAuthority | undefined
  if (opts.issuer === 'self') {
    const s = await signer(keys, hash)
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: subject,
      notBefore,
      notAfter,
      keys: {publicKey: keys.publicKey, privateKey: s.key},
      signingAlgorithm: s.alg,
      extensions,
    })
  } else {
    issuer =
      typeof opts.issuer === 'object'
        ? opts.issuer
        : opts.issuer === 'intermediate'
          ? await intermediateCA()
          : opts.issuer === 'expired-intermediate'
            ? await intermediateCA({expired: true})
            : await rootCA()
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.x509))
    const s = await signer(issuer.keys, hash)
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: issuer.x509.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: s.key,
      signingAlgorithm: s.alg,
      extensions,
    })
  }

  const leaf = pem(cert)
  // A root is not sent by the server; intermediates are.
  const chain = issuer ? (issuer.root === issuer.cert ? '' : issuer.cert + issuer.chain.replace(issuer.root, '')) : ''
  return {
    key: await pkcs8Pem(keys.privateKey),
    cert: leaf,
    chain,
    fullchain: leaf + chain,
    ca: issuer ? issuer.root : leaf,
    notBefore,
    notAfter,
    fingerprint256: new crypto.X509Certificate(leaf).fingerprint256,
  }
}
