import {esc} from '../exporters/html.js'
import {londonOffsetMs, londonParts} from '../incidents/time.js'
import {formatDuration} from '../util/duration.js'
import {BADGE_COLOURS, formatMs, formatPercent, uptimeColour} from './badge.js'
import {
  CHECK_ID_RE,
  type CheckDetail,
  type CheckView,
  type HistoryBar,
  type Latency,
  type PageState,
  type StatusModel,
  UPTIME_PERIODS,
} from './model.js'

/*
 * Server-rendered status pages: no scripts, no external assets (a CSP says so), every stored string escaped.
 * State is a word as well as a colour; times are Europe/London with UTC beside them.
 */

export interface PageOptions {
  /** Seconds between automatic reloads (meta refresh); 0 for none. */
  refreshSeconds: number
}

const two = (n: number) => String(n).padStart(2, '0')

const HOUR = 3_600_000
const offsets = new Map<number, number>()

/** London's offset from UTC in the UTC hour holding `t`, looked up once per hour (London's clocks change on the hour, at 01:00 UTC). */
function londonOffset(t: number): number {
  const hour = Math.floor(t / HOUR)
  let o = offsets.get(hour)
  if (o === undefined) {
    if (offsets.size >= 50_000) offsets.clear()
    offsets.set(hour, (o = londonOffsetMs(hour * HOUR)))
  }

  return o
}

/** `2026-12-01 23:05 GMT (23:05 UTC)` in a <time> element carrying the ISO instant. */
export function timeHtml(iso: string | null, opts: {date?: boolean} = {}): string {
  if (iso === null) return '<span class="none">never</span>'
  const t = Date.parse(iso)
  const offset = londonOffset(t)
  const l = new Date(t + offset)
  const d = new Date(t)
  const date = opts.date === false ? '' : `${l.getUTCFullYear()}-${two(l.getUTCMonth() + 1)}-${two(l.getUTCDate())} `
  const london = `${date}${two(l.getUTCHours())}:${two(l.getUTCMinutes())} ${offset === 0 ? 'GMT' : 'BST'}`
  const utc = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`
  return `<time datetime="${esc(iso)}">${london}</time> <span class="utc">(${utc})</span>`
}

const STATE_TEXT: Record<PageState, string> = {
  ok: 'ok',
  degraded: 'degraded',
  failing: 'failing',
  pending: 'pending',
  maintenance: 'maintenance',
  unknown: 'unknown',
}
/** A glyph beside the word, so the state reads without colour (hidden from screen readers, which read the word). */
const STATE_GLYPH: Record<PageState, string> = {
  ok: '✓',
  degraded: '!',
  failing: '✕',
  pending: '…',
  maintenance: '⚒',
  unknown: '?',
}

function statePill(s: PageState): string {
  return `<span class="st st-${s}"><span aria-hidden="true">${STATE_GLYPH[s]}</span> ${STATE_TEXT[s]}</span>`
}

/** Uptime as its figure after a bar (decorative: its fill is a gradient stop); the column heading names the period. */
function uptimeCell(pct: number | null): string {
  const w = pct === null ? 0 : Math.max(2, Math.min(100, pct))
  return `<i class="f-${uptimeColour(pct)}" style="--w:${w.toFixed(1)}%"></i>${formatPercent(pct)}`
}

function latencyText(l: Latency | null): string {
  return l ? `${formatMs(l.p50Ms)} / ${formatMs(l.p95Ms)}` : '<span class="none">no data</span>'
}

/** The overview's check columns; on narrow screens each cell is labelled with its column's name. */
const CHECK_COLUMNS = ['Check', 'State', 'Since', ...UPTIME_PERIODS.map((p) => `${p} uptime`), 'p50 / p95', 'Posture']

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#212b32;--muted:#4c6272;--line:#d8dde0;--panel:#f0f4f5;--link:#005eb8;--track:#d8dde0;
--ok:${BADGE_COLOURS.ok};--degraded:${BADGE_COLOURS.degraded};--failing:${BADGE_COLOURS.failing};--maintenance:${BADGE_COLOURS.maintenance};--pending:${BADGE_COLOURS.pending};--unknown:${BADGE_COLOURS.unknown};--none:#aeb7bd}
@media (prefers-color-scheme:dark){:root{--bg:#111518;--fg:#e8edee;--muted:#aeb7bd;--line:#3a4449;--panel:#1c2327;--link:#8cc8ff;--track:#3a4449;--none:#5f6b73}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.45 system-ui,-apple-system,"Segoe UI",Arial,sans-serif}
a{color:var(--link)}a:focus{outline:3px solid #ffeb3b;outline-offset:1px}
.skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:var(--bg);padding:.3rem}
header,main,footer,nav{max-width:1200px;margin:0 auto;padding:0 1rem}
header{padding-top:1rem;border-bottom:1px solid var(--line)}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin:1.6rem 0 .5rem;overflow-wrap:anywhere}h3{font-size:1.05rem;margin:1rem 0 .3rem}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}
.meta{color:var(--muted);margin:.3rem 0 .8rem}.utc,.none{color:var(--muted)}
.st{display:inline-block;padding:0 .45rem;border-radius:.3rem;color:#fff;font-weight:600;white-space:nowrap;font-size:.9rem}
.st-ok{background:var(--ok)}.st-degraded{background:var(--degraded)}.st-failing{background:var(--failing)}.st-maintenance{background:var(--maintenance)}.st-pending{background:var(--pending)}.st-unknown{background:var(--unknown)}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.35rem .45rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);font-weight:600}
td{overflow-wrap:anywhere}
table.checks{table-layout:fixed}.checks .c-check{width:25%}.checks .c-state{width:11.5%}.checks .c-since{width:15%}.checks .c-up{width:10.5%}.checks .c-lat{width:10%}.checks .c-posture{width:7%}
.checks td:nth-child(n+4):nth-child(-n+6){white-space:nowrap}
.checks i{display:inline-block;width:3.2rem;height:.55rem;margin-right:.35rem;vertical-align:middle;border-radius:.2rem;background:linear-gradient(90deg,var(--c) var(--w),var(--track) 0)}
.f-ok{--c:var(--ok)}.f-degraded{--c:var(--degraded)}.f-failing{--c:var(--failing)}.f-pending{--c:var(--pending)}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.summary{color:var(--muted);font-size:.85rem}
.strip{display:flex;gap:2px;list-style:none;padding:0;margin:.3rem 0;height:2rem;max-width:100%}
.strip li{flex:1 1 0;min-width:0;border-radius:2px}
.b-ok{background:var(--ok)}.b-degraded{background:var(--degraded)}.b-failing{background:var(--failing)}.b-none{background:var(--none)}
.legend{color:var(--muted);font-size:.85rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
footer{margin-top:2rem;padding-bottom:2rem;border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}
@media (max-width:760px){
 table.rows,table.rows tbody{display:block;width:100%}
 table.rows colgroup{display:none}
 table.rows thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
 table.rows tr{display:block;border-bottom:1px solid var(--line);padding:.4rem 0}
 table.rows td{display:block;position:relative;border:0;padding:.1rem 0 .1rem 6.8rem;min-height:1.5rem}
 table.rows td::before{content:attr(data-label);position:absolute;left:0;width:6.4rem;font-weight:600}
${CHECK_COLUMNS.map((label, i) => ` table.checks td:nth-child(${i + 1})::before{content:"${label}"}`).join('\n')}
}`

function page(title: string, opts: PageOptions, body: string, base: string): string {
  return `<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'">
${opts.refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${Math.round(opts.refreshSeconds)}">\n` : ''}<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the status</a>
${body}
<footer role="contentinfo">
<p>Generated by watchkeeper. Times are Europe/London with UTC in brackets. ${opts.refreshSeconds > 0 ? `This page reloads itself every ${Math.round(opts.refreshSeconds)} seconds.` : ''}
Uptime counts ok and warn results as up and crit as down; latency is the median / 95th percentile of up results over the last 24 hours.</p>
<p>Machine-readable: <a href="${base}api/v1/status.json">status JSON</a>, <a href="${base}index.html">overview</a>.</p>
</footer>
</body>
</html>
`
}

const checkHref = (id: string, base: string) => (CHECK_ID_RE.test(id) ? `${base}checks/${id}.html` : undefined)

/** One check's row of the overview; cells carry no labels of their own (the CSS names them on narrow screens), so 1,000 rows stay small. */
function checkRow(c: CheckView, base: string): string {
  const href = checkHref(c.id, base)
  const name = href ? `<a href="${esc(href)}">${esc(c.name)}</a>` : esc(c.name)
  const notes: string[] = []
  if (c.flapping) notes.push('flapping')
  if (c.maintenance) notes.push(`in maintenance (${esc(c.maintenance.window)}) until ${timeHtml(c.maintenance.until)}`)
  if (c.incidents.length > 0) notes.push(`incident ${c.incidents.map((i) => `#${i}`).join(', ')}`)
  let uptime = ''
  for (const p of UPTIME_PERIODS)
    uptime += `<td>${c.posture ? '<span class="none">posture</span>' : uptimeCell(c.uptime[p])}</td>`
  return (
    `<tr id="check-${esc(c.id)}">
<td>${name}<div class="summary">${esc(c.id)}${c.summary ? ` · ${esc(c.summary)}` : ''}</div>${notes.length > 0 ? `<div class="summary">${notes.join('; ')}</div>` : ''}</td>` +
    `<td>${statePill(c.state)}</td><td>${timeHtml(c.since)}</td>${uptime}<td>${latencyText(c.latency)}</td>` +
    `<td>${c.posture ? `grade ${esc(c.posture.grade ?? '–')}` : '<span class="none">–</span>'}</td></tr>`
  )
}

const CHECK_HEAD = `<colgroup><col class="c-check"><col class="c-state"><col class="c-since">${UPTIME_PERIODS.map(() => '<col class="c-up">').join('')}<col class="c-lat"><col class="c-posture"></colgroup><thead><tr><th scope="col">Check</th><th scope="col">State</th><th scope="col">Since</th>${UPTIME_PERIODS.map((p) => `<th scope="col">${p}<span class="vh"> uptime</span></th>`).join('')}<th scope="col">Latency p50 / p95</th><th scope="col">Posture</th></tr></thead>`

/** The overview: open incidents, maintenance, then every service with its checks by tier. */
export function overviewHtml(m: StatusModel, opts: PageOptions): string {
  const base = ''
  const s = m.summary
  const counts = (['failing', 'degraded', 'unknown', 'maintenance', 'pending', 'ok'] as const)
    .filter((k) => s[k] > 0)
    .map((k) => `${s[k]} ${k}`)
    .join(', ')
  const incidents =
    m.incidents.length === 0
      ? '<p>No open incidents.</p>'
      : `<table class="rows"><thead><tr><th scope="col">Incident</th><th scope="col">Severity</th><th scope="col">State</th><th scope="col">Opened</th><th scope="col">Checks</th></tr></thead><tbody>
${m.incidents.map((i) => `<tr><td data-label="Incident">#${i.id} ${esc(i.title)}</td><td data-label="Severity">${esc(i.severity)}</td><td data-label="State">${esc(i.state)}</td><td data-label="Opened">${timeHtml(i.openedAt)}</td><td data-label="Checks">${i.checks.map(esc).join(', ') || '–'}</td></tr>`).join('\n')}
</tbody></table>`
  const maintenance =
    m.maintenance.length === 0
      ? '<p>No maintenance open now or in the next 7 days.</p>'
      : `<ul>
${m.maintenance.map((w) => `<li><strong>${esc(w.name)}</strong>: ${w.until ? `open until ${timeHtml(w.until)}` : `next opens ${timeHtml(w.next)}`}; ${w.checks.length} check${w.checks.length === 1 ? '' : 's'}</li>`).join('\n')}
</ul>`
  const services = m.services
    .map(
      (svc) => `<section aria-labelledby="svc-${svc.slug}">
<h2 id="svc-${svc.slug}">${esc(svc.name)} ${statePill(svc.state)}</h2>
${svc.uptime['30d'] !== null || svc.latency ? `<p class="meta">Service uptime: ${UPTIME_PERIODS.map((p) => `${p} ${formatPercent(svc.uptime[p])}`).join(' · ')}; latency p50 / p95 ${latencyText(svc.latency)}</p>` : ''}
${svc.tiers
  .map(
    (t) => `<h3>${t.tier ? `Tier: ${esc(t.tier)}` : 'No tier'}</h3>
<table class="rows checks">${CHECK_HEAD}<tbody>
${t.checks.map((c) => checkRow(c, base)).join('\n')}
</tbody></table>`,
  )
  .join('\n')}
</section>`,
    )
    .join('\n')
  const body = `<header role="banner">
<h1>${esc(m.title)}</h1>
<p class="meta">Overall: ${statePill(m.state)} ${s.checks} check${s.checks === 1 ? '' : 's'}${counts ? ` (${counts})` : ''}. Updated ${timeHtml(m.generatedAt)}.</p>
</header>
${m.services.length > 1 ? `<nav aria-label="Services"><ul>${m.services.map((svc) => `<li><a href="#svc-${svc.slug}">${esc(svc.name)}</a> ${STATE_TEXT[svc.state]}</li>`).join('')}</ul></nav>` : ''}
<main id="main">
<section aria-labelledby="incidents"><h2 id="incidents">Open incidents</h2>
${incidents}
</section>
<section aria-labelledby="maintenance"><h2 id="maintenance">Maintenance</h2>
${maintenance}
</section>
${services || '<p>No checks have run yet.</p>'}
</main>`
  return page(m.title, opts, body, base)
}

function strip(bars: readonly HistoryBar[], label: (b: HistoryBar) => string, name: string): string {
  const cls = (b: HistoryBar) => (b.availability === null ? 'b-none' : `b-${uptimeColour(b.availability)}`)
  const text = (b: HistoryBar) =>
    `${label(b)}: ${b.availability === null ? 'no results' : `${formatPercent(b.availability)} up (${b.up} up, ${b.down} down)`}`
  return `<ol class="strip" aria-label="${esc(name)}">${bars.map((b) => `<li class="${cls(b)}" title="${esc(text(b))}"><span class="vh">${esc(text(b))}</span></li>`).join('')}</ol>`
}

function londonDay(iso: string): string {
  const p = londonParts(Date.parse(iso))
  return `${p.year}-${two(p.month)}-${two(p.day)}`
}

/** One check: its facts, 24 hourly and 30 daily bars, outages and recent results. */
export function checkHtml(d: CheckDetail, title: string, opts: PageOptions): string {
  const base = '../'
  const c = d.check
  const facts: [string, string][] = [
    [
      'State',
      `${statePill(c.state)}${c.state === 'maintenance' ? ` (watch says ${STATE_TEXT[c.watchState]})` : ''}${c.flapping ? ' flapping' : ''}`,
    ],
    ['Since', timeHtml(c.since)],
    ['Service', c.service ? esc(c.service) : '–'],
    ['Tier', c.tier ? esc(c.tier) : '–'],
    ['Kind', esc(c.kind)],
    ['Last run', timeHtml(c.lastRun)],
    ['Last result', c.status ? `${esc(c.status)}: ${esc(c.summary ?? '')}` : '–'],
    ['Uptime', UPTIME_PERIODS.map((p) => `${p} ${formatPercent(c.uptime[p])}`).join(' · ')],
    ['Latency p50 / p95 (24 h)', latencyText(c.latency)],
  ]
  if (c.posture)
    facts.push([
      'Posture grade',
      `${esc(c.posture.grade ?? '–')}${c.posture.score === null ? '' : ` (score ${c.posture.score})`}, checked ${timeHtml(c.posture.checkedAt)}`,
    ])
  if (c.incidents.length > 0) facts.push(['Open incidents', c.incidents.map((i) => `#${i}`).join(', ')])
  if (c.maintenance) facts.push(['Maintenance', `${esc(c.maintenance.window)} until ${timeHtml(c.maintenance.until)}`])
  const outages =
    d.outages.length === 0
      ? '<p>No outages recorded.</p>'
      : `<table class="rows"><thead><tr><th scope="col">Started</th><th scope="col">Ended</th><th scope="col">Length</th><th scope="col">Down results</th></tr></thead><tbody>
${d.outages.map((o) => `<tr><td data-label="Started">${timeHtml(o.startedAt)}</td><td data-label="Ended">${o.endedAt ? timeHtml(o.endedAt) : '<strong>ongoing</strong>'}</td><td data-label="Length">${formatDuration(o.durationMs)}</td><td data-label="Down results">${o.downResults}</td></tr>`).join('\n')}
</tbody></table>`
  const recent =
    d.recent.length === 0
      ? '<p>No results yet.</p>'
      : `<table class="rows"><thead><tr><th scope="col">Time</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Summary</th></tr></thead><tbody>
${d.recent.map((r) => `<tr><td data-label="Time">${timeHtml(r.at)}</td><td data-label="Status">${esc(r.status)}</td><td data-label="Duration">${formatMs(r.durationMs)}</td><td data-label="Summary">${esc(r.summary)}</td></tr>`).join('\n')}
</tbody></table>`
  const body = `<header role="banner">
<p><a href="${base}index.html">← ${esc(title)}</a></p>
<h1>${esc(c.name)}</h1>
<p class="meta">${esc(c.id)} · ${statePill(c.state)} · updated ${timeHtml(d.generatedAt)}</p>
</header>
<main id="main">
<section aria-labelledby="facts"><h2 id="facts">Now</h2>
<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
</section>
<section aria-labelledby="hours"><h2 id="hours">Last 24 hours</h2>
${strip(d.hourly, (b) => `${timeHtml(b.start).replaceAll(/<[^>]+>/g, '')}`, 'Uptime per hour, the last 24 hours, oldest first')}
<p class="legend">One bar an hour, oldest first: green 99.9 % or more up, amber 99 % or more, red below, grey no results. Each bar has its figures as text.</p>
</section>
<section aria-labelledby="days"><h2 id="days">Last 30 days</h2>
${strip(d.daily, (b) => londonDay(b.start), 'Uptime per day (Europe/London), the last 30 days, oldest first')}
</section>
<section aria-labelledby="outages"><h2 id="outages">Outages</h2>
${outages}
</section>
<section aria-labelledby="recent"><h2 id="recent">Recent results</h2>
${recent}
</section>
<p><a href="${base}api/v1/checks/${esc(c.id)}.json">This check as JSON</a> · <a href="${base}badge/check/${esc(c.id)}/state.svg">state badge (SVG)</a></p>
</main>`
  return page(`${c.name} – ${title}`, opts, body, base)
}

/** A plain page for 404s and errors, in the same look. */
export function messageHtml(title: string, message: string): string {
  return page(
    title,
    {refreshSeconds: 0},
    `<header role="banner"><h1>${esc(title)}</h1></header>\n<main id="main"><p>${esc(message)}</p><p><a href="/index.html">Overview</a></p></main>`,
    '/',
  )
}
