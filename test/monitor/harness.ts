import fs from 'node:fs'
import path from 'node:path'

import {validateCatalogue} from '../../src/catalogue/load.js'
import {WatchMetrics} from '../../src/metrics/watch-metrics.js'
import {buildWatchConfig} from '../../src/monitor/watch-config.js'
import {type LogEntry, Watcher, type WatchHooks} from '../../src/monitor/watch.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {deliveries, type DeliveryRecord, monitorEvents, type StoredMonitorEvent} from '../../src/store/monitor.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'
import {FakeClock} from './fake-clock.js'

export type Mode = 'ok' | 'fail' | 'slow' | 'hang'

/** A loopback HTTP server whose answer the test flips: 200, 500, 200 after 120 ms, or never. */
export async function toggleServer(): Promise<RunningServer & {mode: Mode; hits: number}> {
  const state = {mode: 'ok' as Mode, hits: 0}
  const srv = await startHttp((req, res) => {
    state.hits++
    switch (state.mode) {
      case 'fail': {
        res.writeHead(500).end('down')
        break
      }

      case 'slow': {
        setTimeout(() => res.end('slow'), 400)
        break
      }

      case 'hang': {
        break
      }

      default: {
        res.end('ok')
      }
    }
  })
  return Object.defineProperties(srv, {
    mode: {
      get: () => state.mode,
      set(m: Mode) {
        state.mode = m
      },
    },
    hits: {get: () => state.hits},
  }) as unknown as RunningServer & {mode: Mode; hits: number}
}

export interface Received {
  path: string
  body: Record<string, unknown>
}

/** A loopback webhook receiver; `statuses` are answered in turn (then 200). */
export async function webhookReceiver(
  statuses: number[] = [],
): Promise<RunningServer & {received: Received[]; attempts: number}> {
  const received: Received[] = []
  const queue = [...statuses]
  let attempts = 0
  const srv = await startHttp((req, res) => {
    let text = ''
    req.on('data', (d) => (text += d))
    req.on('end', () => {
      attempts++
      const status = queue.shift() ?? 200
      if (status === 200) received.push({path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown>})
      res.writeHead(status).end(status === 200 ? 'ok' : 'try later')
    })
  })
  return Object.defineProperties(srv, {
    received: {value: received},
    attempts: {get: () => attempts},
  }) as unknown as RunningServer & {received: Received[]; attempts: number}
}

export interface Harness {
  db: DB
  clock: FakeClock
  watcher: Watcher
  logs: LogEntry[]
  metrics: WatchMetrics
  file: string
  /** Deliveries as [event, check] pairs (suppressed ones marked). */
  sent(): string[]
  deliveries(): DeliveryRecord[]
  events(checkId?: string): StoredMonitorEvent[]
  /** A new watcher on the same database and catalogue, as after a restart; the old one is abandoned. */
  restart(at?: number): Harness
}

export function writeCatalogue(dir: string, yaml: string): string {
  const file = path.join(dir, 'checks.yaml')
  fs.writeFileSync(file, yaml)
  return file
}

/** A watcher over a catalogue file and a database in `dir`, driven by a fake clock. */
export function makeHarness(
  dir: string,
  file: string,
  env: NodeJS.ProcessEnv,
  opts: {start?: number; hooks?: WatchHooks; busyTimeoutMs?: number} = {},
): Harness {
  const db = openDatabase(path.join(dir, 'wk.db'), {busyTimeoutMs: opts.busyTimeoutMs})
  const clock = new FakeClock(opts.start)
  const logs: LogEntry[] = []
  const metrics = new WatchMetrics()
  const watcher = new Watcher({
    db,
    host: clock,
    metrics,
    hooks: opts.hooks,
    instance: 'test-probe',
    batchSize: 1000,
    notifyBackoffMs: 20,
    clocksEveryMs: 60_000,
    log: (e) => logs.push(e),
    load() {
      const {catalogue, problems} = validateCatalogue([file], {env})
      return catalogue ? buildWatchConfig(catalogue, env) : {problems}
    },
  })
  clock.settleWith(() => watcher.settle())
  watcher.init()
  watcher.start()
  const h: Harness = {
    db,
    clock,
    watcher,
    logs,
    metrics,
    file,
    deliveries: () => deliveries(db),
    sent: () =>
      deliveries(db).map(
        (d) =>
          `${d.event} ${d.checkId ?? '-'}${d.status === 'suppressed' || d.status === 'held' ? ` (${d.status})` : ''}`,
      ),
    events: (checkId) => monitorEvents(db, {checkId}),
    restart: (at) => makeHarness(dir, file, env, {...opts, start: at ?? clock.now() + 60_000}),
  }
  return h
}
