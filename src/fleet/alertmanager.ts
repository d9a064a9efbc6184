import type http from 'node:http'
import crypto from 'node:crypto'

import {Ajv} from 'ajv'

import type {WatchConfig} from '../monitor/watch-config.js'
import type {Playbook} from '../playbooks/model.js'
import type {DB} from '../store/db.js'
import {UserError} from '../errors.js'
import {OPEN_STATES} from '../incidents/lifecycle.js'
import {appendEvents, type NewEvent, openIncident} from '../incidents/service.js'
import {parseListenAddress, type Route} from '../metrics/server.js'
import {loadPlaybookRef} from '../playbooks/load.js'
import {type FleetGroupRow, insertFleetGroup, latestFleetGroup, recordFleetDelivery} from '../store/fleet.js'
import {getIncident, immediate, incidentCheckIds, listIncidentRows} from '../store/incidents.js'
import {isBusy, StoreBusyError} from '../store/lock.js'

export const ALERTMANAGER_PATH = '/alertmanager'
/** Largest webhook body accepted; Alertmanager's own groups are far smaller. */
export const MAX_BODY_BYTES = 1024 * 1024
const ACTOR = 'watchkeeper alertmanager'

export interface WebhookAlert {
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL?: string
  fingerprint?: string
}

/** Alertmanager's webhook message, version 4 (notify/webhook: template.Data plus version, groupKey, truncatedAlerts). */
export interface WebhookMessage {
  version: '4'
  groupKey: string
  truncatedAlerts?: number
  status: 'firing' | 'resolved'
  receiver: string
  groupLabels: Record<string, string>
  commonLabels: Record<string, string>
  commonAnnotations: Record<string, string>
  externalURL: string
  alerts: WebhookAlert[]
}

const labelMap = {type: 'object', additionalProperties: {type: 'string', maxLength: 16_384}, maxProperties: 200}
const status = {enum: ['firing', 'resolved']}
export const WEBHOOK_SCHEMA = {
  type: 'object',
  required: [
    'version',
    'groupKey',
    'status',
    'receiver',
    'groupLabels',
    'commonLabels',
    'commonAnnotations',
    'externalURL',
    'alerts',
  ],
  properties: {
    version: {const: '4'},
    groupKey: {type: 'string', minLength: 1, maxLength: 16_384},
    truncatedAlerts: {type: 'integer', minimum: 0},
    status,
    receiver: {type: 'string', maxLength: 1000},
    groupLabels: labelMap,
    commonLabels: labelMap,
    commonAnnotations: labelMap,
    externalURL: {type: 'string', maxLength: 4096},
    alerts: {
      type: 'array',
      minItems: 1,
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['status', 'labels', 'annotations', 'startsAt', 'endsAt'],
        properties: {
          status,
          labels: {...labelMap, required: ['alertname']},
          annotations: labelMap,
          startsAt: {type: 'string', maxLength: 64},
          endsAt: {type: 'string', maxLength: 64},
          generatorURL: {type: 'string', maxLength: 16_384},
          fingerprint: {type: 'string', maxLength: 64},
        },
      },
    },
  },
} as const

const validate = new Ajv({allErrors: false, strict: false}).compile<WebhookMessage>(WEBHOOK_SCHEMA)

/** Checks a parsed body against the version 4 schema; the error names the JSON path. */
export function parseWebhookMessage(body: unknown): WebhookMessage {
  if (!validate(body)) {
    const e = validate.errors![0]
    const where = e.instancePath === '' ? 'the message' : e.instancePath
    throw new UserError(
      `${where} ${e.message ?? 'is not valid'}${e.keyword === 'const' && e.instancePath === '/version' ? ' "4" (Alertmanager webhook version 4)' : ''}`,
      {code: 'E_ALERTMANAGER_SCHEMA'},
    )
  }

  const msg = body
  for (const [i, a] of msg.alerts.entries()) {
    if (Number.isNaN(Date.parse(a.startsAt)))
      throw new UserError(`/alerts/${i}/startsAt is not an RFC 3339 time`, {code: 'E_ALERTMANAGER_SCHEMA'})
    if (Number.isNaN(Date.parse(a.endsAt)))
      throw new UserError(`/alerts/${i}/endsAt is not an RFC 3339 time`, {code: 'E_ALERTMANAGER_SCHEMA'})
  }

  return msg
}

/** What the receiver knows of a check from the local catalogue. */
export interface KnownCheck {
  name: string
  service?: string
  severity?: string
  /** The check's own incident.playbook. */
  playbook?: string
}

export interface ReceiveContext {
  db: DB
  now: number
  check: (id: string) => KnownCheck | undefined
  /** Loads a playbook by id; throws when there is none. */
  playbook: (ref: string) => Playbook
}

export type ReceiveAction = 'opened' | 'attached' | 'appended' | 'repeated' | 'ignored'

export interface ReceiveOutcome {
  action: ReceiveAction
  incidentId?: number
  /** Timeline events written for this delivery. */
  events: number
}

function time(text: string): number | undefined {
  const t = Date.parse(text)
  // Alertmanager's "no end" is Go's zero time.
  return Number.isNaN(t) || t <= 0 ? undefined : t
}

function sha(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex')
}

/** One alert's identity within its group: the same alert in the same episode. */
function alertKey(a: WebhookAlert): string {
  const id = a.fingerprint ?? sha(JSON.stringify(Object.entries(a.labels).sort())).slice(0, 16)
  return `${id}@${a.startsAt}`
}

function alertState(a: WebhookAlert): string {
  return `${a.status}:${sha(JSON.stringify([Object.entries(a.labels).sort(), Object.entries(a.annotations).sort()])).slice(0, 16)}`
}

/** The vantages an alert speaks for: its own vantage label, or the failing_vantages annotation of a fleet alert. */
export function vantagesOf(a: WebhookAlert): string[] {
  if (a.labels.vantage) return [a.labels.vantage]
  return (a.annotations.failing_vantages ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
}

function evidence(msg: WebhookMessage, a: WebhookAlert, change: string): NewEvent {
  const firing = a.status === 'firing'
  return {
    type: firing ? 'evidence_attached' : 'fleet_alert_resolved',
    occurredAt: (firing ? time(a.startsAt) : time(a.endsAt)) ?? undefined,
    data: {
      kind: 'fleet_alert',
      change,
      source: 'alertmanager',
      groupKey: msg.groupKey,
      receiver: msg.receiver,
      alertname: a.labels.alertname,
      checkId: a.labels.check,
      status: a.status,
      summary: a.annotations.summary ?? a.labels.alertname,
      vantages: vantagesOf(a),
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      ...(time(a.endsAt) === undefined ? {} : {endsAt: a.endsAt}),
      ...(a.fingerprint ? {fingerprint: a.fingerprint} : {}),
      ...(a.generatorURL ? {generatorURL: a.generatorURL} : {}),
    },
  }
}

function isOpen(db: DB, incidentId: number): boolean {
  const row = getIncident(db, incidentId)
  return row !== undefined && OPEN_STATES.some((s) => s === row.state)
}

function vantageList(msg: WebhookMessage): string[] {
  return [...new Set(msg.alerts.filter((a) => a.status === 'firing').flatMap(vantagesOf))].sort()
}

/** Events for a delivery to a group already recorded: what changed, or that it was repeated. */
function deliveryEvents(msg: WebhookMessage, row: FleetGroupRow, seen: Record<string, string>): NewEvent[] {
  const events: NewEvent[] = []
  for (const a of msg.alerts) {
    const key = alertKey(a)
    const before = seen[key]
    const now = alertState(a)
    if (before === now) continue
    if (a.status === 'firing')
      events.push(
        evidence(msg, a, before === undefined ? 'new' : before.startsWith('resolved') ? 'firing_again' : 'updated'),
      )
    else if (before !== undefined || row.status === 'firing') events.push(evidence(msg, a, 'resolved'))
    seen[key] = now
  }

  if (msg.status !== row.status) {
    events.push(
      msg.status === 'resolved'
        ? {
            type: 'fleet_recovered',
            data: {
              groupKey: msg.groupKey,
              receiver: msg.receiver,
              groupLabels: msg.groupLabels,
              note: 'Alertmanager reports every alert of the group resolved; the incident stays open until a person resolves it',
            },
          }
        : {
            type: 'fleet_failing_again',
            data: {
              groupKey: msg.groupKey,
              receiver: msg.receiver,
              groupLabels: msg.groupLabels,
              vantages: vantageList(msg),
            },
          },
    )
  }

  if (events.length === 0) events.push(repeatedEvent(msg, row))

  return events
}

/** An open incident already linked to the check (opened by its own watch, or by hand). */
function openIncidentForCheck(db: DB, checkId: string): number | undefined {
  for (const row of listIncidentRows(db, {states: OPEN_STATES, exercise: 'real'}))
    if (incidentCheckIds(db, row.id).includes(checkId)) return row.id
  return undefined
}

/** A delivery that changed nothing the incident does not already know: a redelivery of the group. */
function repeatedEvent(msg: WebhookMessage, row: FleetGroupRow): NewEvent {
  return {
    type: 'fleet_alert_repeated',
    data: {
      groupKey: msg.groupKey,
      receiver: msg.receiver,
      status: msg.status,
      deliveries: row.deliveries + 1,
      firing: msg.alerts.filter((a) => a.status === 'firing').length,
      vantages: vantageList(msg),
    },
  }
}

/** A delivery to a group whose incident is still open: its changes (or the repeat) go on that incident's timeline. */
function appendToGroup(ctx: ReceiveContext, msg: WebhookMessage, row: FleetGroupRow, digest: string): ReceiveOutcome {
  const {db, now} = ctx
  const seen = {...row.alerts}
  const events = row.digest === digest ? [repeatedEvent(msg, row)] : deliveryEvents(msg, row, seen)
  appendEvents(db, row.incidentId, ACTOR, now, events)
  recordFleetDelivery(db, row.id, now, {status: msg.status, digest, alerts: seen})
  return {
    action: events[0].type === 'fleet_alert_repeated' ? 'repeated' : 'appended',
    incidentId: row.incidentId,
    events: events.length,
  }
}

/** The playbook of a new incident: the alert's route label, else the check's incident.playbook; why any failed to load. */
function choosePlaybook(
  ctx: ReceiveContext,
  route: string | undefined,
  check: KnownCheck | undefined,
  checkId: string | undefined,
): {playbook: Playbook | undefined; problems: string[]} {
  let playbook: Playbook | undefined
  const problems: string[] = []
  for (const [ref, from] of [
    [route, "the alert's route label"],
    [check?.playbook, `check ${checkId}'s incident.playbook`],
  ] as const) {
    if (!ref || playbook) continue
    try {
      playbook = ctx.playbook(ref)
    } catch (error) {
      problems.push(
        `${from} names playbook "${ref}", which could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
      )
    }
  }

  return {playbook, problems}
}

/** Opens the incident of a group that fires with no open incident of its check; notes what could not be honoured. */
function openGroupIncident(
  ctx: ReceiveContext,
  msg: WebhookMessage,
  first: WebhookAlert,
  checkId: string | undefined,
  check: KnownCheck | undefined,
): {incidentId: number; notes: NewEvent[]} {
  const {db, now} = ctx
  const {playbook, problems} = choosePlaybook(ctx, msg.commonLabels.route ?? first.labels.route, check, checkId)
  const title = first.annotations.summary ?? `${first.labels.alertname}${checkId ? `: ${checkId}` : ''}`
  const severity = check?.severity
  const service = check?.service ?? msg.commonLabels.service
  let incidentId: number
  try {
    incidentId = openIncident(
      {db, actor: ACTOR, now},
      {title: title.slice(0, 500), severity, service, checks: checkId ? [checkId] : [], playbook},
    ).id
  } catch (error) {
    // The check's severity is not on the playbook's scale: open with the playbook's default and say so.
    if (!(error instanceof UserError) || error.code !== 'E_SEVERITY') throw error
    problems.push(`severity ${severity} is not on the playbook's scale; the default was used`)
    incidentId = openIncident(
      {db, actor: ACTOR, now},
      {title: title.slice(0, 500), service, checks: checkId ? [checkId] : [], playbook},
    ).id
  }

  return {incidentId, notes: problems.map((p) => ({type: 'note', data: {text: p}}))}
}

/** The note that says where an opened or joined incident came from. */
function arrivalNote(
  msg: WebhookMessage,
  action: ReceiveAction,
  first: WebhookAlert,
  checkId: string | undefined,
  firing: number,
): NewEvent {
  const vantages = vantageList(msg)
  return {
    type: 'note',
    data: {
      text:
        `${action === 'opened' ? 'Opened' : 'Joined'} from Alertmanager (receiver ${msg.receiver}): ` +
        `${first.labels.alertname}${checkId ? ` for ${checkId}` : ''}, ${firing} alert(s) firing` +
        `${vantages.length > 0 ? `; failing vantages: ${vantages.join(', ')}` : ''}${msg.truncatedAlerts ? `; ${msg.truncatedAlerts} more alert(s) truncated by Alertmanager` : ''}.`,
    },
  }
}

/** A firing group with no open incident: joins the open incident of its check, or opens one, and records the group. */
function startGroup(ctx: ReceiveContext, msg: WebhookMessage, firing: WebhookAlert[], digest: string): ReceiveOutcome {
  const {db, now} = ctx
  const first = firing[0]
  const checkId = msg.commonLabels.check ?? first.labels.check
  const check = checkId ? ctx.check(checkId) : undefined
  const linked = checkId ? openIncidentForCheck(db, checkId) : undefined
  const action: ReceiveAction = linked === undefined ? 'opened' : 'attached'
  const {incidentId, notes} =
    linked === undefined ? openGroupIncident(ctx, msg, first, checkId, check) : {incidentId: linked, notes: []}
  const events: NewEvent[] = [
    ...notes,
    ...msg.alerts.map((a) => evidence(msg, a, 'new')),
    arrivalNote(msg, action, first, checkId, firing.length),
  ]
  appendEvents(db, incidentId, ACTOR, now, events)
  insertFleetGroup(db, {
    groupKey: msg.groupKey,
    incidentId,
    receiver: msg.receiver,
    status: msg.status,
    firstSeenAt: now,
    digest,
    alerts: Object.fromEntries(msg.alerts.map((a) => [alertKey(a), alertState(a)])),
  })
  return {action, incidentId, events: events.length}
}

/**
 * Records one webhook delivery. The first firing delivery of a group opens an incident (or joins the open
 * one of its check); later deliveries of the group append to it: new or changed alerts as evidence,
 * resolved ones as recovery, plain redeliveries as a repeat. Nothing here resolves an incident. A group
 * whose incident ended opens a new one only when it fires with alerts not seen before (a new episode).
 */
export function receiveAlertGroup(ctx: ReceiveContext, msg: WebhookMessage): ReceiveOutcome {
  const {db, now} = ctx
  const digest = sha(JSON.stringify([msg.status, msg.alerts.map(alertState).sort()]))
  return immediate(
    db,
    () => {
      const row = latestFleetGroup(db, msg.groupKey)
      if (row && isOpen(db, row.incidentId)) return appendToGroup(ctx, msg, row, digest)
      const firing = msg.alerts.filter((a) => a.status === 'firing')
      if (msg.status === 'resolved' || firing.length === 0) {
        if (row) recordFleetDelivery(db, row.id, now, {status: msg.status, digest, alerts: row.alerts})
        return {action: 'ignored', ...(row ? {incidentId: row.incidentId} : {}), events: 0}
      }

      // The incident of this group was ended by a person while Alertmanager still fires the same alerts.
      if (row && firing.every((a) => row.alerts[alertKey(a)] !== undefined)) {
        recordFleetDelivery(db, row.id, now, {status: msg.status, digest, alerts: row.alerts})
        return {action: 'ignored', incidentId: row.incidentId, events: 0}
      }

      return startGroup(ctx, msg, firing, digest)
    },
    'recording an Alertmanager notification',
  )
}

/** Compares a presented bearer token with the configured one in constant time. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  if (!m) return false
  const a = crypto.createHash('sha256').update(m[1]).digest()
  const b = crypto.createHash('sha256').update(token).digest()
  return crypto.timingSafeEqual(a, b)
}

function reply(
  res: http.ServerResponse,
  code: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  res.writeHead(code, {'content-type': 'application/json', ...headers}).end(JSON.stringify(body) + '\n')
}

/** Reads the body up to `max` bytes; undefined when it is larger (the rest is not read). */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > max) {
      resolve(undefined)
      return
    }

    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        req.removeAllListeners('data')
        req.pause()
        resolve(undefined)
        return
      }

      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export interface AlertmanagerRouteOptions {
  /** The bearer token Alertmanager must present; undefined only when allowed on loopback. */
  token: string | undefined
  receive: Omit<ReceiveContext, 'now'>
  now?: () => number
  maxBytes?: number
  log?: (level: 'info' | 'warn', msg: string) => void
}

/**
 * POST /alertmanager: Alertmanager's webhook receiver. 200 when recorded (or a repeat), 400 for a body
 * that is not a version 4 message (Alertmanager does not retry 4xx), 401 without the token, 413 over the
 * size cap, 503 while the database is locked (Alertmanager retries 5xx).
 */
export function alertmanagerRoute(o: AlertmanagerRouteOptions): Route {
  const max = o.maxBytes ?? MAX_BODY_BYTES
  return {
    method: 'POST',
    path: ALERTMANAGER_PATH,
    async handle(req, res) {
      if (o.token !== undefined && !tokenMatches(req.headers.authorization, o.token)) {
        req.resume()
        reply(
          res,
          401,
          {error: 'a bearer token is required (Authorization: Bearer …)'},
          {'www-authenticate': 'Bearer realm="watchkeeper"'},
        )
        return
      }

      const body = await readBody(req, max)
      if (body === undefined) {
        reply(res, 413, {error: `the body is larger than ${max} bytes`}, {connection: 'close'})
        return
      }

      let msg: WebhookMessage
      try {
        msg = parseWebhookMessage(JSON.parse(body.toString('utf8')))
      } catch (error) {
        const text =
          error instanceof SyntaxError
            ? `the body is not JSON: ${error.message}`
            : error instanceof Error
              ? error.message
              : String(error)
        o.log?.('warn', `POST /alertmanager rejected: ${text}`)
        reply(res, 400, {error: text})
        return
      }

      try {
        const out = receiveAlertGroup({...o.receive, now: (o.now ?? Date.now)()}, msg)
        o.log?.(
          'info',
          `alertmanager: ${msg.status} ${msg.groupKey}: ${out.action}${out.incidentId === undefined ? '' : ` incident ${out.incidentId}`}`,
        )
        reply(res, 200, {status: 'ok', ...out})
      } catch (error) {
        if (error instanceof StoreBusyError || isBusy(error)) {
          reply(res, 503, {error: 'the database is busy; retry'}, {'retry-after': '5'})
          return
        }

        throw error
      }
    },
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i

/**
 * The token for POST /alertmanager from the environment variable named by --alertmanager-token-env, or
 * none when --alertmanager-no-token is given and the listener is on loopback. Throws a usage error otherwise.
 */
export function alertmanagerToken(
  o: {tokenEnv?: string; noToken: boolean; listen?: string},
  env: NodeJS.ProcessEnv,
): string | undefined {
  const flag = o.tokenEnv === undefined ? '--alertmanager-no-token' : '--alertmanager-token-env'
  if (!o.listen)
    throw new UserError(`${flag} needs --metrics HOST:PORT: POST /alertmanager is served on watch's listener.`, {
      code: 'E_FLAG',
      exit: 2,
    })
  if (o.tokenEnv !== undefined && o.noToken)
    throw new UserError('Give --alertmanager-token-env or --alertmanager-no-token, not both.', {
      code: 'E_FLAG',
      exit: 2,
    })
  if (o.noToken) {
    const {host} = parseListenAddress(o.listen)
    if (!LOOPBACK.test(host)) {
      throw new UserError(`--alertmanager-no-token is only allowed when --metrics is on loopback, not ${host}.`, {
        hint: 'Give Alertmanager a bearer token: --alertmanager-token-env NAME and credentials_file in its webhook_config.',
        code: 'E_FLAG',
        exit: 2,
      })
    }

    return undefined
  }

  const name = o.tokenEnv!
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new UserError(`--alertmanager-token-env ${name}: expected an environment variable name`, {
      code: 'E_FLAG',
      exit: 2,
    })
  const token = env[name]?.trim()
  if (!token)
    throw new UserError(`--alertmanager-token-env ${name}: the environment variable ${name} is not set or empty.`, {
      code: 'E_FLAG',
      exit: 2,
    })
  if (token.length < 16)
    throw new UserError(`--alertmanager-token-env ${name}: the token is shorter than 16 characters.`, {
      hint: 'Generate one with `openssl rand -hex 32`.',
      code: 'E_FLAG',
      exit: 2,
    })
  return token
}

/** The receiver's view of a running watch: its catalogue's checks and playbooks (the incident.playbook ones, then the folder). */
export function watchReceiver(
  db: DB,
  o: {config: () => WatchConfig | undefined; playbooks: () => Map<string, Playbook>; playbookDir?: string},
): Omit<ReceiveContext, 'now'> {
  const loaded = new Map<string, Playbook>()
  return {
    db,
    check(id) {
      const config = o.config()
      const w = config?.checks.find((c) => c.check.id === id)
      const c = w?.check ?? config?.all.find((x) => x.id === id)
      if (!c) return undefined
      return {
        name: c.name,
        ...(c.service ? {service: c.service} : {}),
        ...(w?.incident?.severity ? {severity: w.incident.severity} : {}),
        ...(w?.incident?.playbook ? {playbook: w.incident.playbook} : {}),
      }
    },
    playbook(ref) {
      const pb = o.playbooks().get(ref) ?? loaded.get(ref) ?? loadPlaybookRef(ref, o.playbookDir)
      loaded.set(ref, pb)
      return pb
    },
  }
}
