import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import type {MaintenanceWindow} from '../monitor/maintenance.js'
import type {DB} from '../store/db.js'
import {PACKAGE_ROOT} from '../paths.js'
import {type BadgeColour, badgeLabel, badgeSvg, formatMs, formatPercent, uptimeColour} from './badge.js'
import {checkHtml, messageHtml, overviewHtml} from './html.js'
import {
  allChecks,
  CHECK_ID_RE,
  checkDetail,
  incidentDetail,
  modelCache,
  type PageState,
  type StatusModel,
  statusModel,
  UPTIME_PERIODS,
  type UptimePeriod,
} from './model.js'

/*
 * The paths of the status site and what each answers, shared by `watch` (live, over HTTP) and
 * `report status-site` (written as files). A path names a page, a badge or an API document:
 *   /  /index.html                        overview
 *   /checks/ID.html                       one check
 *   /badge/check/ID/state.svg  /badge/check/ID/uptime/30d.svg  /badge/check/ID/latency.svg
 *   /badge/service/SLUG/state.svg  …/uptime/7d.svg  …/latency.svg
 *   /api/v1/status  /api/v1/checks/ID  /api/v1/incidents  (.json optional)
 *   /api/v1/incidents/ID                  details, with the bearer token only
 *   /api/v1/openapi.json                  the OpenAPI document
 */

export interface SiteOptions {
  title?: string
  /** Seconds between page reloads (0: none). */
  refreshSeconds: number
  /** Catalogue maintenance windows and tags, read when the model is built. */
  maintenance?: () => {windows: readonly MaintenanceWindow[]; tags: ReadonlyMap<string, readonly string[]>}
  /** How long one model serves requests, ms (default 5000). */
  cacheMs?: number
  /** Include incident notes in the token-only incident details. */
  notes?: boolean
  /** When a bearer token is configured (details are off without one). */
  tokenConfigured?: boolean
  now?: () => number
}

export interface SiteResponse {
  status: number
  type: string
  body: string
  /** Seconds a cache may keep it. */
  maxAge: number
  /** Served to anyone (CORS *) rather than only to the page itself. */
  public: boolean
  headers?: Record<string, string>
  /** The body's ETag, set when first sent (an answer kept for many requests is hashed once). */
  etag?: string
}

export const CONTENT = {
  html: 'text/html; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
}

/** JSON with <, >, & and the line separators escaped, so it is inert if pasted into HTML or a script. */
export function safeJson(value: unknown): string {
  return (
    JSON.stringify(value, null, 2).replaceAll(
      /[<>&\u2028\u2029]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    ) + '\n'
  )
}

const isPeriod = (p: string | undefined): p is UptimePeriod => UPTIME_PERIODS.some((x) => x === p)

const STATE_COLOUR: Record<PageState, BadgeColour> = {
  ok: 'ok',
  degraded: 'degraded',
  failing: 'failing',
  pending: 'pending',
  maintenance: 'maintenance',
  unknown: 'unknown',
}

/** Answers kept per model: the overview, the status JSON and the pages and badges asked for most recently. */
const MAX_ANSWERS = 500

export class StatusSite {
  private cached?: {at: number; model: StatusModel}
  private readonly cache = modelCache()
  /** Answers built from the current model, by path; emptied when the model is rebuilt. */
  private readonly answers = new Map<string, SiteResponse>()
  private readonly now: () => number

  constructor(
    private readonly db: DB,
    private readonly opts: SiteOptions,
  ) {
    this.now = opts.now ?? Date.now
  }

  model(): StatusModel {
    const now = this.now()
    if (this.cached && now - this.cached.at < (this.opts.cacheMs ?? 5000) && now >= this.cached.at)
      return this.cached.model
    const model = statusModel(this.db, {
      now,
      title: this.opts.title,
      maintenance: this.opts.maintenance?.(),
      cache: this.cache,
    })
    this.cached = {at: now, model}
    this.answers.clear()
    return model
  }

  /** Fills the watcher's cache (last results, finished hours and days) without keeping the model, so the first request pays only a rebuild. */
  prime(): void {
    statusModel(this.db, {now: this.now(), cache: this.cache})
  }

  private get pageOpts() {
    return {refreshSeconds: this.opts.refreshSeconds}
  }

  private maxAge(): number {
    return Math.max(5, Math.min(300, this.opts.refreshSeconds || 60))
  }

  /** Answers a path; `authorized` when the request carried the right bearer token. Undefined: not a site path (404). */
  answer(pathname: string, authorized: boolean): SiteResponse {
    const model = this.model()
    // Public answers are the same for everyone until the model changes, so each is built once per model.
    const kept = this.answers.get(pathname)
    if (kept && this.cached?.model === model) return kept
    const r = this.route(pathname, authorized)
    if (r.status === 200 && !pathname.startsWith('/api/v1/incidents/') && this.cached?.model === model) {
      if (this.answers.size >= MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value ?? '')
      this.answers.set(pathname, r)
    }

    return r
  }

  private route(pathname: string, authorized: boolean): SiteResponse {
    if (/^\/(?:index\.html)?$/.test(pathname)) return this.html(200, overviewHtml(this.model(), this.pageOpts))
    let g: RegExpExecArray | null
    if ((g = /^\/checks\/([^/]+)\.html$/.exec(pathname))) return this.checkPage(g[1])
    if ((g = /^\/badge\/(check|service)\/([^/]+)\/(?:(state|latency)|uptime\/([^/]+))\.svg$/.exec(pathname))) {
      return this.badge(
        g[1] === 'check' ? 'check' : 'service',
        g[2],
        g[3] === 'state' || g[3] === 'latency' ? g[3] : 'uptime',
        g[4],
      )
    }

    if ((g = /^\/api\/v1\/(status|incidents|openapi)(?:\.json)?$/.exec(pathname)))
      return this.api(g[1] === 'status' || g[1] === 'incidents' ? g[1] : 'openapi')
    if ((g = /^\/api\/v1\/checks\/([^/]+?)(?:\.json)?$/.exec(pathname))) return this.apiCheck(g[1])
    if ((g = /^\/api\/v1\/incidents\/([^/]+?)(?:\.json)?$/.exec(pathname))) return this.apiIncident(g[1], authorized)
    return this.notFound(pathname, 'No such page.')
  }

  private html(status: number, body: string): SiteResponse {
    return {status, type: CONTENT.html, body, maxAge: status === 200 ? this.maxAge() : 0, public: false}
  }

  private json(status: number, value: unknown, pub = true): SiteResponse {
    return {
      status,
      type: CONTENT.json,
      body: safeJson(value),
      maxAge: status === 200 && pub ? this.maxAge() : 0,
      public: pub,
    }
  }

  notFound(pathname: string, message: string, status = 404): SiteResponse {
    if (pathname.startsWith('/api/'))
      return this.json(status, {error: {code: status === 400 ? 'E_BAD_PATH' : 'E_NOT_FOUND', message}})
    if (pathname.startsWith('/badge/'))
      return {status, type: CONTENT.text, body: `${message}\n`, maxAge: 0, public: true}
    return this.html(status, messageHtml(status === 400 ? 'Bad request' : 'Not found', message))
  }

  /** A check id from a path segment: decoded, and as the catalogue allows ids. */
  private checkId(segment: string): string | undefined {
    let id: string
    try {
      id = decodeURIComponent(segment)
    } catch {
      return undefined
    }

    return CHECK_ID_RE.test(id) ? id : undefined
  }

  private checkPage(segment: string): SiteResponse {
    const id = this.checkId(segment)
    const p = `/checks/${segment}.html`
    if (!id) return this.notFound(p, 'A check id is lower-case letters, digits, dot, underscore and hyphen.', 400)
    const model = this.model()
    const d = checkDetail(this.db, model, id, Date.parse(model.generatedAt))
    return d ? this.html(200, checkHtml(d, model.title, this.pageOpts)) : this.notFound(p, 'No check with this id.')
  }

  private badge(
    scope: 'check' | 'service',
    segment: string,
    what: 'state' | 'uptime' | 'latency',
    period?: string,
  ): SiteResponse {
    const p = `/badge/${scope}/${segment}`
    const svg = (label: string, message: string, colour: BadgeColour): SiteResponse => ({
      status: 200,
      type: CONTENT.svg,
      body: badgeSvg(label, message, colour),
      maxAge: this.maxAge(),
      public: true,
    })
    if (what === 'uptime' && !isPeriod(period))
      return this.notFound(p, `Uptime periods: ${UPTIME_PERIODS.join(', ')}.`, 400)
    const model = this.model()
    let target:
      | {name: string; state: PageState; uptime: Record<UptimePeriod, number | null>; latency: {p95Ms: number} | null}
      | undefined
    if (scope === 'check') {
      const id = this.checkId(segment)
      if (!id) return this.notFound(p, 'Bad check id.', 400)
      target = allChecks(model).find((c) => c.id === id)
    } else {
      let name: string
      try {
        name = decodeURIComponent(segment)
      } catch {
        return this.notFound(p, 'Bad service name.', 400)
      }

      target = model.services.find((s) => s.slug === name || s.name === name)
    }

    if (!target) return this.notFound(p, `No such ${scope}.`)
    if (what === 'state') return svg(badgeLabel(target.name), target.state, STATE_COLOUR[target.state])
    if (what === 'uptime' && isPeriod(period))
      return svg(
        badgeLabel(target.name, period),
        formatPercent(target.uptime[period]),
        uptimeColour(target.uptime[period]),
      )
    return svg(
      badgeLabel(target.name, 'p95'),
      target.latency ? formatMs(target.latency.p95Ms) : 'no data',
      target.latency ? 'info' : 'pending',
    )
  }

  private api(what: 'status' | 'incidents' | 'openapi'): SiteResponse {
    if (what === 'openapi')
      return {status: 200, type: CONTENT.json, body: fs.readFileSync(OPENAPI_FILE, 'utf8'), maxAge: 3600, public: true}
    const model = this.model()
    if (what === 'status') return this.json(200, model)
    return this.json(200, {generatedAt: model.generatedAt, incidents: model.incidents})
  }

  private apiCheck(segment: string): SiteResponse {
    const id = this.checkId(segment)
    const p = `/api/v1/checks/${segment}`
    if (!id) return this.notFound(p, 'A check id is lower-case letters, digits, dot, underscore and hyphen.', 400)
    const model = this.model()
    const d = checkDetail(this.db, model, id, Date.parse(model.generatedAt))
    return d ? this.json(200, d) : this.notFound(p, 'No check with this id.')
  }

  private apiIncident(segment: string, authorized: boolean): SiteResponse {
    const p = `/api/v1/incidents/${segment}`
    if (!this.opts.tokenConfigured)
      return this.notFound(
        p,
        `Incident details are off: start watch with ${TOKEN_ENV} set to serve them to holders of the token.`,
      )
    if (!authorized) {
      return {
        ...this.json(
          401,
          {
            error: {
              code: 'E_UNAUTHORIZED',
              message: 'Incident details need the bearer token (Authorization: Bearer …).',
            },
          },
          false,
        ),
        headers: {'www-authenticate': 'Bearer realm="watchkeeper"'},
      }
    }

    if (!/^[1-9]\d{0,15}$/.test(segment)) return this.notFound(p, 'An incident id is a positive whole number.', 400)
    const d = incidentDetail(this.db, Number(segment), this.opts.notes === true)
    return d ? {...this.json(200, d, false), maxAge: 0} : this.notFound(p, 'No incident with this id.')
  }

  /** Every public path of the site, for writing it out as files. */
  publicPaths(): string[] {
    const model = this.model()
    const out = ['/index.html', '/api/v1/status.json', '/api/v1/incidents.json', '/api/v1/openapi.json']
    for (const c of allChecks(model)) {
      if (!CHECK_ID_RE.test(c.id)) continue
      out.push(
        `/checks/${c.id}.html`,
        `/api/v1/checks/${c.id}.json`,
        `/badge/check/${c.id}/state.svg`,
        `/badge/check/${c.id}/latency.svg`,
        ...UPTIME_PERIODS.map((p) => `/badge/check/${c.id}/uptime/${p}.svg`),
      )
    }

    for (const s of model.services) {
      out.push(
        `/badge/service/${s.slug}/state.svg`,
        `/badge/service/${s.slug}/latency.svg`,
        ...UPTIME_PERIODS.map((p) => `/badge/service/${s.slug}/uptime/${p}.svg`),
      )
    }

    return [...new Set(out)]
  }
}

export const TOKEN_ENV = 'WATCHKEEPER_STATUS_TOKEN'
export const OPENAPI_FILE = path.join(PACKAGE_ROOT, 'schemas', 'status-api.openapi.json')

/** Whether an Authorization header carries the token (compared in constant time, as hashes). */
export function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (!token || !header) return false
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
  if (!m) return false
  const a = crypto.createHash('sha256').update(m[1]).digest()
  const b = crypto.createHash('sha256').update(token).digest()
  return crypto.timingSafeEqual(a, b)
}

/** A strong ETag over the body. */
export function etagOf(body: string): string {
  return `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
}

export {serviceSlug} from './model.js'
