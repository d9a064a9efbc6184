import {describe, expect, it} from 'vitest'

import {sendNotification} from '../../../src/notify/send.js'
import {AT, failing, providerHarness, receiver, recovered} from './helpers.js'

const {servers, one} = providerHarness()

describe('Opsgenie Alert API', () => {
  it('creates with message, alias and a priority from the tier, GenieKey auth; closes by alias', async () => {
    const rx = await receiver(202)
    servers.push(rx)
    const n = one(`  og: {type: opsgenie, api_key: "\${env:OG_KEY}", api_url: "${rx.url}", tags: [nhs]}\n`, {
      OG_KEY: 'eb243592-faa2-4ba2-a551q-1afdf565c889',
    })
    await sendNotification(n, failing)
    await sendNotification(n, {
      ...failing,
      event: 'degraded',
      severity: 'warn',
      check: {...failing.check!, tier: 'silver'},
    })
    await sendNotification(n, recovered)
    expect(rx.hits.map((h) => `${h.method} ${h.path}`)).toEqual([
      'POST /v2/alerts',
      'POST /v2/alerts',
      'POST /v2/alerts/watchkeeper%3Acheck%3Anhs-login-authorize/close?identifierType=alias',
    ])
    for (const h of rx.hits) expect(h.headers.authorization).toBe('GenieKey eb243592-faa2-4ba2-a551q-1afdf565c889')
    expect(rx.hits[0].body).toMatchObject({
      message: 'FAILING: NHS login authorize',
      alias: 'watchkeeper:check:nhs-login-authorize',
      priority: 'P1',
      source: 'probe-leeds',
      entity: 'nhs-login-authorize',
      tags: ['watchkeeper', 'failing', 'NHS login', 'nhs'],
      details: {check: 'nhs-login-authorize', runbook: 'https://runbooks.example.nhs.uk/nhs-login', tier: 'platinum'},
    })
    expect(rx.hits[0].body.description).toContain('Runbook:')
    // silver is P3; a warning one step lower.
    expect(rx.hits[1].body.priority).toBe('P4')
    expect(rx.hits[2].body).toEqual({source: 'probe-leeds', note: 'RECOVERED: NHS login authorize'})
  })

  it('defaults to the public API', () => {
    const n = one('  og: {type: opsgenie, api_key: "${env:OG_KEY}"}\n', {OG_KEY: 'k'})
    expect(n.provider.requests!(n.settings, failing, {timeoutMs: 1000, now: AT})[0].url).toBe(
      'https://api.opsgenie.com/v2/alerts',
    )
    const pd = one('  pd: {type: pagerduty, routing_key: "${env:PD}"}\n', {PD: 'k'})
    expect(pd.provider.requests!(pd.settings, failing, {timeoutMs: 1000, now: AT})[0].url).toBe(
      'https://events.pagerduty.com/v2/enqueue',
    )
  })
})
