import {describe, expect, it} from 'vitest'

import {insertResults, lastResultCache, lastResults, upsertChecks} from '../../src/store/results.js'
import {freshDb, HOUR, result} from './seed.js'

const T0 = Date.UTC(2026, 10, 30, 9, 0)

describe('lastResults', () => {
  it('finds the newest result of each check across vantages and out-of-order results, with texts; the cache decodes only changed blocks', () => {
    const f = freshDb('wk-last-')
    try {
      const refs = upsertChecks(
        f.db,
        ['a', 'b', 'c'].map((id) => ({id, kind: 'tcp', target: `${id}.test:1`})),
        T0,
      )
      const r = (id: string, at: number, status: 'ok' | 'crit', ms: number, summary = `${status} ${ms} ms`) => ({
        ...result(id, at, status, ms),
        summary,
      })
      // a: the newest result was written before an older one (it arrived late) in the same block.
      insertResults(f.db, refs, null, [
        r('a', T0 + 10_000, 'ok', 5),
        r('a', T0 + 50_000, 'crit', 0, 'refused on port 1'),
        r('a', T0 + 20_000, 'ok', 7),
      ])
      // b: two vantages in the same hour; the other vantage holds the newest.
      insertResults(f.db, refs, null, [r('b', T0 + HOUR + 1000, 'ok', 11)], {vantage: {id: 'north'}})
      insertResults(f.db, refs, null, [r('b', T0 + HOUR + 2000, 'crit', 12, 'timed out')], {vantage: {id: 'south'}})
      // c: an older hour and a newer one.
      insertResults(f.db, refs, null, [r('c', T0, 'ok', 3), r('c', T0 + 2 * HOUR, 'ok', 4)])
      const pick = (xs: ReturnType<typeof lastResults>) =>
        xs.map((x) => [x.checkId, x.ts, x.status, x.summary, x.vantage ?? null])
      const expected = [
        ['a', T0 + 50_000, 'crit', 'refused on port 1', null],
        ['b', T0 + HOUR + 2000, 'crit', 'timed out', 'south'],
        ['c', T0 + 2 * HOUR, 'ok', 'ok 4 ms', null],
      ]
      expect(pick(lastResults(f.db))).toEqual(expected)
      const north = f.db.prepare("SELECT id FROM vantages WHERE vantage_id = 'north'").pluck().get() as number
      expect(pick(lastResults(f.db, ['b'], {vantageRef: north}))).toEqual([
        ['b', T0 + HOUR + 1000, 'ok', 'ok 11 ms', 'north'],
      ])
      expect(pick(lastResults(f.db, ['c', 'a']))).toEqual([expected[0], expected[2]])

      const cache = lastResultCache()
      expect(pick(lastResults(f.db, undefined, {cache}))).toEqual(expected)
      expect([...cache.byCheck.values()].map((v) => v.blocks.split(',').length)).toEqual([1, 2, 1])
      const kept = cache.byCheck.get(refs.get('a')!)
      insertResults(f.db, refs, null, [r('c', T0 + 2 * HOUR + 60_000, 'crit', 0, 'reset')])
      expect(pick(lastResults(f.db, undefined, {cache}))).toEqual([
        expected[0],
        expected[1],
        ['c', T0 + 2 * HOUR + 60_000, 'crit', 'reset', null],
      ])
      // The unchanged check's entry is the very one kept; the changed check's was decoded again.
      expect(cache.byCheck.get(refs.get('a')!)).toBe(kept)
      expect(pick(lastResults(f.db, undefined, {cache}))).toEqual(pick(lastResults(f.db)))
      // Blocks pruned away: the check has no last result, from the cache or without it.
      f.db.prepare('DELETE FROM result_blocks WHERE check_ref = ?').run(refs.get('a'))
      expect(pick(lastResults(f.db, undefined, {cache})).map((x) => x[0])).toEqual(['b', 'c'])
      expect(cache.byCheck.has(refs.get('a')!)).toBe(false)
      // A cache filled for one vantage is not used for another.
      expect(pick(lastResults(f.db, ['b'], {vantageRef: north, cache}))).toEqual([
        ['b', T0 + HOUR + 1000, 'ok', 'ok 11 ms', 'north'],
      ])
      expect(pick(lastResults(f.db, ['b'], {cache}))).toEqual([expected[1]])
    } finally {
      f.cleanup()
    }
  })
})
