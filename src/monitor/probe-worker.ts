/**
 * The probe thread: runs attempts sent by probe-thread.ts on an event loop of its own, so that the
 * instants a probe takes are not held up by the main thread's work (posture scoring, database writes,
 * output). Its loop delay goes into a shared buffer the main thread reads at any time.
 */
import http from 'node:http'
import os from 'node:os'
import {parentPort, workerData} from 'node:worker_threads'

import {writeCodeCache} from '../util/code-cache.js'
import {attemptHere, type AttemptOutcome, type AttemptRequest} from './attempt.js'
import {threadLoop} from './loop-delay.js'

if (!parentPort) throw new Error('probe-worker.ts runs as a worker thread (probe-thread.ts starts it)')
const port = parentPort
const shared = new Float64Array(statsBuffer(workerData))
const controllers = new Map<number, AbortController>()

/** The shared loop-delay buffer probe-thread.ts passes as workerData.stats. */
function statsBuffer(data: unknown): SharedArrayBuffer {
  if (typeof data === 'object' && data !== null && 'stats' in data && data.stats instanceof SharedArrayBuffer)
    return data.stats
  throw new Error('probe thread started without its stats buffer')
}

function publish(): void {
  const s = threadLoop.stats()
  shared[0] = s.p99Ms
  shared[1] = s.maxMs
  shared[2] = s.meanMs
}

/**
 * Gives this thread a higher CPU priority than the rest of the process, so that when the host is busy its
 * timestamps are taken as the packets arrive rather than after the main thread's slice. On Linux a nice
 * value set with pid 0 is the calling thread's alone (setpriority(2), NOTES). Lowering it needs
 * CAP_SYS_NICE or an RLIMIT_NICE that allows it (systemd LimitNICE=); without either the thread keeps the
 * process's priority. `want` is a nice value (-20..19); by default 10 below the process's own.
 */
function raisePriority(want: string | undefined): void {
  const own = os.getPriority(0)
  const n = want === undefined || want.trim() === '' ? Math.max(-20, own - 10) : Number(want)
  if (Number.isInteger(n) && n >= -20 && n <= 19) {
    try {
      os.setPriority(0, n)
    } catch {
      // Not permitted: the thread keeps the process's priority.
    }
  }

  shared[3] = os.getPriority(0)
}

/**
 * One http check against a server of this thread's own on loopback, before any real attempt: the first
 * request compiles undici's parser and warms the code paths, a stall that would otherwise land in the
 * first check's timings.
 */
async function warmUp(): Promise<void> {
  const server = http.createServer((_req, res) => res.end('{"ok":true}'))
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()))
    const address = server.address()
    if (address === null || typeof address === 'string') return
    const target = `http://127.0.0.1:${address.port}/`
    await attemptHere(
      {
        kind: 'http',
        target,
        spec: {target, expect: {json: [{path: '$.ok', op: '==', value: true}]}},
        net: {resolve: []},
        timeoutMs: 2000,
      },
      {clock: {now: () => Date.now()}, thread: 'probe'},
    )
  } catch {
    // A thread that cannot listen on loopback still runs checks; only the first one pays for the warm-up.
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

raisePriority(process.env.WATCHKEEPER_PROBE_THREAD_NICE)
threadLoop.start()
setInterval(publish, 250).unref()
await warmUp()
// The code cache entries of what the warm-up compiled (undici): a worker's exit handlers do not run when the process ends.
writeCodeCache()
threadLoop.reset()

type Message =
  | {type: 'run'; id: number; req: AttemptRequest; now: number}
  | {type: 'abort'; id: number}
  | {type: 'reset'}
  | {type: 'publish'; id: number}

/** Results go back in batches, one message per turn of the loop (a message costs more than its content). */
let batch: {id: number; out: AttemptOutcome}[] = []
function flush(): void {
  const out = batch
  batch = []
  try {
    port.postMessage(out)
  } catch {
    for (const r of out) {
      try {
        port.postMessage([r])
      } catch (error) {
        port.postMessage([
          {
            id: r.id,
            out: {
              ...r.out,
              obs: {
                status: 'unknown',
                summary: `result could not be sent from the probe thread: ${error instanceof Error ? error.message : String(error)}`,
                timings: r.out.obs.timings,
                findings: [],
                metrics: {},
              },
            },
          },
        ])
      }
    }
  }
}

port.on('message', (m: Message) => {
  if (m.type === 'abort') {
    controllers.get(m.id)?.abort()
    return
  }

  if (m.type === 'reset') {
    threadLoop.reset()
    publish()
    return
  }

  if (m.type === 'publish') {
    publish()
    port.postMessage([{id: m.id, out: null}])
    return
  }

  const ac = new AbortController()
  controllers.set(m.id, ac)
  // The main thread's clock (possibly a test's), carried across as an offset.
  const offset = m.now - Date.now()
  attemptHere(m.req, {clock: {now: () => Date.now() + offset}, signal: ac.signal, thread: 'probe'}).then((out) => {
    controllers.delete(m.id)
    if (batch.length === 0) setImmediate(flush)
    batch.push({id: m.id, out})
  })
})
