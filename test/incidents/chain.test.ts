import {describe, expect, it} from 'vitest'

import {canonicalJson, eventHash, GENESIS_HASH, type TimelineEvent, verifyChain} from '../../src/incidents/chain.js'

function chain(n: number): TimelineEvent[] {
  const out: TimelineEvent[] = []
  let prev = GENESIS_HASH
  for (let i = 1; i <= n; i++) {
    const e = {
      incidentId: 7,
      seq: i,
      occurredAt: 1_700_000_000_000 + i,
      recordedAt: 1_700_000_000_000 + i,
      actor: 'a',
      type: 'note',
      data: {text: `n${i}`, nested: {b: 1, a: [1, 'x']}},
      prevHash: prev,
    }
    const full = {...e, hash: eventHash(e)}
    out.push(full)
    prev = full.hash
  }

  return out
}

describe('hash chain', () => {
  it('serialises canonically whatever the key order', () => {
    expect(canonicalJson({b: 1, a: {d: [1, {z: true, y: null}], c: 'x'}, u: undefined})).toBe(
      '{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}',
    )
    expect(eventHash(chain(1)[0])).toBe(eventHash({...chain(1)[0], data: {nested: {a: [1, 'x'], b: 1}, text: 'n1'}}))
  })

  it('verifies an intact chain and reports its head', () => {
    const events = chain(5)
    expect(verifyChain(events, 7)).toEqual({ok: true, count: 5, head: events[4].hash})
  })

  it('names the first event that was edited, removed, reordered or moved to another incident', () => {
    const edited = chain(5)
    edited[2] = {...edited[2], data: {...edited[2].data, text: 'changed'}}
    expect(verifyChain(edited, 7).firstBad).toMatchObject({
      seq: 3,
      reason: expect.stringContaining('content does not match'),
    })
    const rehashed = chain(5)
    rehashed[1] = {...rehashed[1], actor: 'mallory'}
    rehashed[1].hash = eventHash(rehashed[1])
    expect(verifyChain(rehashed, 7).firstBad).toMatchObject({
      seq: 3,
      reason: expect.stringContaining('previous-hash link'),
    })
    const removed = chain(5).filter((e) => e.seq !== 2)
    expect(verifyChain(removed, 7).firstBad?.seq).toBe(3)
    const late = chain(5)
    late[3] = {...late[3], occurredAt: late[3].occurredAt - 1}
    expect(verifyChain(late, 7).firstBad?.seq).toBe(4)
    expect(verifyChain(chain(2), 8).firstBad).toMatchObject({
      seq: 1,
      reason: expect.stringContaining('belongs to incident 7'),
    })
  })
})
