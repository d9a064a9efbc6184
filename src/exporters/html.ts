import type {StoredResult} from '../store/results.js'
import type {Status} from '../types.js'
import type {ExportInput} from './input.js'
import {type TimelineEvent, verifyChain} from '../incidents/chain.js'
import {clockNotesText, clockOutcome, clockOutcomeText} from '../incidents/clocks.js'
import {commandRunOf, exitText, EXPORT_OUTPUT_CAP, neutralise, outputExcerpt} from '../incidents/command-output.js'
import {describeEvent} from '../incidents/describe.js'
import {formatLondon, formatUtc} from '../incidents/time.js'
import {quoteArg} from '../playbooks/engine.js'
import {formatDuration} from '../util/duration.js'
import {actionItems, timeInSeverity} from './markdown.js'

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(s: unknown): string {
  return neutralise(String(s ?? ''))
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

const STATUS_COLOUR: Record<Status, string> = {ok: '#2e7d32', warn: '#f9a825', crit: '#c62828', unknown: '#6a1b9a'}

/** Average glyph width of the sans-serif labels as a share of the font size; generous, so estimates err wide. */
const GLYPH = 0.62
const textWidth = (text: string, size: number) => text.length * size * GLYPH

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const TIME_STEPS = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
]

const pad2 = (n: number) => String(n).padStart(2, '0')
/** A tick label in UTC: seconds only when the step needs them, the date where it changes. */
function tickLabel(t: number, step: number, withDate: boolean): string {
  const d = new Date(t)
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}${step < MINUTE ? `:${pad2(d.getUTCSeconds())}` : ''}`
  return withDate ? `${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)} ${hm}` : hm
}

/** Time ticks on whole steps of UTC, the smallest step whose labels keep a gap of at least `gap` px between them. */
export function timeTicks(from: number, to: number, px: number, size: number, gap = 12): {t: number; label: string}[] {
  const span = Math.max(1, to - from)
  const multiDay = new Date(from).toISOString().slice(0, 10) !== new Date(to).toISOString().slice(0, 10)
  for (const step of TIME_STEPS) {
    const widest = textWidth(tickLabel(to, step, multiDay), size)
    if ((step / span) * px < widest + gap) continue
    const ticks: {t: number; label: string}[] = []
    let lastDay = ''
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
      const day = new Date(t).toISOString().slice(0, 10)
      ticks.push({t, label: tickLabel(t, step, multiDay && day !== lastDay)})
      lastDay = day
    }

    return ticks
  }

  return [{t: from, label: tickLabel(from, DAY, true)}]
}

/** 0 and round latency values (1, 2, 2.5 or 5 × 10^k whole ms) up to at least max, at most `most` of them above zero. */
export function latencyTicks(max: number, most = 4): number[] {
  const raw = Math.max(1, max / most)
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw && Number.isInteger(s)) ?? 10 * mag
  const ticks = [0]
  while (ticks.at(-1)! < max) ticks.push(ticks.at(-1)! + step)
  if (ticks.length === 1) ticks.push(step)
  return ticks
}

/** Places labels left to right in lanes so that none overlaps another: each goes in the first lane with room. */
function laneLabels(
  items: {x: number; text: string}[],
  size: number,
  left: number,
  right: number,
): {x: number; lane: number; anchor: 'start' | 'end'; text: string}[] {
  const ends: number[] = []
  return [...items]
    .sort((a, b) => a.x - b.x)
    .map((it) => {
      const w = textWidth(it.text, size)
      const anchor = it.x + 3 + w > right ? ('end' as const) : ('start' as const)
      const x0 = anchor === 'start' ? it.x + 3 : Math.max(left, it.x - 3 - w)
      let lane = ends.findIndex((end) => end + 8 <= x0)
      if (lane < 0) lane = ends.push(0) - 1
      ends[lane] = x0 + w
      return {x: anchor === 'start' ? it.x + 3 : it.x - 3, lane, anchor, text: it.text}
    })
}

/** The chart's frame: its width, margins, font size, time scale and where the panels and the time axis sit. */
interface ChartFrame {
  W: number
  left: number
  right: number
  font: number
  from: number
  to: number
  x: (t: number) => number
  fx: (t: number) => string
  /** Height of the incident moments' label lanes above the panels. */
  head: number
  axisY: number
}

const PANEL_H = 140
const PLOT_H = 80

/** One check's panel: its latency over a labelled scale and a band of status ticks, one per result. */
function checkPanel(f: ChartFrame, results: readonly StoredResult[], c: string, i: number): string[] {
  const {W, left, right, font, from, to, x, fx} = f
  const top = f.head + i * PANEL_H + 22
  const bottom = top + PLOT_H
  const rs: StoredResult[] = results.filter((r) => r.checkId === c && r.ts >= from && r.ts <= to)
  const ticks = latencyTicks(Math.max(0, ...rs.map((r) => r.durationMs)))
  const yMax = Math.max(...ticks)
  const y = (ms: number) => bottom - (ms / yMax) * PLOT_H
  const parts: string[] = [`<g class="check" data-check="${esc(c)}">`]
  parts.push(
    `<text class="check-name" x="${left}" y="${top - 8}" font-size="${font + 1}" font-weight="bold">${esc(c)}</text>`,
    `<rect class="plot" x="${left}" y="${top}" width="${W - left - right}" height="${PLOT_H}" fill="#fafbfb" stroke="#d8dde0"/>`,
    `<g class="y-axis">`,
  )
  for (const v of ticks) {
    parts.push(
      `<line x1="${left - 4}" y1="${y(v).toFixed(1)}" x2="${W - right}" y2="${y(v).toFixed(1)}" stroke="${v === 0 ? '#888' : '#e6e9eb'}"/>`,
    )
    parts.push(
      `<text class="y-label" x="${left - 7}" y="${(y(v) + 4).toFixed(1)}" font-size="${font - 1}" text-anchor="end" fill="#444">${v}</text>`,
    )
  }

  parts.push(
    `<text class="y-title" x="${left - 7}" y="${top - 8}" font-size="${font - 1}" text-anchor="end" fill="#444">ms</text>`,
    '</g>',
  )
  if (rs.length === 0)
    parts.push(
      `<text x="${left + 10}" y="${top + PLOT_H / 2}" font-size="${font}" fill="#777">no results in the window</text>`,
    )
  if (rs.length > 1)
    parts.push(
      `<polyline class="latency" fill="none" stroke="#1565c0" stroke-width="1.5" points="${rs.map((r) => `${fx(r.ts)},${y(r.durationMs).toFixed(1)}`).join(' ')}"/>`,
    )
  if (rs.length === 1)
    parts.push(
      `<circle class="latency" cx="${fx(rs[0].ts)}" cy="${y(rs[0].durationMs).toFixed(1)}" r="2.5" fill="#1565c0"/>`,
    )
  for (const r of rs) {
    parts.push(
      `<rect class="status" x="${(x(r.ts) - 2).toFixed(1)}" y="${bottom + 6}" width="4" height="14" fill="${STATUS_COLOUR[r.status]}"><title>${esc(`${formatUtc(r.ts)} ${r.status} ${Math.round(r.durationMs)} ms: ${r.summary}`)}</title></rect>`,
    )
  }

  parts.push('</g>')
  return parts
}

/** The UTC time axis under all panels, its title, and the status colours' legend. */
function timeAxis(f: ChartFrame): string[] {
  const {W, left, right, font, from, to, fx, axisY} = f
  const parts = [`<g class="x-axis"><line x1="${left}" y1="${axisY}" x2="${W - right}" y2="${axisY}" stroke="#444"/>`]
  for (const t of timeTicks(from, to, W - left - right, font - 1)) {
    parts.push(`<line x1="${fx(t.t)}" y1="${axisY}" x2="${fx(t.t)}" y2="${axisY + 5}" stroke="#444"/>`)
    parts.push(
      `<text class="tick-label" x="${fx(t.t)}" y="${axisY + 18}" font-size="${font - 1}" text-anchor="middle" fill="#444">${esc(t.label)}</text>`,
    )
  }

  parts.push(
    `<text class="axis-title" x="${left}" y="${axisY + 38}" font-size="${font - 1}" fill="#444">${esc(`time (UTC), ${formatUtc(from)} to ${formatUtc(to)}`)}</text>`,
  )
  const legend = Object.entries(STATUS_COLOUR)
  let lx = W - right - legend.reduce((n, [k]) => n + 20 + textWidth(k, font - 1), 0)
  for (const [k, colour] of legend) {
    parts.push(
      `<rect class="legend" x="${lx.toFixed(1)}" y="${axisY + 29}" width="10" height="10" fill="${colour}"/><text class="legend-label" x="${(lx + 14).toFixed(1)}" y="${axisY + 38}" font-size="${font - 1}" fill="#444">${k}</text>`,
    )
    lx += 20 + textWidth(k, font - 1)
  }

  parts.push('</g>')
  return parts
}

/**
 * An inline SVG of each linked check over the incident window: latency as a line against a labelled scale,
 * status as a band of coloured ticks, one UTC time axis under them all, and the incident's moments (opened,
 * resolved, closed) as dashed lines whose labels are set in lanes so that they never overlap.
 */
export function statusChart(input: ExportInput): string {
  const {checks} = input.summary
  if (checks.length === 0) return '<p>No checks are linked to this incident.</p>'
  const W = 900
  const left = 64
  const right = 24
  const font = 11
  const {from, to} = input.window
  const x = (t: number) => left + ((t - from) / Math.max(1, to - from)) * (W - left - right)
  const fx = (t: number) => x(t).toFixed(1)
  const marks: [number, string][] = [[input.summary.openedAt, 'opened']]
  if (input.summary.resolvedAt) marks.push([input.summary.resolvedAt, 'resolved'])
  if (input.summary.closedAt) marks.push([input.summary.closedAt, 'closed'])
  const multiDay = new Date(from).toISOString().slice(0, 10) !== new Date(to).toISOString().slice(0, 10)
  const labels = laneLabels(
    marks
      .filter(([t]) => t >= from && t <= to)
      .map(([t, l]) => ({x: x(t), text: `${l} ${tickLabel(t, SECOND, multiDay)}`})),
    font,
    left,
    W - right,
  )
  const lanes = Math.max(1, ...labels.map((l) => l.lane + 1))
  const head = lanes * (font + 5) + 6
  const axisY = head + checks.length * PANEL_H + 4
  const H = axisY + 60
  const frame: ChartFrame = {W, left, right, font, from, to, x, fx, head, axisY}
  const parts: string[] = [
    `<svg id="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" font-family="system-ui, Arial, sans-serif" role="img" ` +
      `aria-label="Latency and status of the linked checks from ${esc(formatUtc(from))} to ${esc(formatUtc(to))}" data-from="${from}" data-to="${to}">`,
    ...checks.flatMap((c, i) => checkPanel(frame, input.results, c, i)),
    ...timeAxis(frame),
  ]
  parts.push('<g class="marks">')
  for (const [t] of marks)
    if (t >= from && t <= to)
      parts.push(
        `<line x1="${fx(t)}" y1="${head - 4}" x2="${fx(t)}" y2="${axisY}" stroke="#000" stroke-dasharray="4 3"/>`,
      )
  for (const l of labels)
    parts.push(
      `<text class="mark-label" x="${l.x.toFixed(1)}" y="${l.lane * (font + 5) + font + 2}" font-size="${font}" text-anchor="${l.anchor}">${esc(l.text)}</text>`,
    )
  parts.push('</g>', '</svg>')
  return parts.join('\n')
}

/** Each command run: the exact argv and its output as preformatted text (neutralised, escaped, capped), then its result. */
function commandsRun(events: readonly TimelineEvent[]): string {
  const runs = events.filter((e) => e.type === 'command_run')
  if (runs.length === 0) return ''
  return `<h2>Commands run</h2>\n${runs
    .map((e) => {
      const r = commandRunOf(e.data)
      const ex = outputExcerpt(r, EXPORT_OUTPUT_CAP)
      const ok = r.exitCode === 0 && !r.timedOut
      return `<div class="command" id="command-${e.seq}"><h3>${esc(`${formatUtc(e.occurredAt)} at step ${String(e.data.step ?? '')}`)}</h3>
<pre class="output"><span class="argv">$ ${esc(r.argv.map(quoteArg).join(' '))}</span>\n${ex.lines.map(esc).join('\n')}</pre>
<p><span class="${ok ? 'ok' : 'bad'}">${esc(exitText(r))}</span>${r.durationMs === undefined ? '' : esc(` in ${formatDuration(r.durationMs)}`)}; ${r.outputBytes} bytes of output, SHA-256 <code>${esc(r.outputSha256)}</code>.${ex.cut ? ` <span class="cut">Output cut: ${esc(ex.cut)}</span>` : ''}</p></div>`
    })
    .join('\n')}`
}

/** One self-contained HTML file: no scripts, no external assets, every user string escaped. */
export function htmlExport(input: ExportInput): string {
  const {summary: s, events} = input
  const chain = verifyChain(events, s.id)
  const row = (cells: unknown[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`
  const clocks = s.clocks
    .map((c) => {
      const outcome = clockOutcome(c, input.now)
      return `<tr class="clock-${outcome}"><td>${esc(c.name)}</td><td>${esc(c.to)}</td><td>${esc(formatUtc(c.startedAt))}</td><td>${esc(formatUtc(c.dueAt))}</td><td>${esc(c.stoppedAt ? formatUtc(c.stoppedAt) : '')}</td><td class="outcome">${esc(clockOutcomeText(c, input.now))}</td><td>${clockNotesText(c).map(esc).join('<br>')}</td></tr>`
    })
    .join('\n')
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
.ok{color:#2e7d32;font-weight:bold}.cut{color:#8a5a00}
pre.output{background:#f0f4f5;border:1px solid #d8dde0;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:.85rem}.argv{font-weight:bold}
h3{font-size:1rem;margin-bottom:.3rem}#timeline td:nth-child(2),#timeline td:nth-child(3){white-space:nowrap}
</style>
</head>
<body>
<h1 id="title">${esc(`Incident ${s.id}: ${s.title}`)}</h1>
${s.exerciseId !== null && s.exerciseId !== undefined ? `<p id="exercise" class="bad">EXERCISE: this record comes from exercise ${esc(s.exerciseId)}, a rehearsal against a simulated estate, not a real incident.</p>` : ''}
<table id="summary">
${row(['Severity', s.severity])}
${row(['State', s.state])}
${s.service ? row(['Service', s.service]) : ''}
${row(['Opened', `${formatUtc(s.openedAt)} (${formatLondon(s.openedAt)})`])}
${s.resolvedAt ? row(['Resolved', `${formatUtc(s.resolvedAt)} (${formatLondon(s.resolvedAt)})`]) : ''}
${input.playbook ? row(['Playbook', `${input.playbook.name} (${input.playbook.id})`]) : ''}
${Object.entries(timeInSeverity(input))
  .map(([k, v]) => row([`Time in ${k}`, formatDuration(v)]))
  .join('\n')}
${Object.entries(s.roles)
  .map(([r, p]) => row([input.playbook?.roles[r]?.name ?? r, p]))
  .join('\n')}
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
${commandsRun(events)}
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
