/** Timings keys → blackbox_exporter's HTTP phases, which add up to the total. */
export const HTTP_PHASES = {
  dnsMs: 'resolve',
  connectMs: 'connect',
  tlsMs: 'tls',
  processingMs: 'processing',
  transferMs: 'transfer',
} as const

/** Milliseconds as seconds at the runner's 0.1 ms precision, without float noise (0.0761, not 0.07610000000000001). */
export function seconds(ms: number): number {
  return Math.round(ms * 10) / 10_000
}

/**
 * Sample values written with more digits than were measured (0.07610000000000001, sums of float additions, a
 * mean of nanoseconds such as 0.0102916096) cut to nanoseconds (9 decimals), or 12 significant digits in exponent form.
 */
export function denoise(text: string): string {
  return text.replaceAll(
    / (-?\d+\.\d{10,}|-?\d\.\d{12,}e[-+]?\d+)$/gm,
    (_all, v: string) => ` ${v.includes('e') ? Number(Number(v).toPrecision(12)) : Number(Number(v).toFixed(9))}`,
  )
}

export function escapeLabel(v: string): string {
  return v
    .replaceAll('\\', '\\\\')
    .replaceAll('"', String.raw`\"`)
    .replaceAll('\n', String.raw`\n`)
}

export interface Sample {
  name: string
  help: string
  value: number
  labels?: Record<string, string>
}

/** Gauges in the Prometheus text format, grouped by name in the order first seen. */
export function exposition(samples: readonly Sample[]): string {
  const byName = new Map<string, Sample[]>()
  for (const s of samples) byName.set(s.name, [...(byName.get(s.name) ?? []), s])
  let out = ''
  for (const [name, list] of byName) {
    out += `# HELP ${name} ${list[0].help}\n# TYPE ${name} gauge\n`
    for (const s of list) {
      const labels = Object.entries(s.labels ?? {})
      out +=
        name +
        (labels.length > 0 ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '') +
        ` ${s.value}\n`
    }
  }

  return out
}
