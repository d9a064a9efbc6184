import {describe, expect, it} from 'vitest'

import type {Notification} from '../../../src/notify/types.js'
import {sendNotification} from '../../../src/notify/send.js'
import {startHttp} from '../../helpers/servers.js'
import {AT, check, failing, incident, providerHarness, receiver, recovered} from './helpers.js'

const {servers, one} = providerHarness()

describe('PagerDuty Events API v2', () => {
  it('triggers with routing_key, dedup_key per check and a mapped severity; resolves on recovery', async () => {
    const rx = await receiver(202)
    servers.push(rx)
    const n = one(
      '  pd: {type: pagerduty, routing_key: "${env:PD_KEY}", api_url: "${env:PD_API}"}\n'.replace(
        '"${env:PD_API}"',
        `"${'http://127.0.0.1:' + rx.port}"`,
      ),
      {PD_KEY: 'R0UT1NGKEY0123456789abcdef012345'},
    )
    expect(n.from).toBe('${env:PD_KEY}')
    expect(await sendNotification(n, failing)).toEqual({ok: true, attempts: 1, httpStatus: 202})
    expect(await sendNotification(n, {...failing, event: 'degraded', severity: 'warn'})).toMatchObject({ok: true})
    expect(await sendNotification(n, recovered)).toMatchObject({ok: true})
    expect(rx.hits.map((h) => `${h.method} ${h.path}`)).toEqual([
      'POST /v2/enqueue',
      'POST /v2/enqueue',
      'POST /v2/enqueue',
    ])
    const [trigger, degraded, resolve] = rx.hits.map((h) => h.body)
    expect(trigger).toMatchObject({
      routing_key: 'R0UT1NGKEY0123456789abcdef012345',
      event_action: 'trigger',
      dedup_key: 'watchkeeper:check:nhs-login-authorize',
      payload: {
        summary: 'FAILING: NHS login authorize',
        source: 'https://auth.login.nhs.uk/authorize',
        severity: 'critical',
        timestamp: '2026-11-25T09:30:00.000Z',
        component: 'nhs-login-authorize',
        group: 'NHS login',
        class: 'failing',
      },
      links: [{href: 'https://runbooks.example.nhs.uk/nhs-login', text: 'Runbook'}],
    })
    expect((degraded.payload as {severity: string}).severity).toBe('warning')
    expect(resolve).toEqual({
      routing_key: 'R0UT1NGKEY0123456789abcdef012345',
      event_action: 'resolve',
      dedup_key: 'watchkeeper:check:nhs-login-authorize',
    })
  })

  it('keys incident messages by check (default) or by incident; a test triggers and resolves its own alert; no maintenance notices', async () => {
    const rx = await receiver(202)
    servers.push(rx)
    const api = `http://127.0.0.1:${rx.port}/`
    const byCheck = one(`  pd: {type: pagerduty, routing_key: "\${env:PD_KEY}", api_url: "${api}"}\n`, {PD_KEY: 'k1'})
    const byIncident = one(
      `  pd: {type: pagerduty, routing_key: "\${env:PD_KEY}", api_url: "${api}", dedup: incident}\n`,
      {PD_KEY: 'k1'},
    )
    await sendNotification(byCheck, incident)
    await sendNotification(byIncident, incident)
    await sendNotification(byCheck, {
      event: 'test',
      severity: 'info',
      at: AT,
      title: 'watchkeeper test message (pd)',
      text: 't',
      instance: 'probe-leeds',
    })
    expect(rx.hits.map((h) => `${h.body.event_action} ${h.body.dedup_key}`)).toEqual([
      'trigger watchkeeper:check:nhs-login-authorize',
      'trigger watchkeeper:incident:7',
      `trigger watchkeeper:test:probe-leeds:${AT}`,
      `resolve watchkeeper:test:probe-leeds:${AT}`,
    ])
    expect((rx.hits[0].body.payload as {custom_details: {respond: string}}).custom_details.respond).toBe(
      'watchkeeper incident respond 7',
    )
    expect(
      byCheck.provider.accepts!(byCheck.settings, {
        event: 'maintenance-started',
        severity: 'info',
        at: AT,
        title: 'x',
        text: 'y',
      }),
    ).toBe(false)
    // The incident's note that the check recovered does not reopen the check's alert its recovery resolved.
    const note: Notification = {
      ...incident,
      event: 'incident-updated',
      severity: 'info',
      check: {...check, state: 'ok'},
    }
    expect(byCheck.provider.accepts!(byCheck.settings, note)).toBe(false)
    expect(byIncident.provider.accepts!(byIncident.settings, note)).toBe(true)
  })

  it('retries 429 and 5xx, gives up on 400, and never puts the routing key in an error', async () => {
    let calls = 0
    const srv = await startHttp((req, res) => {
      calls++
      req.resume()
      req.on('end', () =>
        res
          .writeHead(calls === 1 ? 429 : 400)
          .end(
            '{"status":"invalid event","message":"Event object is invalid","errors":["routing_key R0UT1NG invalid"]}',
          ),
      )
    })
    servers.push(srv)
    const n = one(`  pd: {type: pagerduty, routing_key: "\${env:PD_KEY}", api_url: "${srv.url}"}\n`, {
      PD_KEY: 'R0UT1NG',
    })
    const out = await sendNotification(n, failing, {backoffMs: 5})
    expect(out).toMatchObject({ok: false, attempts: 2, httpStatus: 400, retryable: false})
    expect(out.error).toContain('<secret>')
    expect(out.error).not.toContain('R0UT1NG')
  })
})
