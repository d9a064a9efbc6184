import {PerformanceObserver} from 'node:perf_hooks'
import v8 from 'node:v8'

const MiB = 2 ** 20

/**
 * How `watch` shapes V8's heap, and why. A watch keeps ~35 MiB live but allocates several hundred MiB a
 * minute in short-lived objects. Left to itself V8 gives it 32 MiB of new space and lets the old generation
 * grow to about four times the live size between full collections, so RSS sits at 2–3× what is live.
 *
 * - semiSpaceMiB: the young generation is held at this per semi-space (V8's default on 64-bit is 16).
 *   --max-semi-space-size is read only when the heap is set up, but V8 reads --semi-space-growth-factor at
 *   every resize, so the new space grows as usual until it reaches the cap and then stays. (GC notices come
 *   after the fact: a burst between two turns of the event loop can overshoot by a doubling.)
 * - growingPercent: after a full collection the old generation may grow this much over what survived
 *   before the next (--heap-growing-percent, read at every collection; 0 is V8's own 10–300 %).
 *
 * Starting a worker thread puts every V8 flag back to what the process started with (seen on Node 20.20:
 * after `new Worker` the main new space grew to 32 MiB with the growth factor set to 1), so the flags are
 * set again once a worker is online (reassertHeapShape) and at every collection.
 */
export interface WatchHeap {
  semiSpaceMiB?: number
  growingPercent?: number
}

export const DEFAULT_WATCH_HEAP: Required<WatchHeap> = {semiSpaceMiB: 4, growingPercent: 20}

/** The size V8 has given the new space (both semi-spaces), in bytes. */
export function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0
}

/** Node options given at start (NODE_OPTIONS or node's own arguments) that name a flag. */
function setAtStart(flag: RegExp, env: NodeJS.ProcessEnv, execArgv: readonly string[]): boolean {
  return [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => flag.test(a))
}

const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size\b/
const GROWING_FLAG = /^--heap[-_]growing[-_]percent\b/

/**
 * The heap shape from WATCHKEEPER_SEMI_SPACE_MIB and WATCHKEEPER_HEAP_GROWING_PERCENT (0 leaves V8's own);
 * a V8 flag given to node itself wins over both.
 */
export function watchHeapFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): WatchHeap {
  const num = (raw: string | undefined, dflt: number) => {
    const n = raw === undefined || raw.trim() === '' ? dflt : Number(raw)
    return Number.isInteger(n) && n > 0 ? n : undefined
  }

  return {
    semiSpaceMiB: setAtStart(SEMI_SPACE_FLAG, env, execArgv)
      ? undefined
      : num(env.WATCHKEEPER_SEMI_SPACE_MIB, DEFAULT_WATCH_HEAP.semiSpaceMiB),
    growingPercent: setAtStart(GROWING_FLAG, env, execArgv)
      ? undefined
      : num(env.WATCHKEEPER_HEAP_GROWING_PERCENT, DEFAULT_WATCH_HEAP.growingPercent),
  }
}

/** The shape in force, set again by reassertHeapShape(). */
let active: (() => void) | undefined

/** Sets the active shape's flags again (after a worker thread started); nothing when none is applied. */
export function reassertHeapShape(): void {
  active?.()
}

/** Applies a heap shape to this process; returns a function that puts V8's defaults back. */
export function shapeHeap(shape: WatchHeap): () => void {
  const cap = shape.semiSpaceMiB === undefined ? undefined : 2 * shape.semiSpaceMiB * MiB
  const apply = () => {
    if (shape.growingPercent !== undefined) v8.setFlagsFromString(`--heap-growing-percent=${shape.growingPercent}`)
    if (cap !== undefined) v8.setFlagsFromString(`--semi-space-growth-factor=${newSpaceBytes() >= cap ? 1 : 2}`)
  }

  apply()
  active = apply
  const observer = new PerformanceObserver(apply)
  observer.observe({entryTypes: ['gc']})
  return () => {
    observer.disconnect()
    if (active === apply) active = undefined
    if (shape.growingPercent !== undefined) v8.setFlagsFromString('--heap-growing-percent=0')
    if (cap !== undefined) v8.setFlagsFromString('--semi-space-growth-factor=2')
  }
}
