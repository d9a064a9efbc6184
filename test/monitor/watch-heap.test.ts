import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, it} from 'vitest'

import {watchHeapFromEnv} from '../../src/monitor/watch-heap.js'

describe('watch heap shape', () => {
  it('reads the environment, and leaves alone what node was given itself', () => {
    expect(watchHeapFromEnv({WATCHKEEPER_SEMI_SPACE_MIB: '8', WATCHKEEPER_HEAP_GROWING_PERCENT: '25'}, [])).toEqual({
      semiSpaceMiB: 8,
      growingPercent: 25,
    })
    expect(watchHeapFromEnv({WATCHKEEPER_SEMI_SPACE_MIB: '0', WATCHKEEPER_HEAP_GROWING_PERCENT: '0'}, [])).toEqual({
      semiSpaceMiB: undefined,
      growingPercent: undefined,
    })
    expect(watchHeapFromEnv({WATCHKEEPER_SEMI_SPACE_MIB: 'lots'}, []).semiSpaceMiB).toBeUndefined()
    expect(
      watchHeapFromEnv({NODE_OPTIONS: '--max-semi-space-size=2', WATCHKEEPER_SEMI_SPACE_MIB: '8'}, []).semiSpaceMiB,
    ).toBeUndefined()
    expect(
      watchHeapFromEnv({WATCHKEEPER_HEAP_GROWING_PERCENT: '25'}, ['--heap-growing-percent=50']).growingPercent,
    ).toBeUndefined()
  })

  it('holds the new space at the cap in a process that allocates hard between turns of the event loop', () => {
    // A fresh process: the cap cannot shrink a new space that has already grown.
    const mod = pathToFileURL(path.resolve('dist/monitor/watch-heap.js')).href
    const script = `
      const {shapeHeap, newSpaceBytes} = await import(${JSON.stringify(mod)})
      const measure = async () => {
        let keep = []
        for (let i = 0; i < 2e6; i++) { keep.push({i, s: 'x' + i}); if (keep.length > 20000) { keep = []; await new Promise((r) => setImmediate(r)) } }
        return newSpaceBytes() / 2 ** 20
      }
      const undo = process.argv[1] === 'cap' ? shapeHeap({semiSpaceMiB: 4}) : () => {}
      const mib = await measure()
      undo()
      console.log(mib)`
    const run = (mode: string) =>
      Number(execFileSync(process.execPath, ['--input-type=module', '-e', script, mode], {encoding: 'utf8'}).trim())
    expect(run('cap')).toBeLessThanOrEqual(8)
    expect(run('none')).toBeGreaterThan(8)
  })
})

describe('watch heap shape beside the probe thread', () => {
  it(
    'keeps the new space at the cap after the probe thread starts (a new isolate resets the growth factor)',
    // A scavenge in the window between the worker's isolate set-up and the 'online' handler can double the new
    // space once (seen in 1 of 18 runs on the 2-core machine, and once in CI): retried, so a cap that never
    // holds still fails.
    {timeout: 150_000, retry: 2},
    () => {
      const dist = (f: string) => JSON.stringify(pathToFileURL(path.resolve('dist/monitor', f)).href)
      const script = `
      const {shapeHeap, newSpaceBytes} = await import(${dist('watch-heap.js')})
      const {probeThread} = await import(${dist('probe-thread.js')})
      const alloc = async (n) => {
        let keep = []
        for (let i = 0; i < n; i++) { keep.push({i, s: 'x' + i}); if (keep.length > 20000) { keep = []; await new Promise((r) => setImmediate(r)) } }
      }
      shapeHeap({semiSpaceMiB: 4})
      await alloc(2e6)
      const before = newSpaceBytes() / 2 ** 20
      probeThread.prestart()
      while (Number.isNaN(probeThread.nice)) await new Promise((r) => setTimeout(r, 20))
      await alloc(4e6)
      console.log(JSON.stringify({before, after: newSpaceBytes() / 2 ** 20}))
      await probeThread.close()`
      // A file, not -e: a worker inherits node's -e and would run the script again.
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wk-heap-')), 'run.mjs')
      fs.writeFileSync(file, script)
      let out: {before: number; after: number}
      try {
        out = JSON.parse(execFileSync(process.execPath, [file], {encoding: 'utf8', timeout: 120_000}).trim()) as {
          before: number
          after: number
        }
      } finally {
        fs.rmSync(path.dirname(file), {recursive: true, force: true})
      }

      expect(out.before).toBeLessThanOrEqual(8)
      expect(out.after).toBeLessThanOrEqual(8)
    },
  )
})
