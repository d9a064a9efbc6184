/**
 * Compares two V8 heap snapshots (.heapsnapshot, as written by `node --heapsnapshot-signal` or
 * v8.writeHeapSnapshot): live objects and their own bytes grouped by type and constructor, sorted by
 * what grew the most from the first to the second.
 *
 *   npx tsx bench/watch/heap-diff.ts A.heapsnapshot B.heapsnapshot [--top 30]
 */
import fs from 'node:fs'
import {fileURLToPath} from 'node:url'

export interface HeapGroup {
  count: number
  bytes: number
}

interface Snapshot {
  snapshot: {meta: {node_fields: string[]; node_types: [string[], ...unknown[]]}}
  nodes: number[]
  strings: string[]
}

/** Types whose names are their contents (strings, numbers, code), grouped by type alone. */
const BY_TYPE = new Set([
  'string',
  'concatenated string',
  'sliced string',
  'number',
  'bigint',
  'code',
  'hidden',
  'array',
  'symbol',
  'native',
])

/** Live nodes of a snapshot by "type name" (constructor for objects, function name for closures). */
export function heapGroups(file: string): Map<string, HeapGroup> {
  const s = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot
  const fields = s.snapshot.meta.node_fields
  const types = s.snapshot.meta.node_types[0]
  const width = fields.length
  const iType = fields.indexOf('type')
  const iName = fields.indexOf('name')
  const iSize = fields.indexOf('self_size')
  const out = new Map<string, HeapGroup>()
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]]
    const name = BY_TYPE.has(type) ? '' : s.strings[s.nodes[i + iName]].slice(0, 60)
    const key = name ? `${type} ${name}` : `(${type})`
    const g = out.get(key) ?? {count: 0, bytes: 0}
    g.count++
    g.bytes += s.nodes[i + iSize]
    out.set(key, g)
  }

  return out
}

export interface HeapDiffRow {
  key: string
  countA: number
  countB: number
  bytesA: number
  bytesB: number
}

export function diffGroups(a: Map<string, HeapGroup>, b: Map<string, HeapGroup>): HeapDiffRow[] {
  const keys = new Set([...a.keys(), ...b.keys()])
  return [...keys].map((key) => ({
    key,
    countA: a.get(key)?.count ?? 0,
    countB: b.get(key)?.count ?? 0,
    bytesA: a.get(key)?.bytes ?? 0,
    bytesB: b.get(key)?.bytes ?? 0,
  }))
}

/** The rows that grew most by bytes and by count, as a printable table. */
export function formatDiff(rows: HeapDiffRow[], top = 25): string {
  const total = (k: 'countA' | 'countB' | 'bytesA' | 'bytesB') => rows.reduce((n, r) => n + r[k], 0)
  const line = (r: HeapDiffRow) =>
    `${r.key.padEnd(64)} ${String(r.countA).padStart(9)} ${String(r.countB).padStart(9)} ${String(r.countB - r.countA).padStart(8)} ` +
    `${(r.bytesA / 1024).toFixed(0).padStart(9)} ${(r.bytesB / 1024).toFixed(0).padStart(9)} ${((r.bytesB - r.bytesA) / 1024).toFixed(0).padStart(8)}`
  const head = `${'type constructor'.padEnd(64)} ${'count A'.padStart(9)} ${'count B'.padStart(9)} ${'Δ count'.padStart(8)} ${'KiB A'.padStart(9)} ${'KiB B'.padStart(9)} ${'Δ KiB'.padStart(8)}`
  const byBytes = [...rows].sort((x, y) => y.bytesB - y.bytesA - (x.bytesB - x.bytesA)).slice(0, top)
  const byCount = [...rows].sort((x, y) => y.countB - y.countA - (x.countB - x.countA)).slice(0, top)
  const biggest = [...rows].sort((x, y) => y.bytesB - x.bytesB).slice(0, top)
  return [
    `total: ${total('countA')} → ${total('countB')} objects, ${(total('bytesA') / 2 ** 20).toFixed(1)} → ${(total('bytesB') / 2 ** 20).toFixed(1)} MiB`,
    '',
    'grew most by bytes:',
    head,
    ...byBytes.map(line),
    '',
    'grew most by count:',
    head,
    ...byCount.map(line),
    '',
    'largest in B:',
    head,
    ...biggest.map(line),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--top')
  const [a, b] = process.argv.slice(2).filter((x, j) => !x.startsWith('--') && (i === -1 || j + 2 !== i + 1))
  if (!a || !b) {
    console.error('usage: heap-diff.ts A.heapsnapshot B.heapsnapshot [--top N]')
    process.exit(2)
  }

  console.log(formatDiff(diffGroups(heapGroups(a), heapGroups(b)), i > 0 ? Number(process.argv[i + 1]) : 25))
}
