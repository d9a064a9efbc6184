import {describe, expect, it} from 'vitest'

import {
  activeMaintenance,
  type MaintenanceWindow,
  parseLocalDateTime,
  windowActiveUntil,
  zonedToEpoch,
} from '../../src/monitor/maintenance.js'

const LONDON = 'Europe/London'

describe('zoned times', () => {
  it('maps London wall-clock times to instants across DST', () => {
    expect(new Date(zonedToEpoch(2026, 1, 15, 22, 0, 0, LONDON)).toISOString()).toBe('2026-01-15T22:00:00.000Z')
    expect(new Date(zonedToEpoch(2026, 7, 15, 22, 0, 0, LONDON)).toISOString()).toBe('2026-07-15T21:00:00.000Z')
    // 01:30 does not exist on 29 March 2026 in London: it maps an hour on.
    expect(new Date(zonedToEpoch(2026, 3, 29, 1, 30, 0, LONDON)).toISOString()).toBe('2026-03-29T01:30:00.000Z')
    // 01:30 happens twice on 25 October 2026: the first (BST) one.
    expect(new Date(zonedToEpoch(2026, 10, 25, 1, 30, 0, LONDON)).toISOString()).toBe('2026-10-25T00:30:00.000Z')
    expect(parseLocalDateTime('2026-12-01T22:00', LONDON)).toBe(Date.UTC(2026, 11, 1, 22))
    expect(parseLocalDateTime('2026-06-01T22:00:00+02:00', LONDON)).toBe(Date.UTC(2026, 5, 1, 20))
    expect(parseLocalDateTime('2026-13-01T22:00', LONDON)).toBeUndefined()
  })
})

describe('maintenance windows', () => {
  const nightly: MaintenanceWindow = {
    name: 'nightly',
    checks: ['pds-*'],
    tags: [],
    timezone: LONDON,
    recurring: {startMinute: 23 * 60 + 30, durationMs: 60 * 60_000, days: null},
  }

  it('covers a recurring window that spans midnight, in local time on both sides of DST', () => {
    // Winter: 23:30 GMT to 00:30 GMT.
    expect(windowActiveUntil(nightly, Date.UTC(2026, 0, 10, 23, 45))).toBe(Date.UTC(2026, 0, 11, 0, 30))
    expect(windowActiveUntil(nightly, Date.UTC(2026, 0, 11, 0, 15))).toBe(Date.UTC(2026, 0, 11, 0, 30))
    expect(windowActiveUntil(nightly, Date.UTC(2026, 0, 11, 0, 31))).toBeUndefined()
    // Summer: 23:30 BST is 22:30 UTC.
    expect(windowActiveUntil(nightly, Date.UTC(2026, 6, 10, 22, 45))).toBe(Date.UTC(2026, 6, 10, 23, 30))
    expect(windowActiveUntil(nightly, Date.UTC(2026, 6, 10, 23, 45))).toBeUndefined()
  })

  it('honours weekdays (of the day the window starts) and id globs or tags', () => {
    const sundays: MaintenanceWindow = {
      name: 'sunday patching',
      checks: [],
      tags: ['patching'],
      timezone: LONDON,
      recurring: {startMinute: 22 * 60, durationMs: 4 * 3_600_000, days: [0]},
    }
    // Sunday 22 November 2026 22:00 GMT to Monday 02:00.
    const check = {id: 'nhs-app', tags: ['patching']}
    expect(activeMaintenance([sundays], check, Date.UTC(2026, 10, 23, 1, 0))?.until).toBe(Date.UTC(2026, 10, 23, 2, 0))
    expect(activeMaintenance([sundays], check, Date.UTC(2026, 10, 24, 1, 0))).toBeUndefined() // Tuesday 01:00
    expect(activeMaintenance([sundays], {id: 'nhs-app', tags: []}, Date.UTC(2026, 10, 23, 1, 0))).toBeUndefined()
    expect(activeMaintenance([nightly], {id: 'pds-fhir', tags: []}, Date.UTC(2026, 0, 10, 23, 45))?.window.name).toBe(
      'nightly',
    )
    expect(activeMaintenance([nightly], {id: 'nhs-login', tags: []}, Date.UTC(2026, 0, 10, 23, 45))).toBeUndefined()
  })

  it('covers a one-off window from its start (inclusive) to its end (exclusive)', () => {
    const once: MaintenanceWindow = {
      name: 'upgrade',
      checks: [],
      tags: [],
      timezone: LONDON,
      once: {start: 1000, end: 2000},
    }
    expect(windowActiveUntil(once, 999)).toBeUndefined()
    expect(windowActiveUntil(once, 1000)).toBe(2000)
    expect(windowActiveUntil(once, 2000)).toBeUndefined()
  })
})
