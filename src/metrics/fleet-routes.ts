import type http from 'node:http'

import type {CheckDefinition} from '../catalogue/load.js'
import type {NetOptions} from '../probes/types.js'
import type {Route} from './server.js'
import {runCheck} from '../monitor/runner.js'
import {probeFor} from '../probes/index.js'
import {type CheckResult, STATUS_CODE} from '../types.js'
import {exposition, HTTP_PHASES, type Sample, seconds} from './exposition.js'
import {type Vantage, vantageLabels} from './vantage.js'
import {checkLabels} from './watch-metrics.js'

/** blackbox_exporter's --timeout-offset: the probe ends this much before Prometheus gives up on the scrape. */
export const TIMEOUT_OFFSET_MS = 500
export const DEFAULT_PROBE_CONCURRENCY = 32
/** Modules of `/probe?target=…&module=…`: the http kind with its defaults (2xx after redirects). */
export const PROBE_MODULES = ['http_2xx'] as const
const EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8'

export interface FleetRouteOptions {
  /** The enabled checks being watched now. */
  checks: () => readonly CheckDefinition[]
  vantage: () => Vantage | undefined
  /** The listener's own address, for /sd when a request carries no usable Host header. */
  address: () => {host: string; port: number} | undefined
  /** Probes of /probe in flight at once (default 32); as many again may wait for a slot. */
  concurrency?: number
  /** Network settings of ad-hoc targets (--resolve, --resolver). */
  net?: NetOptions
  run?: (check: CheckDefinition, signal: AbortSignal) => Promise<CheckResult>
}

/** A counting semaphore with a bounded queue. */
class Slots {
  private busy = 0
  private readonly waiting: (() => void)[] = []

  constructor(
    private readonly size: number,
    private readonly queue: number,
  ) {}

  /** Resolves with a release function; undefined when the queue is full or the signal fires first. */
  acquire(signal: AbortSignal): Promise<(() => void) | undefined> {
    const release = () => {
      const next = this.waiting.shift()
      if (next) next()
      else this.busy--
    }

    if (this.busy < this.size) {
      this.busy++
      return Promise.resolve(release)
    }

    if (this.waiting.length >= this.queue || signal.aborted) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      const go = () => {
        signal.removeEventListener('abort', give)
        resolve(release)
      }

      const give = () => {
        const i = this.waiting.indexOf(go)
        if (i !== -1) this.waiting.splice(i, 1)
        resolve(undefined)
      }

      this.waiting.push(go)
      signal.addEventListener('abort', give, {once: true})
    })
  }
}

/** blackbox_exporter's series for one result, without labels of their own (the scrape target names them). */
export function probeSamples(r: CheckResult, timeoutMs: number): Sample[] {
  const out: Sample[] = [
    {
      name: 'probe_success',
      help: 'Displays whether or not the probe was a success',
      value: r.status === 'ok' || r.status === 'warn' ? 1 : 0,
    },
    {
      name: 'probe_duration_seconds',
      help: 'Returns how long the probe took to complete in seconds',
      value: seconds(r.durationMs),
    },
    {name: 'probe_timeout_seconds', help: 'Returns the probe timeout in seconds', value: seconds(timeoutMs)},
  ]
  if (r.timings.dnsMs !== undefined)
    out.push({
      name: 'probe_dns_lookup_time_seconds',
      help: 'Returns the time taken for probe dns lookup in seconds',
      value: seconds(r.timings.dnsMs),
    })
  if (r.kind === 'http') {
    const timings = new Map(Object.entries(r.timings))
    for (const [key, phase] of Object.entries(HTTP_PHASES)) {
      const v = timings.get(key)
      if (v !== undefined)
        out.push({
          name: 'probe_http_duration_seconds',
          help: 'Duration of http request by phase, summed over all redirects',
          labels: {phase},
          value: seconds(v),
        })
    }

    out.push({
      name: 'probe_http_status_code',
      help: 'Response HTTP status code (0 when there was no response)',
      value: r.metrics.httpStatus ?? 0,
    })
    if (r.metrics.redirects !== undefined)
      out.push({name: 'probe_http_redirects', help: 'The number of redirects', value: r.metrics.redirects})
  }

  if (r.metrics.certNotAfter !== undefined)
    out.push({
      name: 'probe_ssl_earliest_cert_expiry',
      help: 'Returns last SSL chain expiry in unixtime',
      value: r.metrics.certNotAfter,
    })
  out.push({
    name: 'watchkeeper_check_status',
    help: 'Check status: 0 ok, 1 warn, 2 crit, 3 unknown',
    value: STATUS_CODE[r.status],
  })
  return out
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** The probe timeout for a scrape: the check's own, or Prometheus's scrape timeout less the offset when shorter. */
export function probeTimeoutMs(header: string | string[] | undefined, checkTimeoutMs: number): number {
  if (header === undefined) return checkTimeoutMs
  const text = Array.isArray(header) ? header[0] : header
  const s = Number(text)
  if (text.trim() === '' || !Number.isFinite(s) || s <= 0)
    throw new BadRequest(
      400,
      `X-Prometheus-Scrape-Timeout-Seconds: expected a positive number of seconds, got "${text}"`,
    )
  const scrapeMs = s * 1000
  const budget = scrapeMs > 2 * TIMEOUT_OFFSET_MS ? scrapeMs - TIMEOUT_OFFSET_MS : scrapeMs / 2
  return Math.max(1, Math.min(checkTimeoutMs, Math.floor(budget)))
}

function single(url: URL, name: string): string | undefined {
  const all = url.searchParams.getAll(name)
  if (all.length > 1) throw new BadRequest(400, `${name}: given ${all.length} times; give it once`)
  return all[0]
}

function adhocCheck(target: string, module: string | undefined, net: NetOptions): CheckDefinition {
  if (module === undefined) throw new BadRequest(400, `target needs module (one of ${PROBE_MODULES.join(', ')})`)
  if (!PROBE_MODULES.some((m) => m === module))
    throw new BadRequest(400, `module: unknown module "${module}" (known: ${PROBE_MODULES.join(', ')})`)
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new BadRequest(400, 'target: expected an http:// or https:// URL')
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new BadRequest(400, `target: expected an http:// or https:// URL, got ${url.protocol}`)
  if (url.username || url.password) throw new BadRequest(400, 'target: credentials in the URL are not accepted')
  const spec = {id: 'probe', kind: 'http', target: url.href}
  const problems = probeFor('http')?.validate?.(spec) ?? []
  if (problems.length > 0) throw new BadRequest(400, `target: ${problems[0].message}`)
  return {
    id: 'probe',
    name: 'probe',
    kind: 'http',
    target: url.href,
    tags: [],
    enabled: true,
    timeoutMs: 10_000,
    retries: 0,
    net,
    spec,
    secrets: [],
    source: {file: '', line: 0, col: 0},
  }
}

/**
 * The checks a plain blackbox_exporter can probe as they are: http checks (module http_2xx, or the one
 * named) and tcp ones (tcp_connect), whose targets need nothing from the environment.
 */
function blackboxTargets(
  checks: readonly CheckDefinition[],
  module: string | undefined,
): [CheckDefinition, string, string][] {
  const out: [CheckDefinition, string, string][] = []
  for (const c of checks) {
    if (c.target.includes('${')) continue
    if (c.kind === 'http') out.push([c, c.target, module ?? 'http_2xx'])
    else if (c.kind === 'tcp') out.push([c, c.target, 'tcp_connect'])
  }

  return out
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, {'content-type': 'text/plain; charset=utf-8'}).end(text.endsWith('\n') ? text : text + '\n')
}

/** The host:port a client reached the listener on, from the Host header when it is a plain one. */
function selfAddress(req: http.IncomingMessage, fallback: {host: string; port: number} | undefined): string {
  const h = req.headers.host
  if (h && /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(h)) return h
  if (!fallback) return '127.0.0.1'
  const host = fallback.host === '0.0.0.0' || fallback.host === '::' ? '127.0.0.1' : fallback.host
  return `${host.includes(':') ? `[${host}]` : host}:${fallback.port}`
}

type SdGroup = {targets: string[]; labels: Record<string, string>}

/** The target groups GET /sd answers with: the blackbox ones for for=blackbox, else this listener's /probe per check. */
function sdGroups(opts: FleetRouteOptions, req: http.IncomingMessage, url: URL): SdGroup[] {
  for (const name of new Set(url.searchParams.keys())) {
    if (name !== 'for' && name !== 'module')
      throw new BadRequest(400, `unknown parameter "${name}" (expected for=blackbox, optionally with module=NAME)`)
  }

  const forWhom = single(url, 'for')
  const module = single(url, 'module')
  if (forWhom !== undefined && forWhom !== 'blackbox')
    throw new BadRequest(400, `for: unknown consumer "${forWhom}" (expected blackbox)`)
  if (module !== undefined && forWhom === undefined) throw new BadRequest(400, 'module goes with for=blackbox')
  if (module !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(module))
    throw new BadRequest(400, 'module: expected a blackbox_exporter module name such as http_2xx')
  const vantage = vantageLabels(opts.vantage())
  return forWhom === 'blackbox'
    ? blackboxTargets(opts.checks(), module).map(([c, target, mod]) => ({
        targets: [target],
        labels: {__param_module: mod, ...checkLabels(c), ...vantage},
      }))
    : opts.checks().map((c) => ({
        targets: [selfAddress(req, opts.address())],
        labels: {__metrics_path__: '/probe', __param_check: c.id, ...checkLabels(c), ...vantage},
      }))
}

/** The check a GET /probe names: a watched one by check=ID, or an ad-hoc http one by target=URL&module=NAME. */
function probedCheck(opts: FleetRouteOptions, url: URL, net: NetOptions): CheckDefinition {
  for (const name of new Set(url.searchParams.keys())) {
    if (!['check', 'target', 'module'].includes(name))
      throw new BadRequest(
        400,
        `unknown parameter "${name}" (expected check=ID, or target=URL&module=${PROBE_MODULES[0]})`,
      )
  }

  const id = single(url, 'check')
  const target = single(url, 'target')
  const module = single(url, 'module')
  if ((id === undefined) === (target === undefined))
    throw new BadRequest(400, 'give check=ID, or target=URL&module=' + PROBE_MODULES[0] + ', one of them')
  if (target !== undefined) return adhocCheck(target, module, net)
  if (module !== undefined) throw new BadRequest(400, 'module goes with target=, not with check=')
  const found = opts.checks().find((c) => c.id === id)
  if (!found) throw new BadRequest(404, `no enabled check with id "${id}" in the catalogue being watched`)
  return found
}

/** Answers a BadRequest with its status and message; anything else is rethrown. */
function sendBadRequest(res: http.ServerResponse, error: unknown): void {
  if (error instanceof BadRequest) return sendText(res, error.status, error.message)
  throw error
}

interface ProbeRunner {
  slots: Slots
  size: number
  run: (check: CheckDefinition, signal: AbortSignal) => Promise<CheckResult>
}

/**
 * Runs one check for /probe once a slot is free (503 when none comes free in time or the queue is full) and
 * answers with its series; the client hanging up aborts it.
 */
async function probeAndReply(
  p: ProbeRunner,
  res: http.ServerResponse,
  check: CheckDefinition,
  timeoutMs: number,
): Promise<void> {
  const started = performance.now()
  const abort = new AbortController()
  // The probe's own timeout ends it; this is the backstop (and the client hanging up).
  const timer = setTimeout(() => abort.abort(), timeoutMs + 200)
  const gone = () => abort.abort()
  res.once('close', gone)
  try {
    const wait = AbortSignal.any([abort.signal, AbortSignal.timeout(timeoutMs)])
    const release = await p.slots.acquire(wait)
    if (!release) {
      const why = wait.aborted
        ? `no probe slot came free within the ${seconds(timeoutMs)} s timeout`
        : `too many probes in flight (${p.size} running, ${p.size} waiting)`
      if (!res.destroyed)
        res.writeHead(503, {'content-type': 'text/plain; charset=utf-8', 'retry-after': '1'}).end(why + '\n')
      return
    }

    try {
      // Time spent waiting for a slot comes out of the scrape's budget.
      const left = Math.max(1, Math.floor(timeoutMs - (performance.now() - started)))
      const result = await p.run({...check, timeoutMs: left, retries: 0}, abort.signal)
      if (!res.destroyed)
        res.writeHead(200, {'content-type': EXPOSITION}).end(exposition(probeSamples(result, timeoutMs)))
    } finally {
      release()
    }
  } finally {
    clearTimeout(timer)
    res.off('close', gone)
  }
}

/**
 * The Prometheus entry points of watch's listener: GET /sd (HTTP service discovery of the catalogue, each
 * target being this listener's /probe?check=ID) and GET /probe (one check now, in blackbox_exporter's
 * names). A /probe result is not stored and moves no state: Prometheus keeps it.
 */
export function fleetRoutes(opts: FleetRouteOptions): Route[] {
  const size = opts.concurrency ?? DEFAULT_PROBE_CONCURRENCY
  const runner: ProbeRunner = {
    slots: new Slots(size, size),
    size,
    run: opts.run ?? ((check, signal) => runCheck(check, {signal, graceMs: 100})),
  }
  const net = opts.net ?? {resolve: []}

  const sd: Route = {
    method: 'GET',
    path: '/sd',
    handle(req, res, url) {
      let groups: SdGroup[]
      try {
        groups = sdGroups(opts, req, url)
      } catch (error) {
        return sendBadRequest(res, error)
      }

      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(groups) + '\n')
    },
  }

  const probe: Route = {
    method: 'GET',
    path: '/probe',
    async handle(req, res, url) {
      let check: CheckDefinition
      let timeoutMs: number
      try {
        check = probedCheck(opts, url, net)
        timeoutMs = probeTimeoutMs(req.headers['x-prometheus-scrape-timeout-seconds'], check.timeoutMs)
      } catch (error) {
        return sendBadRequest(res, error)
      }

      await probeAndReply(runner, res, check, timeoutMs)
    },
  }

  return [sd, probe]
}
