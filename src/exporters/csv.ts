import {describeEvent} from '../incidents/describe.js'
import {formatLondon} from '../incidents/time.js'
import {canonicalJson} from '../incidents/chain.js'
import {termText} from '../ui/terminal-text.js'
import type {ExportInput} from './input.js'

/**
 * One CSV field per RFC 4180. Text a spreadsheet would run as a formula (starting =, +, -, @, tab or CR)
 * is prefixed with an apostrophe (OWASP CSV injection advice).
 */
export function csvField(value: unknown): string {
  // Controls are shown visibly, as on a terminal; line breaks stay inside the quoted field.
  let s = termText(value, {multiline: true})
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export const CSV_COLUMNS = ['seq', 'occurred_at_utc', 'occurred_at_london', 'recorded_at_utc', 'actor', 'type', 'description', 'data', 'prev_hash', 'hash']

/** One event a row, CRLF line ends. */
export function csvExport(input: ExportInput): string {
  const rows = [CSV_COLUMNS.join(',')]
  for (const e of input.events) {
    rows.push([e.seq, new Date(e.occurredAt).toISOString(), formatLondon(e.occurredAt), new Date(e.recordedAt).toISOString(), e.actor, e.type,
      describeEvent(e), canonicalJson(e.data), e.prevHash, e.hash].map(csvField).join(','))
  }
  return rows.join('\r\n') + '\r\n'
}
