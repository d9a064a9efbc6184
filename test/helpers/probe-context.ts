import type {NetOptions, ProbeContext} from '../../src/probes/types.js'
import {systemClock} from '../../src/types.js'

/** A probe context as the runner builds it: a real clock and a timeout signal. */
export function probeContext(
  opts: {timeoutMs?: number; net?: Partial<NetOptions>; dispatcher?: ProbeContext['dispatcher']} = {},
): ProbeContext {
  const timeoutMs = opts.timeoutMs ?? 5000
  return {
    clock: systemClock,
    signal: AbortSignal.timeout(timeoutMs),
    timeoutMs,
    net: {resolve: [], ...opts.net},
    ...(opts.dispatcher ? {dispatcher: opts.dispatcher} : {}),
  }
}
