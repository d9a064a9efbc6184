import {describe, expect, it} from 'vitest'

import type {TimelineEvent} from '../../src/incidents/chain.js'
import {describeEvent} from '../../src/incidents/describe.js'

const ev = (type: string, data: Record<string, unknown>): TimelineEvent => ({
  incidentId: 1,
  seq: 1,
  occurredAt: 0,
  recordedAt: 0,
  actor: 'watch',
  type,
  data,
  prevHash: '',
  hash: '',
})

describe('timeline lines for events that watch writes', () => {
  it('reads a recovery and a renewed failure as sentences', () => {
    expect(
      describeEvent(
        ev('check_recovered', {checkId: 'api-pds-ping', state: 'ok', status: 'ok', summary: 'HTTP 200 in 80 ms'}),
      ),
    ).toBe('Check api-pds-ping recovered (ok): HTTP 200 in 80 ms')
    expect(
      describeEvent(ev('check_failing_again', {checkId: 'api-pds-ping', status: 'crit', summary: 'HTTP 503'})),
    ).toBe('Check api-pds-ping is failing again (crit): HTTP 503')
  })
})

describe('timeline lines for command steps', () => {
  it('says how a command ended, how long it took and how much output was kept', () => {
    const base = {argv: ['openssl', 's_client', '-connect', 'www.nhs.uk:443'], outputSha256: 'ab'.repeat(32)}
    expect(
      describeEvent(
        ev('command_run', {
          ...base,
          exitCode: 0,
          timedOut: false,
          durationMs: 1234,
          output: 'ok\n',
          outputBytes: 3,
          outputKeptBytes: 3,
        }),
      ),
    ).toBe('Ran openssl s_client -connect www.nhs.uk:443: exit 0 in 1.2s, 3 bytes of output, sha256 abababababababab…')
    expect(
      describeEvent(
        ev('command_run', {
          ...base,
          exitCode: null,
          signal: 'SIGKILL',
          timedOut: true,
          durationMs: 60_000,
          output: 'x',
          outputBytes: 9000,
          outputKeptBytes: 8192,
        }),
      ),
    ).toBe(
      'Ran openssl s_client -connect www.nhs.uk:443: timed out (killed by SIGKILL) in 1m, 9000 bytes of output (first 8192 kept), sha256 abababababababab…',
    )
    expect(
      describeEvent(
        ev('command_run', {
          argv: ['nope'],
          exitCode: null,
          timedOut: false,
          error: 'spawn nope ENOENT',
          output: '',
          outputBytes: 0,
        }),
      ),
    ).toBe('Ran nope: did not start: spawn nope ENOENT, 0 bytes of output, sha256 …')
    // Events written before outputKeptBytes existed: the kept text's length stands in.
    expect(
      describeEvent(ev('command_run', {...base, exitCode: 2, timedOut: false, output: 'abc', outputBytes: 3})),
    ).toBe('Ran openssl s_client -connect www.nhs.uk:443: exit 2, 3 bytes of output, sha256 abababababababab…')
    expect(describeEvent(ev('command_started', {argv: ['echo', 'two words', '\u001B[2J']}))).toBe(
      String.raw`Started echo 'two words' '\x1b[2J'`,
    )
  })
})
