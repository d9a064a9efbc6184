import {describe, expect, it} from 'vitest'

import {fromLondon} from '../../src/incidents/time.js'
import {zonedToEpoch as maintenanceToEpoch, parseLocalDateTime} from '../../src/monitor/maintenance.js'
import {parseInstant} from '../../src/reports/uptime.js'
import {zonedTime} from '../../src/store/rollups.js'
import {zonedToEpoch} from '../../src/util/zoned-time.js'

const LONDON = 'Europe/London'
const iso = (ms: number) => new Date(ms).toISOString()

// Every caller that turns a local time into an instant, at 01:30 London on the given day.
const callers: Record<string, (y: number, m: number, d: number) => number> = {
  'util/zoned-time': (y, m, d) => zonedToEpoch(y, m, d, 1, 30, 0, LONDON),
  'maintenance zonedToEpoch': (y, m, d) => maintenanceToEpoch(y, m, d, 1, 30, 0, LONDON),
  'maintenance parseLocalDateTime': (y, m, d) =>
    parseLocalDateTime(`${y}-${String(m).padStart(2, '0')}-${d}T01:30`, LONDON)!,
  'incidents fromLondon': (y, m, d) => fromLondon({year: y, month: m, day: d, hour: 1, minute: 30, second: 0}),
  'rollups zonedTime': (y, m, d) => zonedTime(y, m, d, 1, 30, 0, LONDON),
  'report parseInstant': (y, m, d) => parseInstant(`${y}-${String(m).padStart(2, '0')}-${d}T01:30`, 0),
}

describe('one DST rule for every caller', () => {
  for (const [name, toEpoch] of Object.entries(callers)) {
    it(`${name}: a repeated time is its earlier instant (25 October 2026)`, () => {
      expect(iso(toEpoch(2026, 10, 25))).toBe('2026-10-25T00:30:00.000Z')
    })
    it(`${name}: a skipped time moves forward by the gap (29 March 2026)`, () => {
      expect(iso(toEpoch(2026, 3, 29))).toBe('2026-03-29T01:30:00.000Z')
    })
    it(`${name}: unambiguous times either side of the changes`, () => {
      expect(iso(toEpoch(2026, 10, 26))).toBe('2026-10-26T01:30:00.000Z')
      expect(iso(toEpoch(2026, 10, 24))).toBe('2026-10-24T00:30:00.000Z')
      expect(iso(toEpoch(2026, 3, 28))).toBe('2026-03-28T01:30:00.000Z')
      expect(iso(toEpoch(2026, 3, 30))).toBe('2026-03-30T00:30:00.000Z')
    })
  }

  it('edges of the changed hours', () => {
    // 01:00 GMT jumps to 02:00 BST: 01:00..01:59:59 are skipped, 02:00 exists.
    expect(iso(zonedToEpoch(2026, 3, 29, 2, 0, 0, LONDON))).toBe('2026-03-29T01:00:00.000Z')
    expect(iso(zonedToEpoch(2026, 3, 29, 1, 0, 0, LONDON))).toBe('2026-03-29T01:00:00.000Z')
    expect(iso(zonedToEpoch(2026, 3, 29, 0, 59, 59, LONDON))).toBe('2026-03-29T00:59:59.000Z')
    // 01:00..01:59:59 repeat on 25 October; 02:00 is GMT only.
    expect(iso(zonedToEpoch(2026, 10, 25, 1, 0, 0, LONDON))).toBe('2026-10-25T00:00:00.000Z')
    expect(iso(zonedToEpoch(2026, 10, 25, 1, 59, 59, LONDON))).toBe('2026-10-25T00:59:59.000Z')
    expect(iso(zonedToEpoch(2026, 10, 25, 2, 0, 0, LONDON))).toBe('2026-10-25T02:00:00.000Z')
  })

  it('rolls overflowing fields over and works in other zones', () => {
    expect(iso(zonedToEpoch(2026, 12, 32, 0, 0, 0, LONDON))).toBe('2027-01-01T00:00:00.000Z')
    expect(iso(zonedToEpoch(2026, 0, 1, 0, 0, 0, LONDON))).toBe('2025-12-01T00:00:00.000Z')
    // New York: 2026-11-01 01:30 repeats (EDT first, -04:00); 2026-03-08 02:30 is skipped.
    expect(iso(zonedToEpoch(2026, 11, 1, 1, 30, 0, 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z')
    expect(iso(zonedToEpoch(2026, 3, 8, 2, 30, 0, 'America/New_York'))).toBe('2026-03-08T07:30:00.000Z')
    expect(iso(zonedToEpoch(2026, 6, 1, 12, 0, 0, 'UTC'))).toBe('2026-06-01T12:00:00.000Z')
  })
})
