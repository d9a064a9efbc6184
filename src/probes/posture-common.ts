import type {Finding, Observation, Severity, Status} from '../types.js'
import {finding} from '../findings.js'

/** Posture status: the worst finding severity (crit → crit, warn → warn, info → ok). */
export function postureStatus(findings: readonly Finding[]): Status {
  if (findings.some((f) => f.severity === 'crit')) return 'crit'
  if (findings.some((f) => f.severity === 'warn')) return 'warn'
  return 'ok'
}

/** Collects findings; the same id with the same message is kept once. */
export class Findings {
  readonly list: Finding[] = []
  private readonly seen = new Set<string>()

  add(id: string, message: string, severity?: Severity): void {
    const key = `${id}\u0000${message}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    this.list.push(finding(id, message, severity))
  }

  addAll(findings: readonly Finding[]): void {
    for (const f of findings) {
      const key = `${f.id}\u0000${f.message}`
      if (this.seen.has(key)) continue
      this.seen.add(key)
      this.list.push(f)
    }
  }
}

export function countBySeverity(findings: readonly Finding[]): {crit: number; warn: number; info: number} {
  const out = {crit: 0, warn: 0, info: 0}
  for (const f of findings) out[f.severity]++
  return out
}

/** "3 crit, 2 warn, 4 info" (zero counts left out), or "no findings". */
export function findingCounts(findings: readonly Finding[]): string {
  const c = countBySeverity(findings)
  const parts = (['crit', 'warn', 'info'] as const).filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`)
  return parts.length > 0 ? parts.join(', ') : 'no findings'
}

/** An `unknown` observation with a reason (the target could not be evaluated). */
export function unknownObservation(reason: string, startedMs: number, extra: Partial<Observation> = {}): Observation {
  return {
    status: 'unknown',
    summary: reason,
    timings: {totalMs: performance.now() - startedMs},
    findings: [],
    metrics: {},
    ...extra,
  }
}

/** A signal that aborts with the parent or after ms, whichever is first. */
export function boundedSignal(parent: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([parent, AbortSignal.timeout(Math.max(50, Math.round(ms)))])
}
