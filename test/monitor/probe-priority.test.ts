/**
 * The probe thread's CPU priority: on Linux a nice value is per thread, so the probe thread can run at a
 * higher priority than the rest of the process when it is allowed to, and at the one asked for. Each case
 * runs in a child process, whose threads are read from /proc.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, it} from 'vitest'

interface Seen {
  own: number
  mayRaise: boolean
  reported: number
  mainNice: number
  threadNices: number[]
}

function probeNice(env: Record<string, string>): Seen {
  const mod = JSON.stringify(pathToFileURL(path.resolve('dist/monitor/probe-thread.js')).href)
  const script = `
    import fs from 'node:fs'
    import os from 'node:os'
    import {Worker} from 'node:worker_threads'
    const own = os.getPriority(0)
    // Whether this process may lower a thread's nice value: asked of a throwaway thread.
    const mayRaise = await new Promise((resolve) => {
      const w = new Worker("const os = require('node:os'); let ok = true; try { os.setPriority(0, Math.max(-20, os.getPriority(0) - 10)) } catch { ok = false } require('node:worker_threads').parentPort.postMessage(ok)", {eval: true})
      w.once('message', (ok) => { resolve(ok); void w.terminate() })
    })
    const {probeThread} = await import(${mod})
    probeThread.prestart()
    while (Number.isNaN(probeThread.nice)) await new Promise((r) => setTimeout(r, 20))
    const niceOf = (tid) => Number(fs.readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16])
    const tids = fs.readdirSync('/proc/self/task')
    console.log(JSON.stringify({own, mayRaise, reported: probeThread.nice, mainNice: niceOf(process.pid), threadNices: tids.map(niceOf)}))
    await probeThread.close()`
  // A file, not -e: a worker inherits node's -e and would run the script again.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-nice-'))
  const file = path.join(dir, 'run.mjs')
  fs.writeFileSync(file, script)
  try {
    return JSON.parse(
      execFileSync(process.execPath, [file], {
        encoding: 'utf8',
        timeout: 120_000,
        env: {...process.env, ...env},
      }).trim(),
    ) as Seen
  } finally {
    fs.rmSync(dir, {recursive: true, force: true})
  }
}

describe.skipIf(process.platform !== 'linux')('probe thread priority', {timeout: 150_000}, () => {
  it('runs at the nice value asked for, and the main thread keeps its own', () => {
    const seen = probeNice({WATCHKEEPER_PROBE_THREAD_NICE: '19'})
    expect(seen.reported).toBe(19)
    expect(seen.mainNice).toBe(seen.own)
    expect(seen.threadNices.filter((n) => n === 19)).toHaveLength(1)
  })

  it("by default runs 10 below the process when allowed, else at the process's own priority", () => {
    const seen = probeNice({WATCHKEEPER_PROBE_THREAD_NICE: ''})
    const want = seen.mayRaise ? Math.max(-20, seen.own - 10) : seen.own
    expect(seen.reported).toBe(want)
    expect(seen.mainNice).toBe(seen.own)
    expect(seen.threadNices).toContain(want)
  })
})
