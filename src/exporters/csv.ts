import type {ExportInput} from './input.js'
import {canonicalJson} from '../incidents/chain.js'
import {describeEvent} from '../incidents/describe.js'
import {formatLondon} from '../incidents/time.js'
import {csvField} from '../util/csv.js'

export const CSV_COLUMNS = [
  'seq',
  'occurred_at_utc',
  'occurred_at_london',
  'recorded_at_utc',
  'actor',
  'type',
  'description',
  'data',
  'prev_hash',
  'hash',
]

/** One event a row, CRLF line ends. */
export function csvExport(input: ExportInput): string {
  const rows = [CSV_COLUMNS.join(',')]
  for (const e of input.events) {
    rows.push(
      [
        e.seq,
        new Date(e.occurredAt).toISOString(),
        formatLondon(e.occurredAt),
        new Date(e.recordedAt).toISOString(),
        e.actor,
        e.type,
        describeEvent(e),
        canonicalJson(e.data),
        e.prevHash,
        e.hash,
      ]
        .map(csvField)
        .join(','),
    )
  }

  return rows.join('\r\n') + '\r\n'
}

export {csvField} from '../util/csv.js'
