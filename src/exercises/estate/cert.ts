/**
 * X.509 certificates for the simulated estate: an exercise root CA and leaves it signs, ECDSA P-256 with
 * SHA-256, DER written by hand (RFC 5280) so no dependency is needed. Only what a TLS server and a verifying
 * client use: names, validity, the key, basic constraints, key usage, server auth, SANs and key identifiers.
 */
import crypto, {type KeyObject} from 'node:crypto'
import net from 'node:net'

const DAY = 86_400_000

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), len(body.length), body])
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c)
const set = (...c: Buffer[]) => tlv(0x31, ...c)
const explicit = (n: number, ...c: Buffer[]) => tlv(0xa0 + n, ...c)
const octets = (b: Buffer) => tlv(0x04, b)
const bits = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b)
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]))

function integer(b: Buffer): Buffer {
  let v = b
  while (v.length > 1 && v[0] === 0 && v[1] < 0x80) v = v.subarray(1)
  return tlv(0x02, v[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v)
}

function oid(text: string): Buffer {
  const parts = text.split('.').map(Number)
  const out = [parts[0] * 40 + parts[1]]
  for (const p of parts.slice(2)) {
    const chunk: number[] = []
    let v = p
    do {
      chunk.unshift(v & 0x7f)
      v = Math.floor(v / 128)
    } while (v > 0)

    for (let i = 0; i < chunk.length - 1; i++) chunk[i] |= 0x80
    out.push(...chunk)
  }

  return tlv(0x06, Buffer.from(out))
}

/** UTCTime before 2050, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replaceAll(/[-:T]/g, '').slice(0, 14) + 'Z'
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso))
}

function name(cn: string): Buffer {
  return seq(
    set(seq(oid('2.5.4.10'), tlv(0x0c, Buffer.from('watchkeeper exercise')))),
    set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))),
  )
}

const ext = (id: string, critical: boolean, value: Buffer) =>
  seq(oid(id), ...(critical ? [bool(true)] : []), octets(value))
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'))

function keyId(key: KeyObject): Buffer {
  const spki = key.export({type: 'spki', format: 'der'})
  return crypto.createHash('sha1').update(spki).digest()
}

function pem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`
}

export interface Authority {
  cert: string
  key: KeyObject
  name: string
  id: Buffer
}

export interface Leaf {
  /** PEM of the leaf. */
  cert: string
  /** PKCS#8 PEM of its key. */
  key: string
  notAfter: Date
}

function signed(tbs: Buffer, key: KeyObject): Buffer {
  return seq(tbs, ECDSA_SHA256, bits(crypto.sign('sha256', tbs, key)))
}

function tbsOf(o: {
  issuer: string
  subject: string
  notBefore: Date
  notAfter: Date
  publicKey: KeyObject
  extensions: Buffer[]
}): Buffer {
  return seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(crypto.randomBytes(16)),
    ECDSA_SHA256,
    name(o.issuer),
    seq(time(o.notBefore), time(o.notAfter)),
    name(o.subject),
    o.publicKey.export({type: 'spki', format: 'der'}),
    explicit(3, seq(...o.extensions)),
  )
}

/** A root CA for one exercise, valid for a week. */
export function exerciseAuthority(label: string, now = Date.now()): Authority {
  const {privateKey, publicKey} = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const cn = `watchkeeper exercise CA (${label})`
  const id = keyId(publicKey)
  const tbs = tbsOf({
    issuer: cn,
    subject: cn,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 7 * DAY),
    publicKey,
    extensions: [
      ext('2.5.29.19', true, seq(bool(true))),
      ext('2.5.29.15', true, bits(Buffer.from([0x06]), 1)),
      ext('2.5.29.14', false, octets(id)),
    ],
  })
  return {cert: pem(signed(tbs, privateKey)), key: privateKey, name: cn, id}
}

/** A server certificate for `hosts` signed by the authority; `expired` makes one that ended yesterday. */
export function issueLeaf(ca: Authority, hosts: string[], opts: {expired?: boolean; now?: number} = {}): Leaf {
  const now = opts.now ?? Date.now()
  const {privateKey, publicKey} = crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const notBefore = new Date(now - (opts.expired ? 91 : 1) * DAY)
  const notAfter = new Date(opts.expired ? now - DAY : now + 90 * DAY)
  const sans = hosts.map((h) =>
    net.isIP(h) === 4 ? tlv(0x87, Buffer.from(h.split('.').map(Number))) : tlv(0x82, Buffer.from(h)),
  )
  const tbs = tbsOf({
    issuer: ca.name,
    subject: hosts[0],
    notBefore,
    notAfter,
    publicKey,
    extensions: [
      ext('2.5.29.19', true, seq()),
      ext('2.5.29.15', true, bits(Buffer.from([0x80]), 7)),
      ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
      ext('2.5.29.17', false, seq(...sans)),
      ext('2.5.29.14', false, octets(keyId(publicKey))),
      ext('2.5.29.35', false, seq(tlv(0x80, ca.id))),
    ],
  })
  return {cert: pem(signed(tbs, ca.key)), key: privateKey.export({type: 'pkcs8', format: 'pem'}).toString(), notAfter}
}
