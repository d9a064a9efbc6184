import {describe, expect, it} from 'vitest'

import {UserError} from '../../src/errors.js'
import {parseWhen, readWhen} from '../../src/util/when.js'

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0)
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())

describe('the time-flag grammar', () => {
  it('reads now and durations ago', () => {
    expect(readWhen('now', NOW)).toBe(NOW)
    expect(readWhen('90m', NOW)).toBe(NOW - 90 * 60_000)
    expect(readWhen('2h ago', NOW)).toBe(NOW - 2 * 3_600_000)
    expect(readWhen('7d', NOW)).toBe(NOW - 7 * 86_400_000)
  })

  it('reads a date as London midnight, in winter and in summer', () => {
    expect(iso(readWhen('2026-12-01', NOW))).toBe('2026-12-01T00:00:00.000Z')
    expect(iso(readWhen('2026-07-01', NOW))).toBe('2026-06-30T23:00:00.000Z')
  })

  it('reads a local date-time as London time with the one DST rule', () => {
    expect(iso(readWhen('2026-07-01T09:00', NOW))).toBe('2026-07-01T08:00:00.000Z')
    expect(iso(readWhen('2026-10-25T01:30', NOW))).toBe('2026-10-25T00:30:00.000Z')
    expect(iso(readWhen('2026-03-29 01:30:00', NOW))).toBe('2026-03-29T01:30:00.000Z')
  })

  it('reads ISO times with a zone as given', () => {
    expect(iso(readWhen('2026-07-01T09:00:00Z', NOW))).toBe('2026-07-01T09:00:00.000Z')
    expect(iso(readWhen('2026-07-01T09:00:00.250Z', NOW))).toBe('2026-07-01T09:00:00.250Z')
    expect(iso(readWhen('2026-07-01T09:00+02:00', NOW))).toBe('2026-07-01T07:00:00.000Z')
  })

  it('rejects anything else with one usage error naming the flag', () => {
    for (const bad of [
      'yesterday',
      '2026-13-01',
      '2026-02-30',
      '2026-07-01T25:00',
      '7x',
      '',
      '2026-07-01T09:00:00+2',
    ]) {
      expect(readWhen(bad, NOW), bad).toBeUndefined()
    }

    try {
      parseWhen('yesterday', NOW, '--since')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(UserError)
      expect((error as UserError).code).toBe('E_USAGE')
      expect((error as UserError).exit).toBe(2)
      expect((error as UserError).message).toContain('--since yesterday')
    }
  })
})
