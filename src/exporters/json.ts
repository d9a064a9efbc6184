import type {ExportInput} from './input.js'
import {canonicalJson, sha256Hex, type TimelineEvent, verifyChain} from '../incidents/chain.js'
import {clocksFromEvents, clocksJson} from '../incidents/clocks.js'
import {decodeEnvelope, decodeTimeline, EventDecodeError} from '../incidents/events.js'
import {replay} from '../incidents/service.js'

export const EXPORT_FORMAT = 'watchkeeper-incident-export/1'

export interface IncidentExport {
  format: string
  exportedAt: string
  incident: Record<string, unknown>
  clocks: unknown[]
  events: TimelineEvent[]
  chain: {algorithm: 'sha256'; count: number; head: string}
  /** SHA-256 of the canonical JSON of this document without `digest`. */
  digest: string
}

/** Serialises exactly as written to disk; verification re-serialises and compares bytes. */
export function serialiseExport(doc: IncidentExport): string {
  return JSON.stringify(doc, null, 2) + '\n'
}

export function jsonExport(input: ExportInput): string {
  const body = exportBody(input)
  return serialiseExport({...body, digest: sha256Hex(canonicalJson(body))})
}

/** The export document without its digest. */
export function exportBody(input: ExportInput): Omit<IncidentExport, 'digest'> {
  const {summary: s, events} = input
  const chain = verifyChain(events, s.id)
  const body: Omit<IncidentExport, 'digest'> = {
    format: EXPORT_FORMAT,
    exportedAt: new Date(input.now).toISOString(),
    incident: {
      id: s.id,
      title: s.title,
      severity: s.severity,
      state: s.state,
      service: s.service,
      openedAt: s.openedAt,
      resolvedAt: s.resolvedAt,
      closedAt: s.closedAt,
      checks: s.checks,
      roles: s.roles,
      playbook: s.playbookId ? {id: s.playbookId, sha256: s.playbookSha256} : null,
    },
    clocks: clocksJson(events, input.now),
    events: [...events],
    chain: {algorithm: 'sha256', count: events.length, head: chain.head},
  }
  return body
}

export interface ExportVerifyReport {
  ok: boolean
  incidentId?: number
  count: number
  head?: string
  firstBad?: {seq: number; reason: string}
  problems: string[]
}

/** The export's clocks against the timeline, at the export time (exports before outcome words compare times only). */
function clocksMatch(clocks: unknown, events: TimelineEvent[], exportedAt: number): boolean {
  if (!Array.isArray(clocks)) return false
  if (clocks.every((c) => c && typeof c === 'object' && 'outcome' in c))
    return canonicalJson(clocks) === canonicalJson(clocksJson(events, exportedAt))
  const times = (c: {name?: unknown; startedAt?: unknown; dueAt?: unknown; stoppedAt?: unknown}) => [
    c.name,
    c.startedAt,
    c.dueAt,
    c.stoppedAt,
  ]
  const recorded: unknown[] = clocks.map((c: unknown) => (c !== null && typeof c === 'object' ? times(c) : c))
  return canonicalJson(recorded) === canonicalJson([...clocksFromEvents(events).values()].map(times))
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** The parts of an export document verification reads, checked; a message when it is not an export at all. */
export function exportDocument(text: string): {doc: Record<string, unknown>; events: TimelineEvent[]} | string {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    return `not valid JSON: ${error instanceof Error ? error.message : String(error)}`
  }

  if (!isRecord(doc) || doc.format !== EXPORT_FORMAT || !Array.isArray(doc.events))
    return `not a watchkeeper incident export (format ${EXPORT_FORMAT})`
  try {
    return {doc, events: doc.events.map((e: unknown, i) => decodeEnvelope(e, i))}
  } catch (error) {
    if (error instanceof EventDecodeError) return `malformed event: ${error.message}`
    throw error
  }
}

/** Verifies an export offline: the chain, its head, the summary against the timeline, the digest and the bytes. */
export function verifyExportText(text: string): ExportVerifyReport {
  const read = exportDocument(text)
  if (typeof read === 'string') return {ok: false, count: 0, problems: [read]}
  const {doc, events} = read
  const problems: string[] = []
  const inc = isRecord(doc.incident) ? doc.incident : {}
  const recorded = isRecord(doc.chain) ? doc.chain : {}
  const id = Number(inc.id)
  const chain = verifyChain(events, id)
  if (chain.firstBad) problems.push(`event ${chain.firstBad.seq}: ${chain.firstBad.reason}`)
  else {
    problems.push(...decodeTimeline(events).problems.map((p) => p.message))
    if (recorded.head !== chain.head)
      problems.push(`chain head is recorded as ${String(recorded.head)} but the events give ${chain.head}`)
    if (recorded.count !== events.length)
      problems.push(`chain count is recorded as ${String(recorded.count)} but there are ${events.length} events`)
    const r = replay(undefined, events)
    if (inc.title !== r.title) problems.push('the incident title does not match the timeline')
    if (inc.severity !== r.severity) problems.push('the incident severity does not match the timeline')
    if (inc.state !== r.state) problems.push('the incident state does not match the timeline')
    if (!clocksMatch(doc.clocks, events, Date.parse(String(doc.exportedAt))))
      problems.push('the clocks do not match the timeline')
  }

  const {digest, ...body} = doc
  if (sha256Hex(canonicalJson(body)) !== digest) problems.push('the document digest does not match its content')
  if (problems.length === 0 && JSON.stringify(doc, null, 2) + '\n' !== text)
    problems.push('the file is not byte-for-byte as exported (edited or re-formatted)')
  return {
    ok: problems.length === 0,
    incidentId: id,
    count: events.length,
    head: chain.head,
    ...(chain.firstBad ? {firstBad: chain.firstBad} : {}),
    problems,
  }
}

/** The timeline events of an export that verifies as an export document (for the seal check); empty when it does not read. */
export function exportEvents(text: string): TimelineEvent[] {
  const read = exportDocument(text)
  return typeof read === 'string' ? [] : read.events
}
