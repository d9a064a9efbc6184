import type {FromSchema} from '../util/schema-type.js'
import type {ProbeSpec} from './types.js'
import {regexProblem} from '../util/safe-regex.js'

const properties = {
  banner: {type: 'string', description: 'regular expression the first bytes the server sends must match'},
  send: {type: 'string', description: 'text to send after connecting (before reading the banner)'},
  banner_bytes: {
    type: 'integer',
    minimum: 1,
    maximum: 65_536,
    description: 'bytes of banner to read at most (default 1024)',
  },
} as const

/** The tcp probe's own keys, as its schema describes them. */
export type TcpOptions = FromSchema<{readonly type: 'object'; readonly properties: typeof properties}>

/** The tcp probe's schema and validation (its run() is in tcp.ts). */
export const tcpSpec: ProbeSpec = {
  kind: 'tcp',
  description: 'TCP connect time, with an optional banner match',
  targetSchema: {
    type: 'string',
    pattern: String.raw`^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$`,
    description: 'host:port, e.g. mail.example.org:25',
  },
  properties,
  validate(o) {
    const problems: {path: string[]; message: string}[] = []
    const bad = typeof o.banner === 'string' ? regexProblem(o.banner) : undefined
    if (bad) problems.push({path: ['banner'], message: bad})
    return problems
  },
}
