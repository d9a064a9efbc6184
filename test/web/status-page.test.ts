import {Ajv2020} from 'ajv/dist/2020.js'
import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {CheckResult, Status} from '../../src/types.js'
import {openDatabase} from '../../src/store/db.js'
import {storeRun} from '../../src/store/results.js'
import {launchPage} from '../helpers/cdp.js'
import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {decodePng} from '../helpers/png.js'
import {closedPort, type RunningServer, startHttp} from '../helpers/servers.js'

const HOSTILE_NAME = `A <script>document.body.dataset.pwned=1</script>`
const HOSTILE_SUMMARY = `<img src=x onerror=alert(1)> "quoted" & </td></table>`
const HOSTILE_SERVICE = `PDS <b>bold</b> & co`
const HOSTILE_TITLE = `Spine <iframe src="https://evil.example/"></iframe> outage`
const TOKEN = 'test-token-0123456789abcdef'
const HOUR = 3_600_000

let tmp: {dir: string; cleanup: () => void}
let upstream: RunningServer
let child: ChildProcess | undefined
let stderr = ''
let base = ''
let db = ''

async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${stderr.slice(-3000)}`)
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
}

function result(
  checkId: string,
  kind: string,
  startedAt: number,
  status: Status,
  durationMs: number,
  summary: string,
  details?: Record<string, unknown>,
): CheckResult {
  return {
    checkId,
    kind,
    target: `${checkId}.test:443`,
    status,
    summary,
    timings: {totalMs: durationMs},
    findings: [],
    metrics: {},
    startedAt,
    durationMs,
    attempts: 1,
    ...(details ? {details} : {}),
  }
}

/** Results that `check run` left before watch started: a feed with an outage three days ago and a hostile summary, and a posture grade. */
function seed(file: string): void {
  const store = openDatabase(file)
  const now = Date.now()
  const feed = {
    id: 'legacy-feed',
    kind: 'tcp',
    target: 'legacy-feed.test:443',
    name: 'Legacy feed',
    service: HOSTILE_SERVICE,
    tier: 'silver',
  }
  const results: CheckResult[] = []
  for (let h = 72; h >= 1; h--) {
    const status: Status = h >= 60 && h < 63 ? 'crit' : 'ok'
    results.push(
      result(
        feed.id,
        'tcp',
        now - h * HOUR,
        status,
        40 + (h % 7) * 5,
        h === 1 ? HOSTILE_SUMMARY : status === 'crit' ? 'connection refused' : 'connected',
      ),
    )
  }

  storeRun(store, {source: 'check run', startedAt: now - 72 * HOUR, finishedAt: now - HOUR, checks: [feed], results})
  const web = {
    id: 'posture-web',
    kind: 'web-security',
    target: 'https://posture.test/',
    name: 'Website headers',
    service: HOSTILE_SERVICE,
  }
  storeRun(store, {
    source: 'check run',
    startedAt: now - 2 * HOUR,
    finishedAt: now - 2 * HOUR,
    checks: [web],
    results: [result(web.id, 'web-security', now - 2 * HOUR, 'warn', 120, 'grade B', {grade: 'B', score: 72})],
  })
  store.close()
}

const get = (p: string, init: RequestInit = {}) => fetch(`${base}${p}`, init)

/** Sends raw bytes and returns what came back before the server closed (or `ms` passed). */
function rawRequest(port: number, text: string, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    let out = ''
    s.on('data', (d) => (out += d))
    s.on('error', () => resolve(out))
    s.on('close', () => resolve(out))
    setTimeout(() => {
      s.destroy()
      resolve(out)
    }, ms)
    s.write(text)
  })
}

const openapi = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', 'status-api.openapi.json'), 'utf8')) as {
  openapi: string
  components: {schemas: Record<string, unknown>}
  paths: Record<string, unknown>
}
const ajv = new Ajv2020({allErrors: true, strict: false, validateFormats: false})
ajv.addSchema({$id: 'https://watchkeeper.invalid/status-api', components: openapi.components}, 'api')
function validate(schema: string, value: unknown): void {
  const v = ajv.getSchema(`https://watchkeeper.invalid/status-api#/components/schemas/${schema}`)!
  expect(v(value), `${schema}: ${ajv.errorsText(v.errors)}`).toBe(true)
}

/** Every time-like string is ISO 8601 UTC with milliseconds (the JSON convention). */
function expectIsoTimes(value: unknown, where = '$'): void {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) expectIsoTimes(v, `${where}[${i}]`)
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (/(At|since|lastRun|until|next|start)$/.test(k) && v !== null)
        expect(v, `${where}.${k}`).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      expectIsoTimes(v, `${where}.${k}`)
    }
  }
}

/** What every served HTML page must be: landmarks, a heading, no scripts, nothing external, hostile text inert. */
function expectSafeHtml(html: string, refresh = true): void {
  expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en-GB">/)
  expect(html).toMatch(/<header role="banner">[\s\S]*<h1>/)
  expect(html).toContain('<main id="main">')
  expect(html).toContain('<footer role="contentinfo">')
  if (refresh) expect(html).toMatch(/<meta http-equiv="refresh" content="30">/)
  expect(html).not.toMatch(/<(?:script|iframe|img|object|embed)\b/i)
  expect(html).not.toMatch(/<[^>]*\son[a-z]+\s*=/i)
  expect(html).not.toMatch(/(?:src|href|action)\s*=\s*["']?(?:[a-z]+:)?\/\//i)
  expect(html).not.toMatch(/url\((?!#)/i)
  expect(html).not.toMatch(/@import/i)
}

beforeAll(async () => {
  tmp = tmpDir('wk-status-')
  db = path.join(tmp.dir, 'wk.db')
  seed(db)
  upstream = await startHttp((req, res) => {
    if (req.url === '/bad') res.writeHead(500).end('down')
    else setTimeout(() => res.end('ok'), 5)
  })
  const file = path.join(tmp.dir, 'checks.yaml')
  fs.writeFileSync(
    file,
    `
defaults:
  interval: 1s
  timeout: 2s
checks:
  - id: api-good
    name: '${HOSTILE_NAME.replaceAll("'", "''")}'
    kind: http
    target: ${upstream.url}/ok
    service: '${HOSTILE_SERVICE}'
    tier: gold
  - id: api-bad
    name: Broken API
    kind: http
    target: ${upstream.url}/bad
    service: NHS login
    tier: platinum
    thresholds: {failure: 2, recovery: 1}
maintenance:
  - name: Tuesday patching <b>
    checks: [legacy-*]
    start: '2020-01-01T00:00Z'
    end: '2099-01-01T00:00Z'
`,
  )
  const inc = await runCli([
    'incident',
    'open',
    '--title',
    HOSTILE_TITLE,
    '--severity',
    'SEV2',
    '--check',
    'api-bad',
    '--db',
    db,
    '--actor',
    'Dr Jane Example',
  ])
  expect(inc.code, inc.stderr).toBe(0)
  const note = await runCli([
    'incident',
    'note',
    '1',
    'Called the supplier <b>on-call</b>',
    '--db',
    db,
    '--actor',
    'Dr Jane Example',
  ])
  expect(note.code, note.stderr).toBe(0)
  const port = await closedPort()
  base = `http://127.0.0.1:${port}`
  child = spawn(
    process.execPath,
    [
      BIN,
      'watch',
      '--checks',
      file,
      '--db',
      db,
      '--metrics',
      `127.0.0.1:${port}`,
      '--status-page',
      '--status-notes',
      '--status-rate',
      '40',
      '--status-refresh',
      '30s',
      '--status-title',
      'NHS <Integration> status',
    ],
    {
      cwd: ROOT,
      env: {...process.env, NO_COLOR: '1', WATCHKEEPER_STATUS_TOKEN: TOKEN},
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  child.stderr!.on('data', (d) => (stderr += d))
  await until('the status page', async () => {
    try {
      const r = await fetch(`${base}/api/v1/status`)
      if (!r.ok) return false
      const s = (await r.json()) as {summary: {failing: number; ok: number}}
      return s.summary.failing >= 1 && s.summary.ok >= 1
    } catch {
      return false
    }
  })
  // Let the model cache (5 s) expire once so the pages show the states as watch holds them now.
  await new Promise((resolve) => setTimeout(resolve, 5200))
}, 120_000)

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }

  await upstream?.close()
  tmp?.cleanup()
})

describe('watch --status-page (real process on loopback)', () => {
  it('serves the overview: services by tier with state words, uptime, latency, incidents, maintenance, posture; hostile text escaped', async () => {
    const r = await get('/')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(r.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await r.text()
    expectSafeHtml(html)
    expect(html).toContain('<h1>NHS &lt;Integration&gt; status</h1>')
    expect(html).toContain('<nav aria-label="Services">')
    expect(html).toContain('A &lt;script&gt;document.body.dataset.pwned=1&lt;/script&gt;</a>')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; &lt;/td&gt;&lt;/table&gt;')
    expect(html).toContain('PDS &lt;b&gt;bold&lt;/b&gt; &amp; co')
    expect(html).toContain('#1 Spine &lt;iframe src=&quot;https://evil.example/&quot;&gt;&lt;/iframe&gt; outage')
    expect(html).not.toContain('Dr Jane Example')
    expect(html).not.toContain('Called the supplier')
    expect(html).not.toContain(upstream.url)
    // State is a word beside the colour; tiers are ordered platinum, gold, silver.
    expect(html).toMatch(
      /<tr id="check-api-bad">[\s\S]*?<span class="st st-failing"><span aria-hidden="true">✕<\/span> failing<\/span>/,
    )
    expect(html).toMatch(/<tr id="check-api-good">[\s\S]*?st-ok/)
    const pds = html.slice(html.indexOf('<h2 id="svc-pds-b-bold-b-co">'))
    expect(pds.indexOf('Tier: gold')).toBeLessThan(pds.indexOf('Tier: silver'))
    // The feed's outage three days ago shows in 7d/30d, not in 24h; its maintenance window is open; posture grade B.
    expect(html).toMatch(
      /<tr id="check-legacy-feed">[\s\S]*?st-maintenance[\s\S]*?<td><i class="f-ok" style="--w:100\.0%"><\/i>100%<\/td><td><i class="f-failing" style="--w:95\.8%"><\/i>95\.83%<\/td>/,
    )
    // The period's heading says what the figures are, for screen readers, once per table rather than per cell.
    expect(html).toContain('<th scope="col">24h<span class="vh"> uptime</span></th>')
    expect(html).toMatch(/Tuesday patching &lt;b&gt;<\/strong>: open until <time datetime="[^"]+Z">/)
    expect(html).toMatch(/<tr id="check-posture-web">[\s\S]*?grade B/)
    // Times: London with UTC beside.
    expect(html).toMatch(
      /<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">\d{4}-\d\d-\d\d \d\d:\d\d (GMT|BST)<\/time> <span class="utc">\(\d\d:\d\d UTC\)<\/span>/,
    )
    expect(await (await get('/index.html')).text()).toContain('<h1>NHS &lt;Integration&gt; status</h1>')
  })

  it('serves a page per check with 24 hourly and 30 daily bars (each with its figures as text), outages and recent results', async () => {
    for (const id of ['api-good', 'api-bad', 'legacy-feed', 'posture-web']) {
      const r = await get(`/checks/${id}.html`)
      expect(r.status, id).toBe(200)
      const html = await r.text()
      expectSafeHtml(html)
      expect(html).toContain('<a href="../index.html">')
      const strips = [...html.matchAll(/<ol class="strip" aria-label="([^"]+)">([\s\S]*?)<\/ol>/g)]
      expect(strips.map((s) => s[1].split(',')[0])).toEqual(['Uptime per hour', 'Uptime per day (Europe/London)'])
      expect(strips[0][2].match(/<li /g)).toHaveLength(24)
      expect(strips[1][2].match(/<li /g)).toHaveLength(30)
      expect(strips[1][2].match(/<span class="vh">/g)).toHaveLength(30)
    }

    const feed = await (await get('/checks/legacy-feed.html')).text()
    expect(feed).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(feed).toMatch(
      /<h2 id="outages">Outages<\/h2>\n<table class="rows">[\s\S]*?<td data-label="Length">3h<\/td><td data-label="Down results">3<\/td>/,
    )
    // The outage's three down results fall on one or two London days; how many up results share those days depends
    // on the hour the fixture was written, so each failing bar's percentage is checked against its own counts.
    const failingBars = [
      ...feed.matchAll(/class="b-failing" title="(\d{4}-\d\d-\d\d): ([\d.]+)% up \((\d+) up, (\d+) down\)"/g),
    ]
    expect(failingBars.length).toBeGreaterThanOrEqual(1)
    expect(failingBars.length).toBeLessThanOrEqual(2)
    expect(failingBars.reduce((n, b) => n + Number(b[4]), 0)).toBe(3)
    for (const [, , pct, up, down] of failingBars)
      expect(Number(pct)).toBeCloseTo((100 * Number(up)) / (Number(up) + Number(down)), 1)
    const bad = await (await get('/checks/api-bad.html')).text()
    expect(bad).toContain('Open incidents</dt><dd>#1')
    expect(bad).toContain('HTTP 500')
  })

  it('serves shields-style SVG badges that parse as XML, with Cache-Control and an ETag that answers 304', async () => {
    const page = await launchPage(path.join(tmp.dir, 'profile-xml'))
    try {
      const paths = [
        ...['api-good', 'api-bad', 'legacy-feed'].flatMap((id) => [
          `/badge/check/${id}/state.svg`,
          `/badge/check/${id}/latency.svg`,
          ...['24h', '7d', '30d'].map((p) => `/badge/check/${id}/uptime/${p}.svg`),
        ]),
        '/badge/service/nhs-login/state.svg',
        '/badge/service/pds-b-bold-b-co/uptime/24h.svg',
        '/badge/service/nhs-login/uptime/30d.svg',
        '/badge/service/NHS%20login/latency.svg',
        '/badge/service/pds-b-bold-b-co/state.svg',
      ]
      const texts: Record<string, string> = {}
      for (const p of paths) {
        const r = await get(p)
        expect(r.status, p).toBe(200)
        expect(r.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8')
        expect(r.headers.get('cache-control')).toBe('public, max-age=30')
        expect(r.headers.get('etag')).toMatch(/^"[\w-]{27}"$/)
        texts[p] = await r.text()
      }

      await page.open('about:blank', {width: 800, height: 600})
      const parsed = await page.evaluate<
        {p: string; ok: boolean; label: string}[]
      >(`(${JSON.stringify(texts)} && Object.entries(${JSON.stringify(texts)}).map(([p, t]) => {
        const d = new DOMParser().parseFromString(t, 'image/svg+xml')
        return {p, ok: !d.querySelector('parsererror') && d.documentElement.localName === 'svg', label: d.documentElement.getAttribute('aria-label')}
      }))`)
      for (const x of parsed) expect(x.ok, x.p).toBe(true)
      const label = (p: string) => parsed.find((x) => x.p === p)!.label
      expect(label('/badge/check/api-bad/state.svg')).toBe('Broken API: failing')
      expect(label('/badge/check/api-good/state.svg')).toBe(`${HOSTILE_NAME}: ok`)
      expect(texts['/badge/check/api-good/state.svg']).toContain(
        'A &lt;script&gt;document.body.dataset.pwned=1&lt;/script&gt;',
      )
      expect(label('/badge/service/pds-b-bold-b-co/uptime/24h.svg')).toBe(`${HOSTILE_SERVICE} 24h: 100%`)
      expect(texts['/badge/check/api-good/state.svg']).not.toContain('<script')
      expect(label('/badge/check/legacy-feed/uptime/7d.svg')).toBe('Legacy feed 7d: 95.83%')
      expect(label('/badge/check/legacy-feed/state.svg')).toBe('Legacy feed: maintenance')
      expect(label('/badge/check/api-good/latency.svg')).toMatch(/^A <script>.* p95: \d+ ms$/)
      expect(label('/badge/service/nhs-login/uptime/30d.svg')).toBe('NHS login 30d: 0.0%')
      // The service's worst: the posture check's warn (degraded) outranks the feed's maintenance.
      expect(label('/badge/service/pds-b-bold-b-co/state.svg')).toBe(`${HOSTILE_SERVICE}: degraded`)
      const etag = (await get('/badge/check/api-bad/state.svg')).headers.get('etag')!
      const again = await get('/badge/check/api-bad/state.svg', {headers: {'if-none-match': etag}})
      expect(again.status).toBe(304)
      expect(await again.text()).toBe('')
      expect(page.errors).toEqual([])
    } finally {
      await page.close()
    }
  }, 120_000)

  it('serves the read API as JSON that matches the OpenAPI 3.1 document, with ISO times and escaped text', async () => {
    expect(openapi.openapi).toBe('3.1.0')
    expect(Object.keys(openapi.paths).sort()).toEqual([
      '/api/v1/checks/{id}',
      '/api/v1/incidents',
      '/api/v1/incidents/{id}',
      '/api/v1/status',
    ])
    const r = await get('/api/v1/status')
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(r.headers.get('access-control-allow-origin')).toBe('*')
    const text = await r.text()
    expect(text).not.toMatch(/[<>]/)
    expect(text).toContain(String.raw`\u003cscript\u003e`)
    const status = JSON.parse(text) as {
      services: {name: string; tiers: {checks: {id: string}[]}[]}[]
      incidents: {title: string}[]
    }
    validate('Status', status)
    expectIsoTimes(status)
    expect(status.incidents[0].title).toBe(HOSTILE_TITLE)
    const ids = status.services.flatMap((s) => s.tiers.flatMap((t) => t.checks.map((c) => c.id))).sort()
    expect(ids).toEqual(['api-bad', 'api-good', 'legacy-feed', 'posture-web'])
    expect(text).not.toContain(upstream.url)
    expect(text).not.toContain('Jane')
    for (const id of ids) {
      for (const p of [`/api/v1/checks/${id}`, `/api/v1/checks/${id}.json`]) {
        const c = await get(p)
        expect(c.status, p).toBe(200)
        const body = await c.json()
        validate('CheckDetail', body)
        expectIsoTimes(body)
      }
    }

    const incidents = (await (await get('/api/v1/incidents.json')).json()) as {incidents: unknown[]}
    validate('Incidents', incidents)
    expect(incidents.incidents).toHaveLength(1)
    expect(Object.keys(incidents.incidents[0] as object).sort()).toEqual([
      'checks',
      'id',
      'openedAt',
      'severity',
      'state',
      'title',
    ])
    const doc = await (await get('/api/v1/openapi.json')).json()
    expect(doc).toEqual(openapi)
  })

  it('gives incident details only to the bearer token: no actors, notes because --status-notes', async () => {
    const none = await get('/api/v1/incidents/1')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="watchkeeper"')
    validate('Error', await none.json())
    expect((await get('/api/v1/incidents/1', {headers: {authorization: 'Bearer wrong-token-0123456789'}})).status).toBe(
      401,
    )
    const ok = await get('/api/v1/incidents/1', {headers: {authorization: `Bearer ${TOKEN}`}})
    expect(ok.status).toBe(200)
    expect(ok.headers.get('cache-control')).toBe('no-store')
    expect(ok.headers.get('access-control-allow-origin')).toBeNull()
    const text = await ok.text()
    expect(text).not.toContain('Jane')
    const d = JSON.parse(text) as {title: string; notes: {text: string}[]; timeline: {type: string}[]}
    validate('IncidentDetail', d)
    expectIsoTimes(d)
    expect(d.title).toBe(HOSTILE_TITLE)
    expect(d.notes.map((n) => n.text)).toEqual(['Called the supplier <b>on-call</b>'])
    expect(d.timeline.map((e) => e.type)).toContain('note')
    expect((await get('/api/v1/incidents/99', {headers: {authorization: `Bearer ${TOKEN}`}})).status).toBe(404)
    expect((await get('/api/v1/incidents/1x', {headers: {authorization: `Bearer ${TOKEN}`}})).status).toBe(400)
  })

  it('validates path parameters, answers unknown routes 404, exposes nothing writable, and bounds requests', async () => {
    const cases: [string, number][] = [
      ['/checks/..%2F..%2Fetc%2Fpasswd.html', 400],
      ['/checks/API-BAD.html', 400],
      ['/checks/nope.html', 404],
      ['/checks/api-bad', 404],
      ['/badge/check/api-bad/uptime/1y.svg', 400],
      ['/badge/check/%E0%A4%A/state.svg', 400],
      ['/badge/check/nope/state.svg', 404],
      ['/badge/service/nope/state.svg', 404],
      ['/badge/check/api-bad/colour.svg', 404],
      ['/api/v1/checks/a%2Fb', 400],
      ['/api/v1/checks/%2E%2E', 404],
      ['/api/v1/checks/nope', 404],
      ['/api/v2/status', 404],
      ['/nowhere', 404],
      ['/api/v1/', 404],
    ]
    for (const [p, code] of cases) {
      const r = await get(p)
      expect(r.status, p).toBe(code)
      const body = await r.text()
      if (p.startsWith('/api/') && code !== 404)
        expect(JSON.parse(body), p).toMatchObject({error: {code: 'E_BAD_PATH'}})
    }

    const nf = await (await get('/checks/nope.html')).text()
    expectSafeHtml(nf, false)
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await get('/api/v1/status', {method, body: method === 'DELETE' ? undefined : '{}'})
      expect(r.status, method).toBe(405)
      expect(r.headers.get('allow')).toBe('GET, HEAD')
    }

    const head = await get('/', {method: 'HEAD'})
    expect(head.status).toBe(200)
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000)
    expect(await head.text()).toBe('')
    const port = Number(new URL(base).port)
    // A GET with a body, an over-long target, and oversized headers.
    expect(await rawRequest(port, 'GET /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello')).toMatch(
      /^HTTP\/1\.1 413/,
    )
    expect(
      await rawRequest(port, `GET /checks/${'a'.repeat(3000)}.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 414/)
    expect(await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 431/,
    )
    // A client that sends half its headers and stalls holds nothing up.
    const stalled = net.connect(port, '127.0.0.1')
    stalled.write('GET / HTTP/1.1\r\nHost: x\r\n')
    const t0 = Date.now()
    expect((await get('/api/v1/incidents')).status).toBe(200)
    expect(Date.now() - t0).toBeLessThan(2000)
    stalled.destroy()
  }, 60_000)

  it('renders in headless Chromium without console errors or horizontal overflow at 1280 and 390 px, light and dark', async () => {
    const page = await launchPage(path.join(tmp.dir, 'profile-layout'))
    const shots: string[] = []
    try {
      for (const p of ['/', '/checks/api-good.html', '/checks/legacy-feed.html']) {
        for (const width of [1280, 390]) {
          for (const scheme of ['light', 'dark'] as const) {
            const where = `${p} at ${width} px, ${scheme}`
            await page.open(`${base}${p}`, {width, height: 900, scheme})
            const m = await page.evaluate<{
              scroll: number
              inner: number
              pwned: boolean
              h1: number
              main: number
              bg: string
              scripts: number
              landmarks: string[]
            }>(`({
              scroll: document.documentElement.scrollWidth, inner: window.innerWidth, pwned: document.body.dataset.pwned === '1',
              h1: document.querySelectorAll('h1').length, main: document.querySelectorAll('main').length, scripts: document.scripts.length,
              bg: getComputedStyle(document.body).backgroundColor,
              landmarks: [...document.querySelectorAll('header[role=banner], main, footer[role=contentinfo], nav[aria-label]')].map((e) => e.localName),
            })`)
            expect(m.scroll, where).toBeLessThanOrEqual(m.inner)
            expect(m.pwned, where).toBe(false)
            expect(m.scripts, where).toBe(0)
            expect([m.h1, m.main], where).toEqual([1, 1])
            expect(m.landmarks, where).toEqual(expect.arrayContaining(['header', 'main', 'footer']))
            expect(m.bg, where).toBe(scheme === 'dark' ? 'rgb(17, 21, 24)' : 'rgb(255, 255, 255)')
            const png = decodePng(await page.screenshot())
            expect([png.width, png.height], where).toEqual([width, 900])
            // The failing state shows as its colour somewhere on the overview (beside its word).
            if (p === '/') {
              let red = 0
              for (let y = 0; y < png.height; y += 2)
                for (let x = 0; x < png.width; x += 2) {
                  const [r, g, b] = png.at(x, y)
                  if (Math.abs(r - 0xb3) + Math.abs(g - 0x26) + Math.abs(b - 0x1e) < 30) red++
                }

              expect(red, where).toBeGreaterThan(10)
            }

            const file = path.join(
              tmp.dir,
              `status-${p === '/' ? 'overview' : path.basename(p, '.html')}-${width}-${scheme}.png`,
            )
            fs.writeFileSync(file, await page.screenshot(true))
            shots.push(file)
          }
        }
      }

      expect(page.errors).toEqual([])
      if (process.env.WK_KEEP_SCREENSHOTS)
        for (const f of shots) fs.copyFileSync(f, path.join(process.env.WK_KEEP_SCREENSHOTS, path.basename(f)))
    } finally {
      await page.close()
    }
  }, 240_000)

  it('limits each client address with a token bucket: 429 with Retry-After, then serves again', async () => {
    // --status-rate 40: bursts of 120, then 40 a second.
    const t0 = Date.now()
    const statuses = await Promise.all(
      Array.from({length: 300}, () =>
        get('/badge/check/api-bad/state.svg').then(async (r) => ({
          status: r.status,
          retry: r.headers.get('retry-after'),
          body: await r.text(),
        })),
      ),
    )
    const seconds = (Date.now() - t0) / 1000
    const limited = statuses.filter((s) => s.status === 429)
    const served = statuses.filter((s) => s.status === 200).length
    expect(served + limited.length).toBe(300)
    expect(served).toBeLessThanOrEqual(120 + Math.ceil(40 * seconds) + 1)
    expect(limited.length).toBeGreaterThan(0)
    for (const s of limited) expect(Number(s.retry)).toBeGreaterThanOrEqual(1)
    // /metrics and /healthz are not limited.
    expect((await get('/healthz')).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await get('/api/v1/status')).status).toBe(200)
  }, 60_000)
})

describe('watch --status-listen and bad status flags', () => {
  it('serves the status routes on their own listener, without /metrics there', async () => {
    const port = await closedPort()
    const file = path.join(tmp.dir, 'checks.yaml')
    const c = spawn(
      process.execPath,
      [BIN, 'watch', '--checks', file, '--db', path.join(tmp.dir, 'other.db'), '--status-listen', `127.0.0.1:${port}`],
      {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe']},
    )
    let err = ''
    c.stderr!.on('data', (d) => (err += d))
    try {
      const r = await until('the own listener', async () => {
        try {
          return await fetch(`http://127.0.0.1:${port}/index.html`)
        } catch {
          return undefined
        }
      })
      expect(r.status).toBe(200)
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404)
      // Without WATCHKEEPER_STATUS_TOKEN, incident details are off.
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/incidents/1`)).status).toBe(404)
      expect(err).toContain(`status page on http://127.0.0.1:${port}/`)
    } finally {
      const exited = new Promise((resolve) => c.once('exit', resolve))
      c.kill('SIGTERM')
      await exited
    }
  }, 60_000)

  it('refuses --status-page without a listener, a bad --status-listen and a short token, exit 2', async () => {
    const file = path.join(tmp.dir, 'checks.yaml')
    const other = path.join(tmp.dir, 'flags.db')
    const a = await runCli(['watch', '--checks', file, '--db', other, '--status-page'])
    expect(a.code).toBe(2)
    expect(a.stderr).toContain('--status-page needs a listener')
    const b = await runCli(['watch', '--checks', file, '--db', other, '--status-listen', 'nowhere'])
    expect(b.code).toBe(2)
    expect(b.stderr).toContain('--status-listen nowhere: expected host:port')
    const t = await runCli(['watch', '--checks', file, '--db', other, '--status-listen', '127.0.0.1:0'], {
      env: {WATCHKEEPER_STATUS_TOKEN: 'short'},
    })
    expect(t.code).toBe(2)
    expect(t.stderr).toContain('WATCHKEEPER_STATUS_TOKEN is too short')
    expect(`${a.stderr}${b.stderr}${t.stderr}`).not.toMatch(/\n\s+at /)
  }, 60_000)
})

describe('report status-site (real CLI)', () => {
  it('writes the same pages, badges and API JSON as files, atomically, and refuses to write outside --out', async () => {
    // A check id the catalogue would never allow, stored anyway: it must not become a path.
    const store = openDatabase(db)
    const now = Date.now()
    storeRun(store, {
      source: 'check run',
      startedAt: now,
      finishedAt: now,
      checks: [{id: '../../escaped', kind: 'tcp', target: 'x.test:1', name: 'Escaper'}],
      results: [result('../../escaped', 'tcp', now, 'ok', 10, 'connected')],
    })
    store.close()
    const out = path.join(tmp.dir, 'site', 'public')
    const r = await runCli([
      'report',
      'status-site',
      '--out',
      out,
      '--db',
      db,
      '--checks',
      path.join(tmp.dir, 'checks.yaml'),
      '--title',
      'Published <status>',
      '--json',
    ])
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout) as {out: string; files: number; bytes: number; generatedAt: string}
    expect(summary.out).toBe(fs.realpathSync(out))
    const files: string[] = []
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, {withFileTypes: true})) {
        if (e.isDirectory()) walk(path.join(d, e.name))
        else files.push(path.relative(out, path.join(d, e.name)))
      }
    }

    walk(out)
    expect(files.length).toBe(summary.files)
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([])
    for (const id of ['api-good', 'api-bad', 'legacy-feed', 'posture-web']) {
      for (const f of [
        `checks/${id}.html`,
        `api/v1/checks/${id}.json`,
        `badge/check/${id}/state.svg`,
        `badge/check/${id}/latency.svg`,
        `badge/check/${id}/uptime/30d.svg`,
      ])
        expect(files, f).toContain(f)
    }

    for (const f of [
      'index.html',
      'api/v1/status.json',
      'api/v1/incidents.json',
      'api/v1/openapi.json',
      'badge/service/nhs-login/uptime/7d.svg',
      'badge/service/other/state.svg',
    ])
      expect(files, f).toContain(f)
    expect(files.some((f) => f.includes('incidents/'))).toBe(false)
    expect(fs.existsSync(path.join(tmp.dir, 'escaped'))).toBe(false)
    expect(files.some((f) => f.includes('escaped'))).toBe(false)
    const index = fs.readFileSync(path.join(out, 'index.html'), 'utf8')
    expectSafeHtml(index, false)
    expect(index).toContain('<meta http-equiv="refresh" content="300">')
    expect(index).toContain('<h1>Published &lt;status&gt;</h1>')
    expect(index).toContain('<a href="checks/api-bad.html">Broken API</a>')
    // The hostile id is listed, escaped, without a link.
    expect(index).toMatch(/<tr id="check-\.\.\/\.\.\/escaped">\n<td>Escaper<div/)
    validate('Status', JSON.parse(fs.readFileSync(path.join(out, 'api/v1/status.json'), 'utf8')))
    validate('CheckDetail', JSON.parse(fs.readFileSync(path.join(out, 'api/v1/checks/api-bad.json'), 'utf8')))
    expect(fs.readFileSync(path.join(out, 'badge/check/api-bad/state.svg'), 'utf8')).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*aria-label="Broken API: failing"/,
    )

    // Written again over itself: the same set of files; a folder swapped for a link to elsewhere is refused.
    const again = await runCli([
      'report',
      'status-site',
      '--out',
      out,
      '--db',
      db,
      '--checks',
      path.join(tmp.dir, 'checks.yaml'),
      '--json',
    ])
    expect(again.code, again.stderr).toBe(0)
    const elsewhere = path.join(tmp.dir, 'elsewhere')
    fs.mkdirSync(elsewhere)
    fs.rmSync(path.join(out, 'checks'), {recursive: true})
    fs.symlinkSync(elsewhere, path.join(out, 'checks'))
    const refused = await runCli([
      'report',
      'status-site',
      '--out',
      out,
      '--db',
      db,
      '--checks',
      path.join(tmp.dir, 'checks.yaml'),
    ])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('Refusing to write through')
    expect(refused.stderr).toContain('symbolic link')
    expect(refused.stderr).not.toMatch(/\n\s+at /)
    expect(fs.readdirSync(elsewhere)).toEqual([])
    const badRefresh = await runCli(['report', 'status-site', '--out', out, '--db', db, '--refresh', 'often'])
    expect(badRefresh.code).toBe(2)
    expect(badRefresh.stderr).toContain('--refresh often')
  }, 120_000)
})
