import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {createHmac, timingSafeEqual} from 'node:crypto'
import fs from 'node:fs'
import type http from 'node:http'
import path from 'node:path'

import {validateCatalogue} from '../../src/catalogue/load.js'
import {loadNotifiers} from '../../src/monitor/watch-config.js'
import {PROVIDERS} from '../../src/notify/providers/index.js'
import {sendNotification} from '../../src/notify/send.js'
import type {Notification, NotifierConfig} from '../../src/notify/types.js'
import {tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'
import {smtpReceiver} from '../helpers/smtp.js'
import {writeCatalogue} from '../monitor/harness.js'

const AT = Date.UTC(2026, 10, 25, 9, 30)
const check = {id: 'nhs-login-authorize', name: 'NHS login authorize', service: 'NHS login', tier: 'platinum', target: 'https://auth.login.nhs.uk/authorize'}
const failing: Notification = {event: 'failing', severity: 'crit', at: AT, title: 'FAILING: NHS login authorize', instance: 'probe-leeds',
  text: 'failing after 3 failed results: HTTP 503 in 120 ms', check: {...check, state: 'failing', previous: 'ok'}, resultId: 42,
  runbook: 'https://runbooks.example.nhs.uk/nhs-login'}
const recovered: Notification = {event: 'recovered', severity: 'ok', at: AT + 754_000, title: 'RECOVERED: NHS login authorize', instance: 'probe-leeds',
  text: 'recovered (was failing): HTTP 200 in 80 ms', check: {...check, state: 'ok', previous: 'failing'}, outageMs: 754_000}
const incident: Notification = {event: 'incident-opened', severity: 'crit', at: AT, title: 'Incident #7 opened: NHS login authorize failing', instance: 'probe-leeds',
  text: 'NHS login authorize has kept failing', check: {...check, state: 'failing'}, incident: {id: 7, title: 'NHS login authorize failing', severity: 'SEV2'},
  respond: 'watchkeeper incident respond 7'}

interface Hit {method: string; path: string; headers: http.IncomingHttpHeaders; raw: string; body: Record<string, unknown>}

async function receiver(status = 202): Promise<RunningServer & {hits: Hit[]}> {
  const hits: Hit[] = []
  const srv = await startHttp((req, res) => {
    let raw = ''
    req.on('data', (d) => (raw += d))
    req.on('end', () => {
      hits.push({method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw || '{}') as Record<string, unknown>})
      res.writeHead(status, {'content-type': 'application/json'}).end('{"status":"success"}')
    })
  })
  return Object.assign(srv, {hits})
}

let tmp: {dir: string; cleanup: () => void}
const servers: {close(): Promise<void>}[] = []
beforeEach(() => {
  tmp = tmpDir('wk-prov-')
})
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
  tmp.cleanup()
})

/** Notifiers as the loader builds them from a catalogue file and an environment. */
function load(notifiers: string, env: NodeJS.ProcessEnv): {notifiers: Map<string, NotifierConfig>; problems: string[]} {
  const file = writeCatalogue(tmp.dir, `checks:\n  - {id: a, kind: tcp, target: "127.0.0.1:1"}\nnotifiers:\n${notifiers}`)
  const {catalogue, problems} = validateCatalogue([file], {env})
  if (!catalogue) return {notifiers: new Map(), problems: problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)}
  const out = loadNotifiers(catalogue, env)
  return {notifiers: out.notifiers, problems: out.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)}
}

function one(notifiers: string, env: NodeJS.ProcessEnv): NotifierConfig {
  const {notifiers: map, problems} = load(notifiers, env)
  expect(problems).toEqual([])
  return [...map.values()][0]
}

describe('the provider registry', () => {
  it('registers each provider once, with its schema in the catalogue', () => {
    expect([...PROVIDERS.keys()]).toEqual(['webhook', 'slack', 'teams', 'pagerduty', 'opsgenie', 'email'])
    const {problems} = load('  pd: {type: pagerduty, url: "${env:X}", routing_key: "${env:PD}"}\n', {PD: 'k'})
    expect(problems.join('\n')).toMatch(/notifiers\.pd\.url.*unknown key/i)
    const secret = load('  pd: {type: pagerduty, routing_key: "R0UT1NGKEY"}\n', {})
    expect(secret.problems.join('\n')).toMatch(/notifiers\.pd\.routing_key/)
  })

  it('names the unset variable and the notifier', () => {
    expect(load('  og: {type: opsgenie, api_key: "${env:OG_KEY}"}\n', {}).problems).toEqual([
      '4:33 notifiers.og.api_key: environment variable OG_KEY is not set (the API key of notifier "og")'])
  })
})

describe('generic webhook: custom headers and an HMAC-SHA256 signature', () => {
  it('signs t.body with the secret, sends the headers, and a receiver can verify it', async () => {
    const rx = await receiver(200)
    servers.push(rx)
    const n = one('  hook:\n    type: webhook\n    url: "${env:HOOK}"\n    secret: "${env:HOOK_SECRET}"\n    headers: {X-Team: nhs-login, Authorization: "${env:HOOK_AUTH}"}\n',
      {HOOK: `${rx.url}/hooks/wk`, HOOK_SECRET: 'whsec_9f8e7d6c5b4a', HOOK_AUTH: 'Bearer tok-123456'})
    expect(n.from).toBe('${env:HOOK} ${env:HOOK_AUTH} ${env:HOOK_SECRET}')
    const t0 = Date.now()
    expect(await sendNotification(n, failing)).toEqual({ok: true, attempts: 1, httpStatus: 200})
    const [hit] = rx.hits
    expect(hit.method).toBe('POST')
    expect(hit.headers['x-team']).toBe('nhs-login')
    expect(hit.headers.authorization).toBe('Bearer tok-123456')
    expect(hit.body).toMatchObject({source: 'watchkeeper', event: 'failing', runbook: 'https://runbooks.example.nhs.uk/nhs-login', check: {id: check.id}})
    // The receiver's side, as docs/watch.md shows it.
    const sig = String(hit.headers['x-watchkeeper-signature'])
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig)
    expect(m).not.toBeNull()
    const t = Number(m![1])
    expect(Math.abs(t - Math.floor(t0 / 1000))).toBeLessThanOrEqual(2)
    const expected = createHmac('sha256', 'whsec_9f8e7d6c5b4a').update(`${m![1]}.${hit.raw}`).digest()
    expect(timingSafeEqual(expected, Buffer.from(m![2], 'hex'))).toBe(true)
    const tampered = createHmac('sha256', 'whsec_9f8e7d6c5b4a').update(`${m![1]}.${hit.raw} `).digest()
    expect(timingSafeEqual(tampered, Buffer.from(m![2], 'hex'))).toBe(false)
  })

  it('refuses headers watchkeeper owns', () => {
    expect(load('  hook: {type: webhook, url: "${env:HOOK}", headers: {Content-Type: text/plain}}\n', {HOOK: 'http://127.0.0.1:1/'}).problems[0])
      .toMatch(/notifiers\.hook\.headers: header Content-Type is set by watchkeeper/)
  })
})

describe('PagerDuty Events API v2', () => {
  it('triggers with routing_key, dedup_key per check and a mapped severity; resolves on recovery', async () => {
    const rx = await receiver(202)
    servers.push(rx)
    const n = one('  pd: {type: pagerduty, routing_key: "${env:PD_KEY}", api_url: "${env:PD_API}"}\n'.replace('"${env:PD_API}"', `"${'http://127.0.0.1:' + rx.port}"`),
      {PD_KEY: 'R0UT1NGKEY0123456789abcdef012345'})
    expect(n.from).toBe('${env:PD_KEY}')
    expect(await sendNotification(n, failing)).toEqual({ok: true, attempts: 1, httpStatus: 202})
    expect(await sendNotification(n, {...failing, event: 'degraded', severity: 'warn'})).toMatchObject({ok: true})
    expect(await sendNotification(n, recovered)).toMatchObject({ok: true})
    expect(rx.hits.map((h) => `${h.method} ${h.path}`)).toEqual(['POST /v2/enqueue', 'POST /v2/enqueue', 'POST /v2/enqueue'])
    const [trigger, degraded, resolve] = rx.hits.map((h) => h.body)
    expect(trigger).toMatchObject({
      routing_key: 'R0UT1NGKEY0123456789abcdef012345', event_action: 'trigger', dedup_key: 'watchkeeper:check:nhs-login-authorize',
      payload: {summary: 'FAILING: NHS login authorize', source: 'https://auth.login.nhs.uk/authorize', severity: 'critical', timestamp: '2026-11-25T09:30:00.000Z',
        component: 'nhs-login-authorize', group: 'NHS login', class: 'failing'},
      links: [{href: 'https://runbooks.example.nhs.uk/nhs-login', text: 'Runbook'}],
    })
    expect((degraded.payload as {severity: string}).severity).toBe('warning')
    expect(resolve).toEqual({routing_key: 'R0UT1NGKEY0123456789abcdef012345', event_action: 'resolve', dedup_key: 'watchkeeper:check:nhs-login-authorize'})
  })

  it('keys incident messages by check (default) or by incident; a test triggers and resolves its own alert; no maintenance notices', async () => {
    const rx = await receiver(202)
    servers.push(rx)
    const api = `http://127.0.0.1:${rx.port}/`
    const byCheck = one(`  pd: {type: pagerduty, routing_key: "\${env:PD_KEY}", api_url: "${api}"}\n`, {PD_KEY: 'k1'})
    const byIncident = one(`  pd: {type: pagerduty, routing_key: "\${env:PD_KEY}", api_url: "${api}", dedup: incident}\n`, {PD_KEY: 'k1'})
    await sendNotification(byCheck, incident)
    await sendNotification(byIncident, incident)
    await sendNotification(byCheck, {event: 'test', severity: 'info', at: AT, title: 'watchkeeper test message (pd)', text: 't', instance: 'probe-leeds'})
    expect(rx.hits.map((h) => `${h.body.event_action} ${h.body.dedup_key}`)).toEqual([
      'trigger watchkeeper:check:nhs-login-authorize', 'trigger watchkeeper:incident:7',
      `trigger watchkeeper:test:probe-leeds:${AT}`, `resolve watchkeeper:test:probe-leeds:${AT}`])
    expect((rx.hits[0].body.payload as {custom_details: {respond: string}}).custom_details.respond).toBe('watchkeeper incident respond 7')
    expect(byCheck.provider.accepts!(byCheck.settings, {event: 'maintenance-started', severity: 'info', at: AT, title: 'x', text: 'y'})).toBe(false)
    // The incident's note that the check recovered does not reopen the check's alert its recovery resolved.
    const note: Notification = {...incident, event: 'incident-updated', severity: 'info', check: {...check, state: 'ok'}}
    expect(byCheck.provider.accepts!(byCheck.settings, note)).toBe(false)
    expect(byIncident.provider.accepts!(byIncident.settings, note)).toBe(true)
  })

  it('retries 429 and 5xx, gives up on 400, and never puts the routing key in an error', async () => {
    let calls = 0
    const srv = await startHttp((req, res) => {
      calls++
      req.resume()
      req.on('end', () => res.writeHead(calls === 1 ? 429 : 400).end('{"status":"invalid event","message":"Event object is invalid","errors":["routing_key R0UT1NG invalid"]}'))
    })
    servers.push(srv)
    const n = one(`  pd: {type: pagerduty, routing_key: "\${env:PD_KEY}", api_url: "${srv.url}"}\n`, {PD_KEY: 'R0UT1NG'})
    const out = await sendNotification(n, failing, {backoffMs: 5})
    expect(out).toMatchObject({ok: false, attempts: 2, httpStatus: 400, retryable: false})
    expect(out.error).toContain('<secret>')
    expect(out.error).not.toContain('R0UT1NG')
  })
})

describe('Opsgenie Alert API', () => {
  it('creates with message, alias and a priority from the tier, GenieKey auth; closes by alias', async () => {
    const rx = await receiver(202)
    servers.push(rx)
    const n = one(`  og: {type: opsgenie, api_key: "\${env:OG_KEY}", api_url: "${rx.url}", tags: [nhs]}\n`, {OG_KEY: 'eb243592-faa2-4ba2-a551q-1afdf565c889'})
    await sendNotification(n, failing)
    await sendNotification(n, {...failing, event: 'degraded', severity: 'warn', check: {...failing.check!, tier: 'silver'}})
    await sendNotification(n, recovered)
    expect(rx.hits.map((h) => `${h.method} ${h.path}`)).toEqual([
      'POST /v2/alerts', 'POST /v2/alerts',
      'POST /v2/alerts/watchkeeper%3Acheck%3Anhs-login-authorize/close?identifierType=alias'])
    for (const h of rx.hits) expect(h.headers.authorization).toBe('GenieKey eb243592-faa2-4ba2-a551q-1afdf565c889')
    expect(rx.hits[0].body).toMatchObject({message: 'FAILING: NHS login authorize', alias: 'watchkeeper:check:nhs-login-authorize', priority: 'P1',
      source: 'probe-leeds', entity: 'nhs-login-authorize', tags: ['watchkeeper', 'failing', 'NHS login', 'nhs'],
      details: {check: 'nhs-login-authorize', runbook: 'https://runbooks.example.nhs.uk/nhs-login', tier: 'platinum'}})
    expect(rx.hits[0].body.description).toContain('Runbook:')
    // silver is P3; a warning one step lower.
    expect(rx.hits[1].body.priority).toBe('P4')
    expect(rx.hits[2].body).toEqual({source: 'probe-leeds', note: 'RECOVERED: NHS login authorize'})
  })

  it('defaults to the public API', () => {
    const n = one('  og: {type: opsgenie, api_key: "${env:OG_KEY}"}\n', {OG_KEY: 'k'})
    expect(n.provider.requests!(n.settings, failing, {timeoutMs: 1000, now: AT})[0].url).toBe('https://api.opsgenie.com/v2/alerts')
    const pd = one('  pd: {type: pagerduty, routing_key: "${env:PD}"}\n', {PD: 'k'})
    expect(pd.provider.requests!(pd.settings, failing, {timeoutMs: 1000, now: AT})[0].url).toBe('https://events.pagerduty.com/v2/enqueue')
  })
})

describe('email over SMTP', () => {
  function emailNotifier(port: number, ca: string, extra = ''): NotifierConfig {
    const caFile = path.join(tmp.dir, 'relay-ca.pem')
    fs.writeFileSync(caFile, ca)
    return one(`  mail:\n    type: email\n    host: localhost\n    port: ${port}\n    username: "\${env:SMTP_USER}"\n    password: "\${env:SMTP_PASSWORD}"\n` +
      `    from: watchkeeper@trust.nhs.net\n    to: [oncall@trust.nhs.net, duty@trust.nhs.net]\n    ca_file: ${caFile}\n    retries: 0\n${extra}`,
    {SMTP_USER: 'wk-relay', SMTP_PASSWORD: 'S3cret-relay-pw'})
  }

  it('upgrades with STARTTLS, authenticates, and sends plain-text and HTML parts with a clear subject', async () => {
    const smtp = await smtpReceiver({user: 'wk-relay', password: 'S3cret-relay-pw'})
    servers.push(smtp)
    const n = emailNotifier(smtp.port, smtp.ca)
    expect(n.from).toBe(`smtp://localhost:${smtp.port} as \${env:SMTP_USER}/\${env:SMTP_PASSWORD}`)
    const out = await sendNotification(n, incident)
    expect(out).toMatchObject({ok: true, attempts: 1})
    expect(out.detail).toMatch(/^250/)
    expect(smtp.auths).toEqual([{user: 'wk-relay', secure: true}])
    const [mail] = smtp.mails
    expect(mail).toMatchObject({from: 'watchkeeper@trust.nhs.net', to: ['oncall@trust.nhs.net', 'duty@trust.nhs.net'], secure: true, user: 'wk-relay'})
    const raw = mail.raw.replace(/=\r?\n/g, '').replace(/\r?\n /g, ' ')
    expect(raw).toMatch(/^Subject: \[watchkeeper\] CRIT Incident #7 opened: NHS login authorize failing \(probe-leeds\)\r?$/m)
    expect(raw).toMatch(/Content-Type: multipart\/alternative/)
    expect(raw).toMatch(/Content-Type: text\/plain/)
    expect(raw).toMatch(/Content-Type: text\/html/)
    expect(raw).toContain('Respond:')
    expect(raw).toContain('watchkeeper incident respond 7')
    expect(raw).toContain('<h2')
    expect(raw).not.toContain('S3cret-relay-pw')
  })

  it('refuses to send when STARTTLS is required and the server does not offer it; optional sends without', async () => {
    const smtp = await smtpReceiver({user: 'wk-relay', password: 'S3cret-relay-pw', starttls: false})
    servers.push(smtp)
    const out = await sendNotification(emailNotifier(smtp.port, smtp.ca), failing)
    expect(out).toMatchObject({ok: false, attempts: 1, retryable: false})
    expect(out.error).toMatch(/ETLS/)
    expect(smtp.mails).toEqual([])
    expect(smtp.auths).toEqual([])
    const plain = await smtpReceiver({starttls: false})
    servers.push(plain)
    const caFile = path.join(tmp.dir, 'ca.pem')
    fs.writeFileSync(caFile, plain.ca)
    const n = one(`  relay: {type: email, host: 127.0.0.1, port: ${plain.port}, tls: optional, from: wk@trust.nhs.net, to: [ops@trust.nhs.net]}\n`, {})
    expect(await sendNotification(n, failing)).toMatchObject({ok: true})
    expect(plain.mails[0].secure).toBe(false)
  })

  it('wrong credentials fail at once without the password in the error; a 4xx reply is retried', async () => {
    const smtp = await smtpReceiver({user: 'wk-relay', password: 'other-password'})
    servers.push(smtp)
    const out = await sendNotification(emailNotifier(smtp.port, smtp.ca), failing)
    expect(out).toMatchObject({ok: false, retryable: false})
    expect(out.error).toMatch(/EAUTH/)
    expect(out.error).not.toContain('S3cret-relay-pw')
    let busy = 1
    const flaky = await smtpReceiver({user: 'wk-relay', password: 'S3cret-relay-pw', reply: () => busy-- > 0 ? Object.assign(new Error('Try again later'), {responseCode: 451}) : undefined})
    servers.push(flaky)
    const n = emailNotifier(flaky.port, flaky.ca, '')
    expect(await sendNotification({...n, retries: 1}, failing, {backoffMs: 5})).toMatchObject({ok: true, attempts: 2})
    expect(flaky.mails.length).toBe(1)
  })
})
