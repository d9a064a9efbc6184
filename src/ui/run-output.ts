import chalk from 'chalk'

import type {RunReport} from '../monitor/check-run.js'
import type {CheckResult, Status} from '../types.js'
import {STATUS_CODE, worstStatus} from '../types.js'
import {colourSeverity, colourStatus, formatMs, renderTable} from './table.js'
import {termText} from './terminal-text.js'

export function runTable(report: RunReport): string {
  const rows = report.results.map((r) => [colourStatus(r.status), r.checkId, r.kind, formatMs(r.durationMs), termText(r.summary)])
  const lines = [renderTable(['STATUS', 'CHECK', 'KIND', 'TIME', 'SUMMARY'], rows, {align: ['left', 'left', 'left', 'right', 'left']})]
  for (const r of report.results) {
    const shown = r.findings.filter((f) => f.severity !== 'info' || r.findings.length <= 12)
    if (shown.length === 0 || r.status === 'ok' && shown.every((f) => f.severity === 'info')) continue
    lines.push('', chalk.bold(r.checkId))
    for (const f of shown) lines.push(`  ${colourSeverity(f.severity)} ${f.id}  ${termText(f.message)}`)
  }
  const s = report.summary
  lines.push('', `${report.results.length} checks: ${chalk.green(`${s.ok} ok`)}, ${chalk.yellow(`${s.warn} warn`)}, ${chalk.red(`${s.crit} crit`)}, ${chalk.magenta(`${s.unknown} unknown`)}`)
  return lines.join('\n')
}

export function runNdjson(report: RunReport): string {
  return report.results.map((r) => JSON.stringify(r)).join('\n')
}

const NAGIOS_WORD: Record<Status, string> = {ok: 'OK', warn: 'WARNING', crit: 'CRITICAL', unknown: 'UNKNOWN'}

function perfLabel(s: string): string {
  return `'${s.replace(/'/g, "''").replace(/[=]/g, '_')}'`
}

function perfValue(name: string, value: number): {value: string; uom: string; scale: number} {
  if (/Ms$/.test(name)) return {value: (value / 1000).toFixed(4).replace(/\.?0+$/, '') || '0', uom: 's', scale: 1 / 1000}
  return {value: String(Math.round(value * 1000) / 1000), uom: '', scale: 1}
}

function perfdata(r: CheckResult, prefix: string): string[] {
  const out: string[] = []
  const metrics: Record<string, number> = {totalMs: r.durationMs, ...r.metrics}
  for (const [name, value] of Object.entries(metrics)) {
    if (!Number.isFinite(value)) continue
    const {value: v, uom, scale} = perfValue(name, value)
    const th = r.thresholds?.[name]
    const fmt = (x?: number) => (x === undefined ? '' : String(Math.round(x * scale * 10000) / 10000))
    const tail = th ? `;${fmt(th.warn)};${fmt(th.crit)}` : ''
    out.push(`${perfLabel(prefix + name)}=${v}${uom}${tail}`)
  }
  return out
}

/**
 * Nagios plugin output: one status line with perfdata. For a single check the line is the check's own;
 * for several it counts statuses and lists each check on the following lines (long output).
 */
export function runNagios(report: RunReport): string {
  const results = report.results
  const worst = worstStatus(results.map((r) => r.status))
  if (results.length === 1) {
    const r = results[0]
    return `${NAGIOS_WORD[r.status]} - ${r.checkId}: ${termText(r.summary).replace(/\|/g, '/')} | ${perfdata(r, '').join(' ')}`
  }
  const s = report.summary
  const head = `${NAGIOS_WORD[worst]} - ${results.length} checks: ${s.crit} critical, ${s.warn} warning, ${s.unknown} unknown, ${s.ok} ok`
  const perf = results.flatMap((r) => perfdata(r, `${r.checkId}_`).slice(0, 1))
  const long = [...results].sort((a, b) => STATUS_CODE[b.status] - STATUS_CODE[a.status])
    .map((r) => `${NAGIOS_WORD[r.status]} ${r.checkId}: ${termText(r.summary).replace(/\|/g, '/')}`)
  return `${head} | ${perf.join(' ')}\n${long.join('\n')}`
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function labels(r: CheckResult): string {
  return `check="${esc(r.checkId)}",kind="${esc(r.kind)}",service="${esc(r.service ?? '')}",target="${esc(r.target)}"`
}

/** Prometheus text exposition for node_exporter's textfile collector (blackbox_exporter's names where they fit). */
export function runProm(report: RunReport): string {
  const families: [string, string, (r: CheckResult) => number | undefined][] = [
    ['probe_success', 'Whether the check passed (ok or warn)', (r) => (r.status === 'ok' || r.status === 'warn' ? 1 : 0)],
    ['probe_duration_seconds', 'How long the check took', (r) => r.durationMs / 1000],
    ['watchkeeper_check_status', 'Check status: 0 ok, 1 warn, 2 crit, 3 unknown', (r) => STATUS_CODE[r.status]],
    ['watchkeeper_check_timestamp_seconds', 'When the check ran', (r) => r.startedAt / 1000],
    ['probe_http_status_code', 'HTTP status code of the final response', (r) => r.metrics.httpStatus],
    ['probe_ssl_earliest_cert_expiry', 'Earliest certificate expiry, Unix seconds', (r) => r.metrics.certNotAfter],
  ]
  const lines: string[] = []
  for (const [name, help, get] of families) {
    const samples = report.results.map((r) => [r, get(r)] as const).filter(([, v]) => v !== undefined && Number.isFinite(v))
    if (samples.length === 0) continue
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`)
    for (const [r, v] of samples) lines.push(`${name}{${labels(r)}} ${v}`)
  }
  const phases = report.results.flatMap((r) =>
    (['dnsMs', 'connectMs', 'tlsMs', 'ttfbMs'] as const).filter((p) => r.timings[p] !== undefined && r.kind === 'http')
      .map((p) => `probe_http_duration_seconds{${labels(r)},phase="${{dnsMs: 'resolve', connectMs: 'connect', tlsMs: 'tls', ttfbMs: 'processing'}[p]}"} ${(r.timings[p] as number) / 1000}`))
  if (phases.length > 0) lines.push('# HELP probe_http_duration_seconds Duration of HTTP request by phase', '# TYPE probe_http_duration_seconds gauge', ...phases)
  return lines.join('\n') + '\n'
}
