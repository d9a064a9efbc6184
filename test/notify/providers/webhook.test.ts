import {createHmac, timingSafeEqual} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {sendNotification} from '../../../src/notify/send.js'
import {startHttp} from '../../helpers/servers.js'
import {check, failing, providerHarness, receiver} from './helpers.js'

const {servers, load, one} = providerHarness()

describe('generic webhook: custom headers and an HMAC-SHA256 signature', () => {
  it('signs t.body with the secret, sends the headers, and a receiver can verify it', async () => {
    const rx = await receiver(200)
    servers.push(rx)
    const n = one(
      '  hook:\n    type: webhook\n    url: "${env:HOOK}"\n    secret: "${env:HOOK_SECRET}"\n    headers: {X-Team: nhs-login, Authorization: "${env:HOOK_AUTH}"}\n',
      {HOOK: `${rx.url}/hooks/wk`, HOOK_SECRET: 'whsec_9f8e7d6c5b4a', HOOK_AUTH: 'Bearer tok-123456'},
    )
    expect(n.from).toBe('${env:HOOK} ${env:HOOK_AUTH} ${env:HOOK_SECRET}')
    const t0 = Date.now()
    expect(await sendNotification(n, failing)).toEqual({ok: true, attempts: 1, httpStatus: 200})
    const [hit] = rx.hits
    expect(hit.method).toBe('POST')
    expect(hit.headers['x-team']).toBe('nhs-login')
    expect(hit.headers.authorization).toBe('Bearer tok-123456')
    expect(hit.body).toMatchObject({
      source: 'watchkeeper',
      event: 'failing',
      runbook: 'https://runbooks.example.nhs.uk/nhs-login',
      check: {id: check.id},
    })
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
    expect(
      load('  hook: {type: webhook, url: "${env:HOOK}", headers: {Content-Type: text/plain}}\n', {
        HOOK: 'http://127.0.0.1:1/',
      }).problems[0],
    ).toMatch(/notifiers\.hook\.headers: header Content-Type is set by watchkeeper/)
  })

  it('scrubs the secrets from an error in any spelling: as sent, percent-encoded, base64', async () => {
    const token = 'Bearer tok-5ecret/+value'
    const srv = await startHttp((req, res) => {
      req.resume()
      // A receiver that quotes what it got back, encoded.
      req.on('end', () =>
        res
          .writeHead(401)
          .end(`bad auth ${encodeURIComponent(token)} (${Buffer.from(token).toString('base64')}) for ${req.url}`),
      )
    })
    servers.push(srv)
    const n = one(
      '  hook: {type: webhook, url: "${env:HOOK}", headers: {Authorization: "${env:HOOK_AUTH}"}, retries: 0}\n',
      {HOOK: `${srv.url}/hooks/s3cr3t-path`, HOOK_AUTH: token},
    )
    const out = await sendNotification(n, failing)
    expect(out).toMatchObject({ok: false, attempts: 1, httpStatus: 401, retryable: false})
    expect(out.error).toMatch(/^HTTP 401: bad auth \*\*\* \(\*\*\*\) for \/<redacted>$/)
  })
})
