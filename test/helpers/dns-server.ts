/**
 * A real DNS server on 127.0.0.1 (UDP and TCP on the same port) for tests, built on dns-packet.
 *
 * Answers from a zone map (name → records); unknown names get NXDOMAIN, known names without the asked
 * type get an empty NOERROR (NODATA). A CNAME is returned for any type asked of its name, followed by
 * the target's records of that type when the target is in the zone.
 *
 * Fault modes (for every name, or one name): 'servfail', 'refused', 'noanswer' (NOERROR, no records),
 * 'malformed' (garbage bytes with the query's id), 'truncated' (TC bit over UDP; TCP answers normally,
 * so resolvers fall back to TCP), 'drop' (no reply at all: the client times out).
 */
import dgram from 'node:dgram'
import net from 'node:net'

import dnsPacket from 'dns-packet'

export type ZoneRecord =
  | {type: 'A' | 'AAAA' | 'CNAME' | 'NS'; data: string; ttl?: number}
  | {type: 'MX'; data: {preference: number; exchange: string}; ttl?: number}
  | {type: 'TXT'; data: string | string[]; ttl?: number}
  | {type: 'CAA'; data: {flags?: number; tag: 'issue' | 'issuewild' | 'iodef'; value: string}; ttl?: number}

/** name (any case, with or without the trailing dot) → records. */
export type Zone = Record<string, ZoneRecord[]>

export type DnsFault = 'servfail' | 'refused' | 'noanswer' | 'malformed' | 'truncated' | 'drop'

export interface DnsQueryLog {
  name: string
  type: string
  transport: 'udp' | 'tcp'
}

export interface DnsServer {
  address: string
  port: number
  /** `127.0.0.1:PORT`, ready for a check's `resolver:`. */
  server: string
  /** Replaces the zone. */
  setRecords(zone: Zone): void
  /** Sets a fault for every name (no `name`) or one name; `undefined` clears it. */
  setFault(fault: DnsFault | undefined, name?: string): void
  /** Every query received, in order. */
  queries: DnsQueryLog[]
  close(): Promise<void>
}

const RCODE = {NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5} as const

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '')

function toAnswers(name: string, records: ZoneRecord[], type: string): dnsPacket.Answer[] {
  return records
    .filter((r) => r.type === type)
    .map((r) => {
      const base = {name, ttl: r.ttl ?? 60, class: 'IN' as const}
      if (r.type === 'TXT')
        return {...base, type: 'TXT', data: Array.isArray(r.data) ? r.data : [r.data]} as dnsPacket.Answer
      if (r.type === 'CAA')
        return {
          ...base,
          type: 'CAA',
          data: {flags: r.data.flags ?? 0, tag: r.data.tag, value: r.data.value},
        } as dnsPacket.Answer
      return {...base, type: r.type, data: r.data} as dnsPacket.Answer
    })
}

export async function startDnsServer(initial: Zone = {}): Promise<DnsServer> {
  let zone = new Map<string, ZoneRecord[]>()
  const faults = new Map<string, DnsFault>()
  const queries: DnsQueryLog[] = []
  const setRecords = (z: Zone) => {
    zone = new Map(Object.entries(z).map(([k, v]) => [norm(k), v]))
  }

  setRecords(initial)

  /** The reply to a query, or undefined for no reply. */
  const answer = (msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    let query: dnsPacket.DecodedPacket
    try {
      query = dnsPacket.decode(msg)
    } catch {
      return undefined
    }

    const q = query.questions?.[0]
    if (!q) return undefined
    const name = norm(q.name)
    queries.push({name, type: q.type, transport})
    const fault = faults.get(name) ?? faults.get('*')
    const reply = (rcode: number, answers: dnsPacket.Answer[] = [], extraFlags = 0) =>
      dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags:
          dnsPacket.RECURSION_DESIRED |
          dnsPacket.RECURSION_AVAILABLE |
          dnsPacket.AUTHORITATIVE_ANSWER |
          extraFlags |
          rcode,
        questions: [q],
        answers,
      })
    switch (fault) {
      case 'drop': {
        return undefined
      }

      case 'servfail': {
        return reply(RCODE.SERVFAIL)
      }

      case 'refused': {
        return reply(RCODE.REFUSED)
      }

      case 'noanswer': {
        return reply(RCODE.NOERROR)
      }

      case 'malformed': {
        // The right id and a header promising one answer, then bytes that are not a record.
        const bad = Buffer.alloc(20, 0xff)
        bad.writeUInt16BE(query.id ?? 0, 0)
        bad.writeUInt16BE(0x81_80, 2)
        bad.writeUInt16BE(1, 4)
        bad.writeUInt16BE(1, 6)
        return bad
      }

      case 'truncated': {
        if (transport === 'udp') return reply(RCODE.NOERROR, [], dnsPacket.TRUNCATED_RESPONSE)
        break
      }

      default: {
        break
      }
    }

    const records = zone.get(name)
    if (!records) return reply(RCODE.NXDOMAIN)
    const cname = records.find((r) => r.type === 'CNAME')
    if (cname && q.type !== 'CNAME') {
      const target = norm(cname.data as string)
      const followed = zone.get(target)
      return reply(RCODE.NOERROR, [
        ...toAnswers(q.name, [cname], 'CNAME'),
        ...(followed ? toAnswers(target, followed, q.type) : []),
      ])
    }

    return reply(RCODE.NOERROR, toAnswers(q.name, records, q.type))
  }

  const sockets = new Set<net.Socket>()
  const tcp = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    let buf = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0)
        const out = answer(buf.subarray(2, 2 + len), 'tcp')
        buf = buf.subarray(2 + len)
        if (out) {
          const framed = Buffer.alloc(2 + out.length)
          framed.writeUInt16BE(out.length, 0)
          out.copy(framed, 2)
          socket.write(framed)
        }
      }
    })
  })

  // Bind UDP on a free port, then TCP on the same number (a fresh UDP socket if TCP's is taken).
  let udp: dgram.Socket | undefined
  let port = 0
  for (let i = 0; !udp; i++) {
    const sock = dgram.createSocket('udp4')
    sock.on('message', (msg, rinfo) => {
      const out = answer(msg, 'udp')
      if (out) sock.send(out, rinfo.port, rinfo.address)
    })
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind(0, '127.0.0.1', () => {
        sock.off('error', reject)
        resolve()
      })
    })
    port = sock.address().port
    const ok = await new Promise<boolean>((resolve) => {
      const onError = () => resolve(false)
      tcp.once('error', onError)
      tcp.listen(port, '127.0.0.1', () => {
        tcp.off('error', onError)
        resolve(true)
      })
    })
    if (ok) udp = sock
    else {
      await new Promise<void>((resolve) => sock.close(() => resolve()))
      if (i >= 20) throw new Error('could not bind the test DNS server on UDP and TCP')
    }
  }

  const bound = udp

  return {
    address: '127.0.0.1',
    port,
    server: `127.0.0.1:${port}`,
    setRecords,
    setFault(fault, name) {
      const key = name === undefined ? '*' : norm(name)
      if (fault) faults.set(key, fault)
      else faults.delete(key)
    },
    queries,
    async close() {
      for (const s of sockets) s.destroy()
      await Promise.all([
        new Promise<void>((resolve) => bound.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ])
    },
  }
}
