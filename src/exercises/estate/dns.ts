/**
 * The exercise DNS server: a real authoritative server on 127.0.0.1 over UDP (node:dgram), answering from
 * the estate's zone (RFC 1035 wire format, no name compression in answers). Unknown names are NXDOMAIN; a
 * known name without the asked type is an empty NOERROR (NODATA).
 */
import dgram from 'node:dgram'

export type DnsRecord =
  | {type: 'A'; data: string}
  | {type: 'TXT'; data: string}
  | {type: 'MX'; data: {preference: number; exchange: string}}
  | {type: 'NS' | 'CNAME'; data: string}

const TYPES: Record<string, number> = {A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16}
const NOERROR = 0
const FORMERR = 1
const NXDOMAIN = 3

const norm = (n: string) => n.toLowerCase().replace(/\.$/, '')

function encodeName(name: string): Buffer {
  const parts = norm(name)
    .split('.')
    .filter(Boolean)
    .map((l) => {
      const b = Buffer.from(l)
      return Buffer.concat([Buffer.from([b.length]), b])
    })
  return Buffer.concat([...parts, Buffer.from([0])])
}

/** Reads a (possibly compressed) name at `offset`; returns it and where the question continues. */
function readName(msg: Buffer, offset: number): {name: string; next: number} {
  const labels: string[] = []
  let at = offset
  let next = -1
  for (let hops = 0; hops < 64; hops++) {
    if (at >= msg.length) throw new Error('name runs past the message')
    const n = msg[at]
    if (n === 0) {
      return {name: labels.join('.'), next: next === -1 ? at + 1 : next}
    }

    if ((n & 0xc0) === 0xc0) {
      if (next === -1) next = at + 2
      at = ((n & 0x3f) << 8) | msg[at + 1]
      continue
    }

    labels.push(msg.toString('latin1', at + 1, at + 1 + n))
    at += 1 + n
  }

  throw new Error('name too long')
}

function rdata(r: DnsRecord): Buffer {
  switch (r.type) {
    case 'A': {
      return Buffer.from(r.data.split('.').map(Number))
    }

    case 'TXT': {
      const chunks: Buffer[] = []
      const b = Buffer.from(r.data)
      for (let i = 0; i < b.length || i === 0; i += 255) {
        const part = b.subarray(i, i + 255)
        chunks.push(Buffer.from([part.length]), part)
        if (b.length === 0) break
      }

      return Buffer.concat(chunks)
    }

    case 'MX': {
      const pref = Buffer.alloc(2)
      pref.writeUInt16BE(r.data.preference)
      return Buffer.concat([pref, encodeName(r.data.exchange)])
    }

    default: {
      return encodeName(r.data)
    }
  }
}

function answer(name: string, r: DnsRecord, ttl: number): Buffer {
  const data = rdata(r)
  const head = Buffer.alloc(10)
  head.writeUInt16BE(TYPES[r.type], 0)
  head.writeUInt16BE(1, 2)
  head.writeUInt32BE(ttl, 4)
  head.writeUInt16BE(data.length, 8)
  return Buffer.concat([encodeName(name), head, data])
}

/** The reply to one query, or undefined when it is not a query at all. */
export function reply(msg: Buffer, lookup: (name: string) => DnsRecord[] | undefined): Buffer | undefined {
  if (msg.length < 12 || (msg[2] & 0x80) !== 0) return undefined
  const id = msg.readUInt16BE(0)
  const rd = msg[2] & 0x01
  const header = (rcode: number, qd: number, an: number) => {
    const h = Buffer.alloc(12)
    h.writeUInt16BE(id, 0)
    h[2] = 0x80 | 0x04 | rd
    h[3] = 0x80 | rcode
    h.writeUInt16BE(qd, 4)
    h.writeUInt16BE(an, 6)
    return h
  }

  if (msg.readUInt16BE(4) !== 1) return header(FORMERR, 0, 0)
  let q: {name: string; next: number}
  try {
    q = readName(msg, 12)
  } catch {
    return header(FORMERR, 0, 0)
  }

  if (q.next + 4 > msg.length) return header(FORMERR, 0, 0)
  const qtype = msg.readUInt16BE(q.next)
  const question = msg.subarray(12, q.next + 4)
  const records = lookup(norm(q.name))
  if (!records) return Buffer.concat([header(NXDOMAIN, 1, 0), question])
  const cname = records.find((r) => r.type === 'CNAME')
  const matching = cname && qtype !== TYPES.CNAME ? [cname] : records.filter((r) => TYPES[r.type] === qtype)
  return Buffer.concat([header(NOERROR, 1, matching.length), question, ...matching.map((r) => answer(q.name, r, 5))])
}

export interface ExerciseDns {
  /** `127.0.0.1:PORT`, for a check's resolver:. */
  server: string
  port: number
  close(): Promise<void>
}

/** Starts the server; `lookup` is asked on every query, so a fault shows at once. */
export async function startExerciseDns(lookup: (name: string) => DnsRecord[] | undefined): Promise<ExerciseDns> {
  const sock = dgram.createSocket('udp4')
  sock.on('message', (msg, rinfo) => {
    const out = reply(msg, lookup)
    if (out) sock.send(out, rinfo.port, rinfo.address)
  })
  sock.on('error', () => undefined)
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject)
    sock.bind(0, '127.0.0.1', () => {
      sock.off('error', reject)
      resolve()
    })
  })
  const {port} = sock.address()
  return {server: `127.0.0.1:${port}`, port, close: () => new Promise<void>((resolve) => sock.close(() => resolve()))}
}
