import {describe, expect, it} from 'vitest'

import type {TimelineEvent} from '../../src/incidents/chain.js'
import {clockRegistry} from '../../src/incidents/clock-load.js'
import {clockOutcome, clocksFromEvents, dueClockCrossings} from '../../src/incidents/clocks.js'
import {
  addBusinessDays,
  computedBankHolidays,
  ENGLAND_WALES_BANK_HOLIDAYS,
  formatLondon,
  fromLondon,
  isBusinessDay,
  parseIsoDuration,
  toIsoDuration,
} from '../../src/incidents/time.js'

const london = (y: number, m: number, d: number, h = 10) =>
  fromLondon({year: y, month: m, day: d, hour: h, minute: 0, second: 0})

describe('England and Wales bank holidays', () => {
  it('covers 2024 to 2028 with eight days a year, agreeing with the standing rules', () => {
    for (let y = 2024; y <= 2028; y++) {
      expect(ENGLAND_WALES_BANK_HOLIDAYS[y]).toHaveLength(8)
      expect(computedBankHolidays(y)).toEqual([...ENGLAND_WALES_BANK_HOLIDAYS[y]].sort())
    }
  })

  it('knows substitute days and Easter', () => {
    expect(isBusinessDay(2026, 12, 28)).toBe(false) // Boxing Day 2026 is a Saturday
    expect(isBusinessDay(2027, 12, 27)).toBe(false)
    expect(isBusinessDay(2027, 12, 28)).toBe(false)
    expect(isBusinessDay(2028, 1, 3)).toBe(false)
    expect(isBusinessDay(2025, 4, 18)).toBe(false) // Good Friday
    expect(isBusinessDay(2025, 4, 22)).toBe(true)
  })
})

describe('business days', () => {
  it('skips Christmas, the weekend and New Year', () => {
    const due = addBusinessDays(london(2026, 12, 23), 5)
    expect(formatLondon(due)).toBe('2027-01-04 10:00:00 GMT')
  })

  it('skips Easter and keeps the London wall-clock time across the clock change', () => {
    expect(formatLondon(addBusinessDays(london(2026, 3, 27), 5))).toBe('2026-04-07 10:00:00 BST')
  })
})

describe('ISO 8601 durations', () => {
  it('parses and prints', () => {
    expect(parseIsoDuration('PT72H')).toBe(72 * 3_600_000)
    expect(parseIsoDuration('P1DT12H30M')).toBe((36 * 60 + 30) * 60_000)
    expect(parseIsoDuration('P3D')).toBe(3 * 86_400_000)
    expect(parseIsoDuration('PT')).toBeUndefined()
    expect(parseIsoDuration('72h')).toBeUndefined()
    expect(toIsoDuration(5_400_000)).toBe('PT1H30M')
  })
})

describe('clock crossings', () => {
  const ev = (seq: number, type: string, occurredAt: number, data: Record<string, unknown>): TimelineEvent => ({
    incidentId: 1,
    seq,
    occurredAt,
    recordedAt: occurredAt,
    actor: 't',
    type,
    data,
    prevHash: '',
    hash: '',
  })
  const H = 3_600_000
  const start = Date.UTC(2026, 0, 5, 9)
  const ico = clockRegistry([]).get('ico_72h')!
  const started = ev(1, 'clock_started', start, {
    name: 'ico_72h',
    dueAt: start + 72 * H,
    warnBeforeMs: ico.warnBeforeMs,
  })

  it('yields each warning point and the breach once, at the time they happened', () => {
    const clocks = clocksFromEvents([started])
    const due = dueClockCrossings(clocks.values(), start + 80 * H)
    expect(due.map((d) => [d.type, (d.at - start) / H])).toEqual([
      ['clock_warned', 24],
      ['clock_warned', 48],
      ['clock_warned', 66],
      ['clock_breached', 72],
    ])
    const after = clocksFromEvents([started, ...due.map((d, i) => ev(i + 2, d.type, d.at, d.data))])
    expect(dueClockCrossings(after.values(), start + 90 * H)).toEqual([])
    expect(clockOutcome(after.get('ico_72h')!, start + 90 * H)).toBe('overdue')
  })

  it('records nothing after a clock stopped in time, and calls it on_time', () => {
    const clocks = clocksFromEvents([
      started,
      ev(2, 'clock_stopped', start + 10 * H, {name: 'ico_72h', outcome: 'notified', reason: 'reported'}),
    ])
    expect(dueClockCrossings(clocks.values(), start + 100 * H)).toEqual([])
    expect(clockOutcome(clocks.get('ico_72h')!, start + 100 * H)).toBe('on_time')
  })
})
