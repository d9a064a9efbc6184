import type {SloReport, SloRow} from './slo.js'
import type {UptimeReport, UptimeRow} from './uptime.js'
import {csvField} from '../util/csv.js'
import {formatDuration} from '../util/duration.js'

/** Plain-text rendering of reports: aligned table, CSV (RFC 4180) and Markdown. No colour here. */

export type ReportFormat = 'table' | 'csv' | 'md'

export interface Column<T> {
  header: string
  /** The value as data (CSV). */
  raw: (row: T) => string | number | null
  /** The value for people (table, Markdown); defaults to raw. */
  text?: (row: T) => string
  right?: boolean
}

function cellText<T>(c: Column<T>, row: T): string {
  if (c.text) return c.text(row)
  const v = c.raw(row)
  return v === null ? '-' : String(v)
}

export function renderCsv<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  return (
    [
      columns.map((c) => csvField(c.header)).join(','),
      ...rows.map((r) => columns.map((c) => csvField(c.raw(r))).join(',')),
    ].join('\r\n') + '\r\n'
  )
}

export function renderMarkdown<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const esc = (s: string) => s.replaceAll('|', String.raw`\|`).replaceAll('\n', ' ')
  return [
    `| ${columns.map((c) => esc(c.header)).join(' | ')} |`,
    `| ${columns.map((c) => (c.right ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map((c) => esc(cellText(c, r))).join(' | ')} |`),
  ].join('\n')
}

export function renderPlainTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = rows.map((r) => columns.map((c) => cellText(c, r)))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)))
  const line = (vals: string[]) =>
    vals
      .map((v, i) => {
        const pad = ' '.repeat(widths[i] - v.length)
        if (columns[i].right) return pad + v
        return i === vals.length - 1 ? v : v + pad
      })
      .join('  ')
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n')
}

export function pct(v: number | null, places = 3): string {
  return v === null ? '-' : `${v.toFixed(places)}%`
}

export function msText(v: number | null | undefined): string {
  if (v === null || v === undefined) return '-'
  if (v < 10) return `${v.toFixed(1)}ms`
  if (v < 10_000) return `${Math.round(v)}ms`
  return formatDuration(v)
}

export function spanText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-'
  return ms === 0 ? '0s' : formatDuration(ms)
}

const round = (n: number | null | undefined, places = 4): number | null =>
  n === null || n === undefined ? null : Math.round(n * 10 ** places) / 10 ** places

export const uptimeColumns: Column<UptimeRow>[] = [
  {header: 'scope', raw: (r) => r.scope},
  {header: 'id', raw: (r) => r.id},
  {header: 'service', raw: (r) => r.service},
  {header: 'checks', raw: (r) => r.checks, right: true},
  {header: 'results', raw: (r) => r.results, right: true},
  {header: 'ok', raw: (r) => r.ok, right: true},
  {header: 'warn', raw: (r) => r.warn, right: true},
  {header: 'crit', raw: (r) => r.crit, right: true},
  {header: 'unknown', raw: (r) => r.unknown, right: true},
  {header: 'availability_pct', raw: (r) => round(r.availability, 6), text: (r) => pct(r.availability), right: true},
  {header: 'p50_ms', raw: (r) => r.latency?.p50Ms ?? null, text: (r) => msText(r.latency?.p50Ms), right: true},
  {header: 'p95_ms', raw: (r) => r.latency?.p95Ms ?? null, text: (r) => msText(r.latency?.p95Ms), right: true},
  {header: 'p99_ms', raw: (r) => r.latency?.p99Ms ?? null, text: (r) => msText(r.latency?.p99Ms), right: true},
  {header: 'max_ms', raw: (r) => r.latency?.maxMs ?? null, text: (r) => msText(r.latency?.maxMs), right: true},
  {header: 'outages', raw: (r) => r.outages.count, right: true},
  {
    header: 'downtime_s',
    raw: (r) => r.outages.downtimeMs / 1000,
    text: (r) => spanText(r.outages.downtimeMs),
    right: true,
  },
  {
    header: 'longest_outage_s',
    raw: (r) => (r.outages.longest ? r.outages.longest.durationMs / 1000 : null),
    text: (r) => spanText(r.outages.longest?.durationMs),
    right: true,
  },
  {
    header: 'mttr_s',
    raw: (r) => (r.outages.mttrMs === null ? null : r.outages.mttrMs / 1000),
    text: (r) => spanText(r.outages.mttrMs),
    right: true,
  },
]

const HUMAN_UPTIME_HEADERS: Record<string, string> = {
  scope: 'SCOPE',
  id: 'ID',
  service: 'SERVICE',
  checks: 'CHECKS',
  results: 'RESULTS',
  ok: 'OK',
  warn: 'WARN',
  crit: 'CRIT',
  unknown: 'UNKNOWN',
  availability_pct: 'AVAILABILITY',
  p50_ms: 'P50',
  p95_ms: 'P95',
  p99_ms: 'P99',
  max_ms: 'MAX',
  outages: 'OUTAGES',
  downtime_s: 'DOWNTIME',
  longest_outage_s: 'LONGEST',
  mttr_s: 'MTTR',
}

function human<T>(columns: readonly Column<T>[], names: Record<string, string>, keep: readonly string[]): Column<T>[] {
  return keep.map((k) => {
    const c = columns.find((x) => x.header === k)!
    return {...c, header: names[k] ?? k}
  })
}

function heading(
  report: {since: string; until: string; approximate: boolean; coveredSince: string; timeZone: string},
  title: string,
  label: string,
): string[] {
  const out = [`${title} ${label}: ${report.since} .. ${report.until}`]
  if (report.approximate) out.push(`(raw results at an edge were pruned; figures cover from ${report.coveredSince})`)
  return out
}

function postureNote(report: {postureChecksLeftOut: number}): string {
  const n = report.postureChecksLeftOut
  return n === 0
    ? ''
    : `${n} posture check${n === 1 ? '' : 's'} left out (grades are not availability; see \`report posture\`, or add them with --include-posture).`
}

export function renderUptime(report: UptimeReport, format: ReportFormat): string {
  if (format === 'csv') return renderCsv(uptimeColumns, [...report.checks, ...report.services])
  const checkCols = human(uptimeColumns, HUMAN_UPTIME_HEADERS, [
    'id',
    'service',
    'results',
    'availability_pct',
    'crit',
    'unknown',
    'p50_ms',
    'p95_ms',
    'p99_ms',
    'max_ms',
    'outages',
    'longest_outage_s',
    'mttr_s',
  ])
  checkCols[0] = {...checkCols[0], header: 'CHECK'}
  const serviceCols = human(uptimeColumns, HUMAN_UPTIME_HEADERS, [
    'id',
    'checks',
    'results',
    'availability_pct',
    'crit',
    'unknown',
    'p50_ms',
    'p95_ms',
    'p99_ms',
    'max_ms',
    'outages',
    'longest_outage_s',
    'mttr_s',
  ])
  serviceCols[0] = {...serviceCols[0], header: 'SERVICE'}
  const [title] = heading(report, 'Uptime', report.label)
  const note = [
    report.approximate
      ? `Raw results at an edge were pruned; figures cover ${report.coveredSince} .. ${report.coveredUntil}.`
      : '',
    postureNote(report),
  ]
    .filter(Boolean)
    .join(' ')
  if (format === 'md') {
    return [
      `# ${title}`,
      '',
      ...(note ? [`> ${note}`, ''] : []),
      '## Checks',
      '',
      report.checks.length > 0 ? renderMarkdown(checkCols, report.checks) : '_No results in this window._',
      ...(report.services.length > 0 ? ['', '## Services', '', renderMarkdown(serviceCols, report.services)] : []),
      '',
    ].join('\n')
  }

  return [
    title,
    ...(note ? [note] : []),
    '',
    report.checks.length > 0 ? renderPlainTable(checkCols, report.checks) : 'No results in this window.',
    ...(report.services.length > 0 ? ['', renderPlainTable(serviceCols, report.services)] : []),
  ].join('\n')
}

export const sloColumns: Column<SloRow>[] = [
  {header: 'scope', raw: (r) => r.scope},
  {header: 'id', raw: (r) => r.id},
  {header: 'service', raw: (r) => r.service},
  {header: 'objective_pct', raw: (r) => r.objective, text: (r) => `${r.objective}%`, right: true},
  {header: 'eligible', raw: (r) => r.eligible, right: true},
  {header: 'bad', raw: (r) => r.bad, right: true},
  {header: 'availability_pct', raw: (r) => r.availability, text: (r) => pct(r.availability), right: true},
  {header: 'budget_total', raw: (r) => r.budget.total, text: (r) => r.budget.total.toFixed(1), right: true},
  {header: 'budget_used', raw: (r) => r.budget.used, right: true},
  {header: 'budget_left', raw: (r) => r.budget.left, text: (r) => r.budget.left.toFixed(1), right: true},
  {header: 'budget_left_pct', raw: (r) => r.budget.leftPct, text: (r) => pct(r.budget.leftPct, 1), right: true},
  {
    header: 'budget_left_s',
    raw: (r) => (r.budget.leftMs === null ? null : r.budget.leftMs / 1000),
    text: (r) =>
      r.budget.leftMs === null ? '-' : (r.budget.leftMs < 0 ? '-' : '') + spanText(Math.abs(r.budget.leftMs)),
    right: true,
  },
  {
    header: 'burn_window',
    raw: (r) => r.burnRate.window,
    text: (r) => (r.burnRate.window === null ? '-' : r.burnRate.window.toFixed(2)),
    right: true,
  },
  {
    header: 'burn_1h',
    raw: (r) => r.burnRate.last1h,
    text: (r) => (r.burnRate.last1h === null ? '-' : r.burnRate.last1h.toFixed(2)),
    right: true,
  },
  {
    header: 'burn_6h',
    raw: (r) => r.burnRate.last6h,
    text: (r) => (r.burnRate.last6h === null ? '-' : r.burnRate.last6h.toFixed(2)),
    right: true,
  },
  {header: 'alert', raw: (r) => r.alert, text: (r) => r.alert ?? '-'},
]

const HUMAN_SLO_HEADERS: Record<string, string> = {
  id: 'ID',
  objective_pct: 'OBJECTIVE',
  eligible: 'RESULTS',
  bad: 'BAD',
  availability_pct: 'AVAILABILITY',
  budget_total: 'BUDGET',
  budget_used: 'USED',
  budget_left: 'LEFT',
  budget_left_pct: 'LEFT %',
  budget_left_s: 'LEFT (TIME)',
  burn_window: 'BURN',
  burn_1h: 'BURN 1H',
  burn_6h: 'BURN 6H',
  alert: 'ALERT',
}

export function renderSlo(report: SloReport, format: ReportFormat): string {
  if (format === 'csv') return renderCsv(sloColumns, [...report.checks, ...report.services])
  const keep = [
    'id',
    'objective_pct',
    'eligible',
    'bad',
    'availability_pct',
    'budget_total',
    'budget_used',
    'budget_left',
    'budget_left_pct',
    'budget_left_s',
    'burn_window',
    'burn_1h',
    'burn_6h',
    'alert',
  ]
  const checkCols = human(sloColumns, HUMAN_SLO_HEADERS, keep)
  checkCols[0] = {...checkCols[0], header: 'CHECK'}
  const serviceCols = human(sloColumns, HUMAN_SLO_HEADERS, keep)
  serviceCols[0] = {...serviceCols[0], header: 'SERVICE'}
  const title = `SLO ${report.objective}% over ${formatDuration(report.windowMs)}: ${report.since} .. ${report.until}`
  const legend = `Burn-rate alerts: fast-burn when the last hour burns at ≥ ${report.thresholds.fastBurn}, slow-burn when the last 6 hours burn at ≥ ${report.thresholds.slowBurn}.`
  const note = [
    report.approximate ? `Raw results at the start were pruned; figures cover from ${report.coveredSince}.` : '',
    postureNote(report),
  ]
    .filter(Boolean)
    .join(' ')
  if (format === 'md') {
    return [
      `# ${title}`,
      '',
      ...(note ? [`> ${note}`, ''] : []),
      '## Checks',
      '',
      report.checks.length > 0 ? renderMarkdown(checkCols, report.checks) : '_No results in this window._',
      ...(report.services.length > 0 ? ['', '## Services', '', renderMarkdown(serviceCols, report.services)] : []),
      '',
      legend,
      '',
    ].join('\n')
  }

  return [
    title,
    ...(note ? [note] : []),
    '',
    report.checks.length > 0 ? renderPlainTable(checkCols, report.checks) : 'No results in this window.',
    ...(report.services.length > 0 ? ['', renderPlainTable(serviceCols, report.services)] : []),
    '',
    legend,
  ].join('\n')
}

export {csvField} from '../util/csv.js'
