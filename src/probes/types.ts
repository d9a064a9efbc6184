import type {Dispatcher} from 'undici'

import type {Clock, Observation} from '../types.js'

/** A JSON Schema fragment (draft 2020-12 subset used by the catalogue schema). */
export type JsonSchema = Record<string, unknown>

/** curl-style address override: connections to host:port go to address instead. */
export interface ResolveRule {
  host: string
  port: number
  address: string
}

/** Connection options every network probe honours. */
export interface NetOptions {
  /** PEM text of extra trusted CAs (from the check's `ca:` file). */
  ca?: string
  /** Address overrides; the first matching rule wins. */
  resolve: ResolveRule[]
  /** DNS server `host:port` (or `host`) for lookups instead of the system resolver. */
  resolver?: string
}

/** Everything a probe gets from outside: time, cancellation and network settings. */
export interface ProbeContext {
  clock: Clock
  /** Aborts when the check's timeout passes; every wait inside a probe must honour it. */
  signal: AbortSignal
  timeoutMs: number
  net: NetOptions
  /** Optional shared HTTP dispatcher (a connection pool reused across checks). */
  dispatcher?: Dispatcher
  /** Milliseconds the loop timing this attempt has been blocked since it began (latency verdicts discount it). */
  loopDelay?: () => number
}

/** A semantic problem found by a probe's own validation, at a key path relative to the check. */
export interface OptionProblem {
  path: (string | number)[]
  message: string
}

/**
 * What the catalogue needs of a kind of check: its schema and its own validation. Kept apart from run(), so
 * that listing and validating checks loads no network module (probes/specs.ts).
 */
export interface ProbeSpec {
  kind: string
  description: string
  /** JSON Schema of the kind's own keys (merged beside the common keys of every check). */
  properties: Record<string, JsonSchema>
  /** Kind-specific required keys (besides `target`). */
  required?: string[]
  /** JSON Schema of `target` for this kind. */
  targetSchema: JsonSchema
  /** Checks the schema cannot express (regexes compile, ranges ordered…). */
  validate?(options: Record<string, unknown>): OptionProblem[]
}

/**
 * One kind of check: its spec and its run(). Adding a kind means adding a `<kind>-spec.ts` and a `<kind>.ts`
 * in this folder and one line in probes/specs.ts and probes/index.ts. `options` is the check's whole
 * (validated, defaults-merged, interpolated) mapping.
 */
export interface Probe extends ProbeSpec {
  run(target: string, options: Record<string, unknown>, ctx: ProbeContext): Promise<Observation>
}
