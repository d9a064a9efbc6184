import type {Hook} from '@oclif/core'

/**
 * Before `watch` loads: caps V8's young generation for a long-running process (see
 * monitor/young-generation.ts). It has to run before the command's modules load, which grow the new space.
 */
const hook: Hook<'init'> = async function (opts) {
  if (opts.id !== 'watch') return
  const {capYoungGeneration, watchSemiSpaceMiB} = await import('../monitor/young-generation.js')
  const mib = watchSemiSpaceMiB()
  if (mib !== undefined) capYoungGeneration(mib)
}

export default hook
