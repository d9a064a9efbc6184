import type {FindingDef} from '../findings.js'

function cell(s: string): string {
  return s.replaceAll('|', String.raw`\|`).replaceAll('\n', ' ')
}

/** The README's table of finding ids, grouped by their first segment. */
export function findingsMarkdown(list: readonly FindingDef[]): string {
  const rows = [...list].sort((a, b) => a.id.localeCompare(b.id))
  return [
    '| id | severity | criterion | reference |',
    '|---|---|---|---|',
    ...rows.map((f) => `| \`${f.id}\` | ${f.severity} | ${cell(f.criterion)} | ${cell(f.reference)} |`),
  ].join('\n')
}
