import {describe, expect, it} from 'vitest'

import type {TimelineEvent} from '../../src/incidents/chain.js'
import {describeEvent} from '../../src/incidents/describe.js'

const ev = (type: string, data: Record<string, unknown>): TimelineEvent =>
  ({incidentId: 1, seq: 1, occurredAt: 0, recordedAt: 0, actor: 'watch', type, data, prevHash: '', hash: ''})

describe('timeline lines for events that watch writes', () => {
  it('reads a recovery and a renewed failure as sentences', () => {
    expect(describeEvent(ev('check_recovered', {checkId: 'api-pds-ping', state: 'ok', status: 'ok', summary: 'HTTP 200 in 80 ms'})))
      .toBe('Check api-pds-ping recovered (ok): HTTP 200 in 80 ms')
    expect(describeEvent(ev('check_failing_again', {checkId: 'api-pds-ping', status: 'crit', summary: 'HTTP 503'})))
      .toBe('Check api-pds-ping is failing again (crit): HTTP 503')
  })
})
