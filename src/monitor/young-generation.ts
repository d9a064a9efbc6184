import {PerformanceObserver} from 'node:perf_hooks'
import v8 from 'node:v8'

const MiB = 2 ** 20

/** Default cap of one semi-space for `watch` (V8's own on 64-bit is 16 MiB, so 32 MiB of new space). */
export const DEFAULT_WATCH_SEMI_SPACE_MIB = 4

/** The size V8 has given the new space (both semi-spaces), in bytes. */
export function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0
}

/** Whether the process was started with its own --max-semi-space-size (NODE_OPTIONS or node's arguments). */
export function semiSpaceSetAtStart(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): boolean {
  return [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--max[-_]semi[-_]space[-_]size\b/.test(a))
}

/**
 * Holds V8's new space at `semiSpaceMiB` per semi-space or less. --max-semi-space-size is read only when the
 * heap is set up, so a running process cannot lower it; V8 reads --semi-space-growth-factor at each resize,
 * so the new space grows as it would (factor 2) until it reaches the cap and then stays (factor 1). Call it
 * before the heavy modules load: the new space never shrinks back while allocation is brisk.
 */
export function capYoungGeneration(semiSpaceMiB: number): {stop: () => void} {
  const cap = 2 * semiSpaceMiB * MiB
  let factor = 0
  const apply = () => {
    const want = newSpaceBytes() >= cap ? 1 : 2
    if (want === factor) return
    factor = want
    v8.setFlagsFromString(`--semi-space-growth-factor=${want}`)
  }
  apply()
  const observer = new PerformanceObserver(apply)
  observer.observe({entryTypes: ['gc']})
  return {stop: () => {
    observer.disconnect()
    v8.setFlagsFromString('--semi-space-growth-factor=2')
  }}
}

/**
 * The cap `watch` applies, from WATCHKEEPER_SEMI_SPACE_MIB (0 leaves V8's default); none when node was given
 * --max-semi-space-size itself.
 */
export function watchSemiSpaceMiB(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (semiSpaceSetAtStart(env)) return undefined
  const raw = env.WATCHKEEPER_SEMI_SPACE_MIB
  const n = raw === undefined || raw === '' ? DEFAULT_WATCH_SEMI_SPACE_MIB : Number(raw)
  return Number.isInteger(n) && n > 0 ? n : undefined
}
