import {describe, expect, it} from 'vitest'

import {sendNotification} from '../../../src/notify/send.js'
import {failing, providerHarness, receiver} from './helpers.js'

const {servers, load, one} = providerHarness()

const SECRET_PATH = '/services/T000/B000/very-secret-token'

describe('Slack incoming webhook', () => {
  it('posts fallback text and Block Kit blocks: a header, the text, the facts', async () => {
    const rx = await receiver(200)
    servers.push(rx)
    const n = one('  ops-slack: {type: slack, url: "${env:SLACK_URL}"}\n', {SLACK_URL: rx.url + SECRET_PATH})
    expect(n.from).toBe('${env:SLACK_URL}')
    expect(await sendNotification(n, failing)).toEqual({ok: true, attempts: 1, httpStatus: 200})
    expect(rx.hits[0].path).toBe(SECRET_PATH)
    const body = rx.hits[0].body as {
      text: string
      blocks: {type: string; text?: {type: string; text: string}; fields?: {text: string}[]}[]
    }
    expect(body.text).toBe(':red_circle: FAILING: NHS login authorize')
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section'])
    expect(body.blocks[0].text).toEqual({type: 'plain_text', text: 'FAILING: NHS login authorize', emoji: true})
    expect(body.blocks[1].text).toEqual({type: 'mrkdwn', text: 'failing after 3 failed results: HTTP 503 in 120 ms'})
    expect(body.blocks[2].fields!.map((f) => f.text)).toContain('*State*\nok → failing')
  })

  it('takes the URL only from the environment, and only an http(s) one', () => {
    expect(load('  s: {type: slack, url: "https://hooks.slack.com/services/T/B/x"}\n', {}).problems.join('\n')).toMatch(
      /notifiers\.s\.url/,
    )
    expect(
      load('  s: {type: slack, url: "${env:SLACK_URL}"}\n', {SLACK_URL: 'ftp://example.nhs.uk/'}).problems,
    ).toEqual(['4:25 notifiers.s.url: environment variable SLACK_URL does not hold an http(s) URL'])
  })

  it('never puts the URL in an error', async () => {
    const rx = await receiver(404)
    servers.push(rx)
    const n = one('  s: {type: slack, url: "${env:SLACK_URL}", retries: 0}\n', {SLACK_URL: rx.url + SECRET_PATH})
    const out = await sendNotification(n, failing)
    expect(out).toMatchObject({ok: false, attempts: 1, httpStatus: 404})
    expect(out.error).toMatch(/^HTTP 404/)
    expect(out.error).not.toContain('very-secret-token')
  })
})
