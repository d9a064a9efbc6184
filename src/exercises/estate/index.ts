import type net from 'node:net'
/**
 * The simulated estate: loopback services named like the real ones (NHS API Platform proxies with their
 * _ping and _status bodies, HTTPS websites, a mail domain in a DNS zone), each able to fail and recover as a
 * scenario says. It also writes the catalogue that points real checks at them, through address overrides
 * (resolve:), the exercise resolver and the exercise CA (ca:).
 */
import fs from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import {stringify} from 'yaml'

import type {FaultKind} from '../schema.js'
import {durationMs} from '../../util/duration.js'
import {checkIdsOf, type EstateService} from '../model.js'
import {type Authority, exerciseAuthority, issueLeaf, type Leaf} from './cert.js'
import {type DnsRecord, type ExerciseDns, startExerciseDns} from './dns.js'

/** The key the simulated _status endpoints accept in the apikey header (the real one is a platform secret). */
export const EXERCISE_STATUS_KEY = 'exercise-status-key'

interface Running {
  def: EstateService
  fault?: FaultKind
  delayMs?: number
  server?: https.Server
  port?: number
  leaf?: Leaf
  expired?: Leaf
}

function operationOutcome(code: string, spine: string, display: string, diagnostics: string): string {
  return JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code,
        details: {
          coding: [
            {system: 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode', version: '1', code: spine, display},
          ],
        },
        diagnostics,
      },
    ],
  })
}

export interface WatchTuning {
  intervalMs: number
  timeoutMs: number
  failures: number
}

export class Estate {
  private readonly services = new Map<string, Running>()
  private readonly sockets = new Set<net.Socket>()
  private dns?: ExerciseDns
  private ca!: Authority

  private constructor(private readonly dir: string) {}

  /** Starts every service of the estate on 127.0.0.1; files (the CA, the catalogue) go in `dir`. */
  static async start(defs: readonly EstateService[], dir: string, label: string): Promise<Estate> {
    const estate = new Estate(dir)
    estate.ca = exerciseAuthority(label)
    fs.mkdirSync(dir, {recursive: true, mode: 0o700})
    fs.writeFileSync(path.join(dir, 'exercise-ca.pem'), estate.ca.cert)
    try {
      for (const def of defs) await estate.startOne(def)
      if (defs.some((d) => d.kind === 'mail-domain')) estate.dns = await startExerciseDns((name) => estate.lookup(name))
    } catch (error) {
      await estate.close()
      throw error
    }

    return estate
  }

  private async startOne(def: EstateService): Promise<void> {
    const r: Running = {def}
    this.services.set(def.id, r)
    if (def.kind === 'mail-domain' || def.host === undefined) return
    r.leaf = issueLeaf(this.ca, [def.host])
    r.expired = issueLeaf(this.ca, [def.host], {expired: true})
    const server = https.createServer({key: r.leaf.key, cert: r.leaf.cert}, (req, res) => this.handle(r, req, res))
    server.on('connection', (s: net.Socket) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    server.on('tlsClientError', () => undefined)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    r.server = server
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('the exercise service has no TCP address')
    r.port = address.port
  }

  private handle(r: Running, req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    if (r.fault === 'hang') return
    const answer = () => {
      if (res.destroyed) return
      if (r.fault === '5xx') {
        res.writeHead(503, {'content-type': 'application/fhir+json', 'retry-after': '5'})
        res.end(
          operationOutcome(
            'timeout',
            'SERVICE_UNAVAILABLE',
            'Service unavailable',
            'The downstream service has not responded within the configured timeout period. Retry the request using the same X-Request-ID.',
          ),
        )
        return
      }

      const url = new URL(req.url ?? '/', 'https://estate')
      const release = {version: 'exercise', revision: '1', releaseId: `exercise-${r.def.id}`, commitId: '0'.repeat(40)}
      if (r.def.kind === 'api') {
        const base = `/${r.def.base_path}`
        if (url.pathname === `${base}/_ping`) return json(200, release)
        if (url.pathname === `${base}/_status`) {
          if (req.headers.apikey !== EXERCISE_STATUS_KEY) {
            res.writeHead(401, {'content-type': 'application/fhir+json'})
            res.end(operationOutcome('forbidden', 'ACCESS_DENIED', 'Access Denied - Unauthorised', 'Invalid Api Key'))
            return
          }

          return json(200, {
            status: 'pass',
            ...release,
            checks: {
              'backend:status': [
                {
                  status: 'pass',
                  timeout: 'false',
                  responseCode: 200,
                  outcome: 'OK',
                  links: {self: `https://backend.exercise/${r.def.id}/healthcheck`},
                },
              ],
            },
          })
        }

        res.writeHead(404, {'content-type': 'application/fhir+json'})
        res.end(
          operationOutcome('not-found', 'RESOURCE_NOT_FOUND', 'Resource not found', `No such path ${url.pathname}`),
        )
        return
      }

      res.writeHead(200, {'content-type': 'text/html; charset=utf-8'})
      res.end(
        `<!doctype html><html lang="en"><title>${r.def.name}</title><h1>${r.def.name}</h1><p>Simulated for a watchkeeper exercise.</p></html>`,
      )
    }

    const json = (status: number, body: unknown) => {
      res.writeHead(status, {'content-type': 'application/json'})
      res.end(JSON.stringify(body))
    }

    if (r.fault === 'latency') setTimeout(answer, r.delayMs ?? 0).unref()
    else answer()
  }

  /** The zone: MX, SPF and DMARC of each mail domain, as the faults leave them. */
  private lookup(name: string): DnsRecord[] | undefined {
    for (const r of this.services.values()) {
      const d = r.def.domain?.toLowerCase()
      if (r.def.kind !== 'mail-domain' || !d || (name !== d && !name.endsWith(`.${d}`))) continue
      const zone: Record<string, DnsRecord[]> = {
        [d]: [
          {type: 'MX', data: {preference: 10, exchange: `mail.${d}`}},
          {type: 'TXT', data: `v=spf1 include:_spf.nhs.net -all`},
        ],
        [`mail.${d}`]: [{type: 'A', data: '127.0.0.1'}],
        [`_dmarc.${d}`]: [{type: 'TXT', data: `v=DMARC1; p=reject; rua=mailto:dmarc@${d}`}],
      }
      if (r.fault === 'dmarc-removed') delete zone[`_dmarc.${d}`]
      const found = zone[name]
      if (!found) return undefined
      return r.fault === 'dns-gone' ? [] : found
    }

    return undefined
  }

  /** Makes a service fail; what was wrong before is replaced. */
  fault(id: string, fault: FaultKind, delay?: string): void {
    const r = this.require(id)
    this.recover(id)
    r.fault = fault
    r.delayMs = delay ? durationMs(delay) : undefined
    if (fault === 'expired-certificate' && r.server && r.expired)
      r.server.setSecureContext({key: r.expired.key, cert: r.expired.cert})
  }

  /** The service works again: right certificate, answers at once, records back. Connections held open by a hang are closed. */
  recover(id: string): void {
    const r = this.require(id)
    if (r.fault === 'expired-certificate' && r.server && r.leaf)
      r.server.setSecureContext({key: r.leaf.key, cert: r.leaf.cert})
    if (r.fault === 'hang') r.server?.closeAllConnections()
    r.fault = undefined
    r.delayMs = undefined
  }

  faultOf(id: string): FaultKind | undefined {
    return this.services.get(id)?.fault
  }

  private require(id: string): Running {
    const r = this.services.get(id)
    if (!r) throw new Error(`no estate service ${id}`)
    return r
  }

  /** Where each service listens, for the facilitator. */
  endpoints(): {id: string; kind: string; url: string}[] {
    return [...this.services.values()].map((r) => ({
      id: r.def.id,
      kind: r.def.kind,
      url:
        r.def.kind === 'mail-domain'
          ? `dns://${this.dns?.server}/${r.def.domain}`
          : `https://${r.def.host}:${r.port}/${r.def.kind === 'api' ? `${r.def.base_path}/_ping` : ''}`,
    }))
  }

  /**
   * Writes the catalogue of checks that watch the estate: real http, tls and dns checks pointed at the loopback
   * services by resolve: rules, the exercise resolver and the exercise CA. Returns its path.
   */
  writeCatalogue(tuning: WatchTuning, incident: {playbook: string; severity?: string; title: string}): string {
    const checks: Record<string, unknown>[] = []
    for (const r of this.services.values()) {
      const base = checkBase(r.def, tuning, incident)
      checks.push(...(r.def.kind === 'mail-domain' ? this.mailChecks(r.def, base) : webChecks(r, base, tuning)))
    }

    const file = path.join(this.dir, 'exercise-checks.yaml')
    fs.writeFileSync(
      file,
      '# Written by watchkeeper exercise run: the checks that watch the simulated estate.\n' + stringify({checks}),
    )
    return file
  }

  /** The DMARC and MX checks of a mail domain, asked of the exercise resolver. */
  private mailChecks(d: EstateService, base: Record<string, unknown>): Record<string, unknown>[] {
    const [first, second] = checkIdsOf(d)
    const net = {resolver: this.dns?.server}
    return [
      {
        id: first,
        name: `${d.name}: DMARC record`,
        kind: 'dns',
        target: `_dmarc.${d.domain}`,
        type: 'TXT',
        expect: {matches: '^v=DMARC1'},
        ...net,
        ...base,
      },
      {
        id: second,
        name: `${d.name}: MX records`,
        kind: 'dns',
        target: d.domain,
        type: 'MX',
        expect: {min_answers: 1},
        ...net,
        ...base,
      },
    ]
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await Promise.all(
      [...this.services.values()].map((r) =>
        r.server ? new Promise<void>((resolve) => r.server!.close(() => resolve())) : undefined,
      ),
    )
    await this.dns?.close()
  }
}

/** What every check of an estate service shares: service, tags, timing, thresholds and the incident it opens. */
function checkBase(
  d: EstateService,
  tuning: WatchTuning,
  incident: {playbook: string; severity?: string; title: string},
): Record<string, unknown> {
  return {
    service: d.service ?? d.name,
    tags: ['exercise'],
    interval: `${tuning.intervalMs}ms`,
    timeout: `${tuning.timeoutMs}ms`,
    retries: 0,
    thresholds: {failure: tuning.failures, recovery: 1},
    ...(d.opens_incident === false
      ? {}
      : {
          incident: {
            after: tuning.failures,
            playbook: incident.playbook,
            title: `${incident.title}: ${d.name}`,
            ...(incident.severity ? {severity: incident.severity} : {}),
          },
        }),
  }
}

/** The https checks of a website or API (and a website's certificate), through the exercise CA and resolve rules. */
function webChecks(r: Running, base: Record<string, unknown>, tuning: WatchTuning): Record<string, unknown>[] {
  const d = r.def
  const [first, second] = checkIdsOf(d)
  const conn = {ca: 'exercise-ca.pem', resolve: [`${d.host}:${r.port}:127.0.0.1`]}
  const latency = {crit: `${Math.max(1, Math.floor(tuning.timeoutMs / 2))}ms`}
  if (d.kind === 'api')
    return [
      {
        id: first,
        name: `${d.name} _ping`,
        kind: 'http',
        target: `https://${d.host}:${r.port}/${d.base_path}/_ping`,
        ...conn,
        latency,
        expect: {status: '200-299', json: [{path: '$.revision', op: 'exists'}]},
        ...base,
      },
    ]
  return [
    {
      id: first,
      name: d.name,
      kind: 'http',
      target: `https://${d.host}:${r.port}/`,
      ...conn,
      latency,
      expect: {status: 200},
      ...base,
    },
    {id: second, name: `${d.name} certificate`, kind: 'tls', target: `${d.host}:${r.port}`, ...conn, ...base},
  ]
}
