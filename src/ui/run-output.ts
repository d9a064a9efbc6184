import chalk from 'chalk'

import type {RunReport} from '../monitor/check-run.js'
import type {CheckResult, Status} from '../types.js'
import {HTTP_PHASES, seconds} from '../metrics/exposition.js'
import {STATUS_CODE, statusRank, worstStatus} from '../types.js'
import {jsonTimes} from '../util/json-time.js'
import {colourSeverity, colourStatus, formatMs, renderTable} from './table.js'
import {termText} from './terminal-text.js'

const RESULT_TIMES: ReadonlySet<string> = new Set(['startedAt'])

/** The run's loop-delay line, and a note on the results whose timing is suspect (marked * in TIME). */
export function loopDelayLines(report: RunReport): string[] {
  const d = report.loopDelay
  if (!d) return []
  const probe = d.probeThread ? `; probe thread p99 ${d.probeThread.p99Ms} ms, max ${d.probeThread.maxMs} ms` : ''
  const lines = [`event-loop delay: p99 ${d.p99Ms} ms, max ${d.maxMs} ms${probe}`]
  if (d.suspectChecks > 0)
    lines.push(
      `* ${d.suspectChecks} check${d.suspectChecks === 1 ? '' : 's'} timed while the event loop was blocked: ${d.suspectChecks === 1 ? 'its timing' : 'their timings'} may include that delay (loopDelayMs in --json)`,
    )
  return lines
}

export function runTable(report: RunReport): string {
  const rows = report.results.map((r) => [
    colourStatus(r.status),
    r.checkId,
    r.kind,
    formatMs(r.durationMs) + (r.timingSuspect ? '*' : ''),
    termText(r.summary),
  ])
  const lines = [
    renderTable(['STATUS', 'CHECK', 'KIND', 'TIME', 'SUMMARY'], rows, {
      align: ['left', 'left', 'left', 'right', 'left'],
    }),
  ]
  for (const r of report.results) {
    const shown = r.findings.filter((f) => f.severity !== 'info' || r.findings.length <= 12)
    if (shown.length === 0 || (r.status === 'ok' && shown.every((f) => f.severity === 'info'))) continue
    lines.push('', chalk.bold(r.checkId))
    for (const f of shown) lines.push(`  ${colourSeverity(f.severity)} ${f.id}  ${termText(f.message)}`)
  }

  const s = report.summary
  lines.push(
    '',
    `${report.results.length} checks: ${chalk.green(`${s.ok} ok`)}, ${chalk.yellow(`${s.warn} warn`)}, ${chalk.red(`${s.crit} crit`)}, ${chalk.magenta(`${s.unknown} unknown`)}`,
  )
  lines.push(...loopDelayLines(report).map((l) => chalk.dim(l)))
  return lines.join('\n')
}

/** The --json document: the report with each result's startedAt as an ISO time (the JSON convention). */
export function runJson(report: RunReport): unknown {
  return jsonTimes(report, RESULT_TIMES)
}

export function runNdjson(report: RunReport): string {
  return report.results.map((r) => JSON.stringify(jsonTimes(r, RESULT_TIMES))).join('\n')
}

const NAGIOS_WORD: Record<Status, string> = {ok: 'OK', warn: 'WARNING', crit: 'CRITICAL', unknown: 'UNKNOWN'}

/*
 * Nagios plugin output, after the Nagios plugin development guidelines (nagios-plugins.org/doc/guidelines.html):
 * - the first line is `SERVICE STATUS: text | perfdata`; further lines are long output, and perfdata
 *   after a second `|` on them is more perfdata;
 * - perfdata is `'label'=value[UOM];[warn];[crit];[min];[max]`, with warn and crit in the range syntax
 *   (`10` alerts outside 0..10, `10:` alerts below 10);
 * - UOM is one of none, s (us, ms), %, B (KB, MB, TB) or c. There is no unit for days, so day counts
 *   (certDaysLeft) are plain numbers whose label says days.
 * - `|` is reserved, so it never appears in the text.
 */

/** How a metric goes into perfdata: its label, its unit and the factor from the JSON value. */
interface PerfSpec {
  label: string
  uom: '' | 's' | 'B'
  scale: number
  min?: number
}

const SECONDS = (label: string): PerfSpec => ({label, uom: 's', scale: 1 / 1000, min: 0})

/** Metrics and timings whose JSON name carries a unit the perfdata label must not repeat. */
const PERF: Record<string, PerfSpec> = {
  totalMs: SECONDS('time'),
  dnsMs: SECONDS('time_dns'),
  lookupMs: SECONDS('time_lookup'),
  connectMs: SECONDS('time_connect'),
  tlsMs: SECONDS('time_tls'),
  ttfbMs: SECONDS('time_firstbyte'),
  bodyBytes: {label: 'size', uom: 'B', scale: 1, min: 0},
  mtaStsMaxAge: {label: 'mtaStsMaxAge', uom: 's', scale: 1, min: 0},
}

function perfSpec(name: string): PerfSpec {
  return PERF[name] ?? (name.endsWith('Ms') ? SECONDS(name.replace(/Ms$/, '_time')) : {label: name, uom: '', scale: 1})
}

/** A label quoted as the guidelines allow: `'` doubled, `=` (not allowed) replaced. */
export function perfLabel(s: string): string {
  return `'${s.replaceAll("'", "''").replaceAll('=', '_')}'`
}

/** A number in plain decimal notation (never an exponent), at most 6 decimals. */
export function perfNumber(n: number): string {
  if (Number.isInteger(n)) return String(n)
  const s = n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '')
  return s === '-0' ? '0' : s
}

/** A threshold in the guidelines' range syntax: alert above `x` is `x` (0..x), alert below `x` is `x:`. */
function range(x: number | undefined, alertBelow: boolean, scale: number): string {
  if (x === undefined) return ''
  return alertBelow ? `${perfNumber(x * scale)}:` : perfNumber(x * scale)
}

function perfItems(r: CheckResult, prefix: string): {name: string; text: string}[] {
  const out: {name: string; text: string}[] = []
  const seen = new Set<string>()
  const values: [string, number | undefined][] = [
    ['totalMs', r.durationMs],
    ...(['dnsMs', 'connectMs', 'tlsMs', 'ttfbMs'] as const).map(
      (k) => [k, r.timings[k]] as [string, number | undefined],
    ),
    ...Object.entries(r.metrics),
  ]
  for (const [name, value] of values) {
    if (value === undefined || !Number.isFinite(value)) continue
    const spec = perfSpec(name)
    if (seen.has(spec.label)) continue
    seen.add(spec.label)
    const th = r.thresholds?.[name]
    const below = th?.alertBelow === true
    const fields = [
      range(th?.warn, below, spec.scale),
      range(th?.crit, below, spec.scale),
      spec.min === undefined ? '' : perfNumber(spec.min),
    ]
    while (fields.length > 0 && fields.at(-1) === '') fields.pop()
    out.push({
      name,
      text: `${perfLabel(prefix + spec.label)}=${perfNumber(value * spec.scale)}${spec.uom}${fields.map((f) => ';' + f).join('')}`,
    })
  }

  return out
}

/** Plugin text: one line, without the reserved `|`. */
function pluginText(s: string): string {
  return termText(s.replaceAll(/[\r\n]+/g, ' ')).replaceAll('|', '/')
}

function findingLines(r: CheckResult, indent: string): string[] {
  const shown = r.findings.filter((f) => f.severity !== 'info' || r.findings.length <= 12)
  return shown.map((f) => `${indent}${f.severity} ${f.id}: ${pluginText(f.message)}`)
}

/**
 * Nagios plugin output. One check: `CHECK-ID STATUS: summary | perfdata`, then its findings as long output.
 * Several: `WATCHKEEPER STATUS: counts | each check's time`, then one line per check (worst first) with its
 * findings under it, and every check's other perfdata after a second `|`.
 */
export function runNagios(report: RunReport): string {
  const {results} = report
  if (results.length === 1) {
    const r = results[0]
    const perf = perfItems(r, '').map((p) => p.text)
    return [
      `${pluginText(r.checkId)} ${NAGIOS_WORD[r.status]}: ${pluginText(r.summary)} | ${perf.join(' ')}`,
      ...findingLines(r, ''),
    ].join('\n')
  }

  const worst = worstStatus(results.map((r) => r.status))
  const s = report.summary
  const perf = results.map((r) => perfItems(r, `${r.checkId}_`))
  const head = `WATCHKEEPER ${NAGIOS_WORD[worst]}: ${results.length} checks: ${s.crit} critical, ${s.warn} warning, ${s.unknown} unknown, ${s.ok} ok`
  const first = perf.flatMap((p) => p.filter((x) => x.name === 'totalMs').map((x) => x.text))
  // One perfdata line per check after the long text (the guidelines' "PERFDATA LINE 2 … N").
  const rest = perf
    .map((p) =>
      p
        .filter((x) => x.name !== 'totalMs')
        .map((x) => x.text)
        .join(' '),
    )
    .filter((line) => line !== '')
  const long = results
    .map((r, i) => ({r, i}))
    .sort((a, b) => statusRank(b.r.status) - statusRank(a.r.status) || a.i - b.i)
    .flatMap(({r}) => [
      `${NAGIOS_WORD[r.status]} ${pluginText(r.checkId)}: ${pluginText(r.summary)}`,
      ...findingLines(r, '  '),
    ])
  if (rest.length > 0) long[long.length - 1] += ` | ${rest[0]}`
  return [`${head} | ${first.join(' ')}`, ...long, ...rest.slice(1)].join('\n')
}

/** What stops `check run --format nagios` before it has results: an UNKNOWN line, further lines of the reason as long output. */
export function nagiosUnknown(reason: string): string {
  const [first, ...more] = reason.split(/\r?\n/)
  return [`WATCHKEEPER UNKNOWN: ${pluginText(first)}`, ...more.filter((l) => l.trim() !== '').map(pluginText)].join(
    '\n',
  )
}

function esc(v: string): string {
  return v
    .replaceAll('\\', '\\\\')
    .replaceAll('\n', String.raw`\n`)
    .replaceAll('"', String.raw`\"`)
}

function labels(r: CheckResult, constant: Record<string, string> = {}): string {
  return (
    `check="${esc(r.checkId)}",kind="${esc(r.kind)}",service="${esc(r.service ?? '')}",target="${esc(r.target)}"` +
    Object.entries(constant)
      .map(([k, v]) => `,${k}="${esc(v)}"`)
      .join('')
  )
}

/** Prometheus text exposition for node_exporter's textfile collector (blackbox_exporter's names where they fit); `constant` labels (the vantage's) on every series. */
export function runProm(report: RunReport, constant: Record<string, string> = {}): string {
  const families: [string, string, (r: CheckResult) => number | undefined][] = [
    [
      'probe_success',
      'Whether the check passed (ok or warn)',
      (r) => (r.status === 'ok' || r.status === 'warn' ? 1 : 0),
    ],
    ['probe_duration_seconds', 'How long the check took', (r) => seconds(r.durationMs)],
    ['watchkeeper_check_status', 'Check status: 0 ok, 1 warn, 2 crit, 3 unknown', (r) => STATUS_CODE[r.status]],
    ['watchkeeper_check_timestamp_seconds', 'When the check ran', (r) => Math.round(r.startedAt) / 1000],
    ['probe_http_status_code', 'HTTP status code of the final response', (r) => r.metrics.httpStatus],
    ['probe_ssl_earliest_cert_expiry', 'Earliest certificate expiry, Unix seconds', (r) => r.metrics.certNotAfter],
  ]
  const lines: string[] = []
  for (const [name, help, get] of families) {
    const samples = report.results
      .map((r) => [r, get(r)] as const)
      .filter(([, v]) => v !== undefined && Number.isFinite(v))
    if (samples.length === 0) continue
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`)
    for (const [r, v] of samples) lines.push(`${name}{${labels(r, constant)}} ${v}`)
  }

  const phases = report.results.flatMap((r) =>
    (Object.keys(HTTP_PHASES) as (keyof typeof HTTP_PHASES)[])
      .filter((p) => r.timings[p] !== undefined && r.kind === 'http')
      .map(
        (p) =>
          `probe_http_duration_seconds{${labels(r, constant)},phase="${HTTP_PHASES[p]}"} ${seconds(r.timings[p] as number)}`,
      ),
  )
  if (phases.length > 0)
    lines.push(
      '# HELP probe_http_duration_seconds Duration of HTTP request by phase',
      '# TYPE probe_http_duration_seconds gauge',
      ...phases,
    )
  return lines.join('\n') + '\n'
}
