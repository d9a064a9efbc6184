import {termText} from '../ui/terminal-text.js'

/**
 * The one CSV field writer (RFC 4180), for incident exports and report CSVs alike. Text a spreadsheet
 * would run as a formula (starting =, +, -, @, tab or CR) is prefixed with an apostrophe (OWASP CSV
 * injection advice); numbers are data and are written as they are. null and undefined are empty.
 */
export function csvField(value: unknown): string {
  if (typeof value === 'number') return String(value)
  // Controls are shown visibly, as on a terminal; line breaks stay inside the quoted field.
  let s = termText(value, {multiline: true})
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}
