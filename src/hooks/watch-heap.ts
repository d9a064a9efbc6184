import type {Hook} from '@oclif/core'

/**
 * Before `watch` loads: shapes V8's heap for a long-running process (see monitor/watch-heap.ts). It has to
 * run before the command's modules load, which already grow the young generation.
 */
const hook: Hook<'init'> = async function (opts) {
  if (opts.id !== 'watch') return
  const {shapeHeap, watchHeapFromEnv} = await import('../monitor/watch-heap.js')
  shapeHeap(watchHeapFromEnv())
}

export default hook
