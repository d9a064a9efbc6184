import {verifyChain} from '../incidents/chain.js'
import {clockNotesText, clockOutcome, clockOutcomeText} from '../incidents/clocks.js'
import {describeEvent} from '../incidents/describe.js'
import {formatLondon, formatUtc} from '../incidents/time.js'
import type {StoredResult} from '../store/results.js'
import type {Status} from '../types.js'
import {formatDuration} from '../util/duration.js'
import type {ExportInput} from './input.js'
import {actionItems, timeInSeverity} from './markdown.js'

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

const STATUS_COLOUR: Record<Status, string> = {ok: '#2e7d32', warn: '#f9a825', crit: '#c62828', unknown: '#6a1b9a'}

/** An inline SVG of each linked check over the window: latency as a line, status as a band of coloured ticks. */
export function statusChart(input: ExportInput): string {
  const checks = input.summary.checks
  if (checks.length === 0) return '<p>No checks are linked to this incident.</p>'
  const W = 900
  const rowH = 120
  const left = 60
  const right = 20
  const H = checks.length * rowH + 30
  const {from, to} = input.window
  const x = (t: number) => left + ((t - from) / Math.max(1, to - from)) * (W - left - right)
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Status and latency of the linked checks over the incident window">`]
  const marks: [number, string][] = [[input.summary.openedAt, 'opened']]
  if (input.summary.resolvedAt) marks.push([input.summary.resolvedAt, 'resolved'])
  checks.forEach((c, i) => {
    const top = i * rowH + 10
    const rs: StoredResult[] = input.results.filter((r) => r.checkId === c)
    const max = Math.max(1, ...rs.map((r) => r.durationMs))
    const y = (ms: number) => top + 70 - (ms / max) * 60
    parts.push(`<text x="4" y="${top + 12}" font-size="12" font-weight="bold">${esc(c)}</text>`)
    parts.push(`<text x="4" y="${top + 28}" font-size="10" fill="#555">${esc(`max ${Math.round(max)} ms`)}</text>`)
    parts.push(`<line x1="${left}" y1="${top + 70}" x2="${W - right}" y2="${top + 70}" stroke="#ccc"/>`)
    if (rs.length === 0) parts.push(`<text x="${left + 10}" y="${top + 50}" font-size="11" fill="#777">no results in the window</text>`)
    if (rs.length > 1) parts.push(`<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="${rs.map((r) => `${x(r.ts).toFixed(1)},${y(r.durationMs).toFixed(1)}`).join(' ')}"/>`)
    for (const r of rs) {
      parts.push(`<rect x="${(x(r.ts) - 2).toFixed(1)}" y="${top + 78}" width="4" height="14" fill="${STATUS_COLOUR[r.status]}"><title>${esc(`${formatUtc(r.ts)} ${r.status} ${Math.round(r.durationMs)} ms: ${r.summary}`)}</title></rect>`)
    }
  })
  for (const [t, label] of marks) {
    parts.push(`<line x1="${x(t).toFixed(1)}" y1="0" x2="${x(t).toFixed(1)}" y2="${H - 20}" stroke="#000" stroke-dasharray="4 3"/>`)
    parts.push(`<text x="${(x(t) + 3).toFixed(1)}" y="${H - 6}" font-size="10">${esc(`${label} ${formatUtc(t)}`)}</text>`)
  }
  parts.push(`<text x="${left}" y="${H - 6}" font-size="10" fill="#555">${esc(formatUtc(from))}</text>`, '</svg>')
  return parts.join('\n')
}

/** One self-contained HTML file: no scripts, no external assets, every user string escaped. */
export function htmlExport(input: ExportInput): string {
  const {summary: s, events} = input
  const chain = verifyChain(events, s.id)
  const row = (cells: unknown[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`
  const clocks = s.clocks.map((c) => {
    const outcome = clockOutcome(c, input.now)
    return `<tr class="clock-${outcome}"><td>${esc(c.name)}</td><td>${esc(c.to)}</td><td>${esc(formatUtc(c.startedAt))}</td><td>${esc(formatUtc(c.dueAt))}</td><td>${esc(c.stoppedAt ? formatUtc(c.stoppedAt) : '')}</td><td class="outcome">${esc(clockOutcomeText(c, input.now))}</td><td>${clockNotesText(c).map(esc).join('<br>')}</td></tr>`
  }).join('\n')
  return `<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`Incident ${s.id}: ${s.title}`)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem;color:#212b32;max-width:1100px}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d8dde0}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #d8dde0;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f4f5}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.clock-on_time .outcome{color:#2e7d32}.clock-late .outcome,.clock-overdue .outcome{color:#c62828;font-weight:bold}.clock-not_required .outcome{color:#005eb8}
.bad{color:#c62828;font-weight:bold}
</style>
</head>
<body>
<h1 id="title">${esc(`Incident ${s.id}: ${s.title}`)}</h1>
<table id="summary">
${row(['Severity', s.severity])}
${row(['State', s.state])}
${s.service ? row(['Service', s.service]) : ''}
${row(['Opened', `${formatUtc(s.openedAt)} (${formatLondon(s.openedAt)})`])}
${s.resolvedAt ? row(['Resolved', `${formatUtc(s.resolvedAt)} (${formatLondon(s.resolvedAt)})`]) : ''}
${input.playbook ? row(['Playbook', `${input.playbook.name} (${input.playbook.id})`]) : ''}
${Object.entries(timeInSeverity(input)).map(([k, v]) => row([`Time in ${k}`, formatDuration(v)])).join('\n')}
${Object.entries(s.roles).map(([r, p]) => row([input.playbook?.roles[r]?.name ?? r, p])).join('\n')}
<tr><td>Chain head</td><td class="mono">${esc(chain.head)} (${events.length} events${chain.ok ? '' : ', <span class="bad">does not verify</span>'})</td></tr>
</table>
<h2>Checks over the incident window</h2>
${statusChart(input)}
<h2>Regulatory clocks</h2>
${s.clocks.length === 0 ? '<p>No clocks were started.</p>' : `<table id="clocks"><thead>${row(['Clock', 'To', 'Started (UTC)', 'Due (UTC)', 'Stopped (UTC)', 'Outcome', 'Reasoning and corrections'], 'th')}</thead><tbody>\n${clocks}\n</tbody></table>`}
<h2>Timeline</h2>
<table id="timeline"><thead>${row(['#', 'Time (UTC)', 'Europe/London', 'Actor', 'Type', 'Event'], 'th')}</thead><tbody>
${events.map((e) => row([e.seq, formatUtc(e.occurredAt), formatLondon(e.occurredAt), e.actor, e.type, describeEvent(e)])).join('\n')}
</tbody></table>
<h2>Action items</h2>
${(() => {
    const a = actionItems(input)
    return a.length === 0 ? '<p>None recorded.</p>' : `<ul>${a.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`
  })()}
<p>Exported ${esc(new Date(input.now).toISOString())} by watchkeeper. Verify the chain with <code>watchkeeper incident verify ${s.id}</code>.</p>
</body>
</html>
`
}
