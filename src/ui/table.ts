import chalk from 'chalk'

import type {Severity, Status} from '../types.js'
import {guardStyled} from './terminal-text.js'

const ANSI = /\u001B\[[0-9;]*m/g

export function visibleLength(s: string): number {
  return s.replaceAll(ANSI, '').length
}

/**
 * A plain aligned table: no borders, a dim header, columns padded to the widest cell. Cells are one
 * line each, and no control but our colours gets through (pass untrusted text through termText too).
 */
export function renderTable(head: string[], rawRows: string[][], opts: {align?: ('left' | 'right')[]} = {}): string {
  const rows = rawRows.map((r) => r.map((c) => guardStyled(c ?? '')))
  const widths = head.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i] - visibleLength(c ?? '')))
        if (i === cells.length - 1 && opts.align?.[i] !== 'right') return c ?? ''
        return opts.align?.[i] === 'right' ? pad + c : (c ?? '') + pad
      })
      .join('  ')
  return [chalk.dim(line(head)), ...rows.map(line)].join('\n')
}

export function colourStatus(status: Status): string {
  switch (status) {
    case 'ok': {
      return chalk.green('ok')
    }

    case 'warn': {
      return chalk.yellow('warn')
    }

    case 'crit': {
      return chalk.red('crit')
    }

    default: {
      return chalk.magenta('unknown')
    }
  }
}

export function colourSeverity(sev: Severity): string {
  return sev === 'crit' ? chalk.red(sev) : sev === 'warn' ? chalk.yellow(sev) : chalk.cyan(sev)
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-'
  if (ms < 10) return `${ms.toFixed(1)} ms`
  if (ms < 10_000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(1)} s`
}

const BARS = '▁▂▃▄▅▆▇█'

/** A unicode sparkline of values (oldest first); gaps (undefined) show as a space. */
export function sparkline(values: readonly (number | undefined)[]): string {
  const nums = values.filter((v): v is number => v !== undefined && Number.isFinite(v))
  if (nums.length === 0) return ''
  const min = Math.min(...nums)
  const max = Math.max(...nums)
  return values
    .map((v) => {
      if (v === undefined || !Number.isFinite(v)) return ' '
      if (max === min) return BARS[3]
      return BARS[Math.min(BARS.length - 1, Math.floor(((v - min) / (max - min)) * BARS.length))]
    })
    .join('')
}

/** "3m ago", "2h 5m ago" from a past epoch ms. */
export function ago(ts: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ts) / 1000))
  if (s < 60) return `${s}s ago`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ago`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h ${m % 60}m ago`
  return `${Math.floor(h / 24)}d ${h % 24}h ago`
}
