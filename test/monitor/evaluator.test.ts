import {describe, expect, it} from 'vitest'

import type {Status} from '../../src/types.js'
import {
  DEFAULT_FLAPPING,
  evaluate,
  type EvaluationPolicy,
  initialState,
  type MonitorState,
} from '../../src/monitor/evaluator.js'

const policy: EvaluationPolicy = {thresholds: {failure: 3, recovery: 2}, flapping: DEFAULT_FLAPPING, suppressed: false}

function feed(statuses: Status[], p: Partial<EvaluationPolicy> = {}, start: MonitorState = initialState('c', 0)) {
  let st = start
  const out: string[] = []
  for (const [i, s] of statuses.entries()) {
    const r = evaluate(st, {status: s, ts: (i + 1) * 60_000, resultId: i + 1, summary: s}, {...policy, ...p})
    st = r.state
    out.push(...r.events.map((e) => e.kind))
  }

  return {state: st, events: out}
}

describe('evaluate', () => {
  it('needs the failure threshold in a row; one pass in between resets it', () => {
    expect(feed(['ok', 'crit', 'crit', 'ok', 'crit', 'crit']).events).toEqual([])
    expect(feed(['ok', 'crit', 'unknown', 'crit']).events).toEqual(['failing'])
  })

  it('starts pending and raises nothing for a first passing result', () => {
    const r = feed(['ok'])
    expect(r.state.state).toBe('ok')
    expect(r.events).toEqual([])
    expect(feed(['crit', 'crit']).state.state).toBe('pending')
  })

  it('recovers to degraded, not ok, when the passing results are warn', () => {
    const r = feed(['crit', 'crit', 'crit', 'warn', 'warn'])
    expect(r.events).toEqual(['failing', 'degraded'])
    expect(r.state.state).toBe('degraded')
  })

  it('sends reminders while failing at the configured pace', () => {
    const r = feed(['crit', 'crit', 'crit', 'crit', 'crit', 'crit', 'crit'], {remindEveryMs: 2 * 60_000})
    expect(r.events).toEqual(['failing', 'reminder', 'reminder'])
  })

  it('sends the all-clear even when suppressed, but never a new alert', () => {
    const failing = feed(['crit', 'crit', 'crit']).state
    expect(feed(['ok', 'ok'], {suppressed: true}, failing).events).toEqual(['recovered'])
    expect(feed(['crit', 'crit', 'crit'], {suppressed: true}).events).toEqual([])
  })
})
