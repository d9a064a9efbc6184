import {describe, expect, it} from 'vitest'

import {sendNotification} from '../../../src/notify/send.js'
import {failing, providerHarness, receiver, recovered} from './helpers.js'

const {servers, one} = providerHarness()

interface Card {
  type: string
  attachments: {
    contentType: string
    contentUrl: null
    content: {
      type: string
      version: string
      body: {type: string; text?: string; color?: string; facts?: {title: string; value: string}[]}[]
    }
  }[]
}

describe('Microsoft Teams Workflows webhook', () => {
  it('posts a message with one Adaptive Card, coloured by severity', async () => {
    const rx = await receiver(202)
    servers.push(rx)
    const n = one('  teams: {type: teams, url: "${env:TEAMS_URL}"}\n', {
      TEAMS_URL: `${rx.url}/workflows/abc/triggers/manual/paths/invoke?sig=s3cr3t-sig`,
    })
    expect(n.from).toBe('${env:TEAMS_URL}')
    expect(await sendNotification(n, failing)).toEqual({ok: true, attempts: 1, httpStatus: 202})
    expect(await sendNotification(n, recovered)).toMatchObject({ok: true})
    const body = rx.hits[0].body as unknown as Card
    expect(body.type).toBe('message')
    expect(body.attachments.length).toBe(1)
    const card = body.attachments[0]
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive')
    expect(card.contentUrl).toBeNull()
    expect(card.content.type).toBe('AdaptiveCard')
    expect(card.content.version).toBe('1.4')
    expect(card.content.body.map((b) => b.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet'])
    expect(card.content.body[0]).toMatchObject({text: 'FAILING: NHS login authorize', color: 'Attention'})
    expect(card.content.body[2].facts).toContainEqual({title: 'Service', value: 'NHS login'})
    const recovery = (rx.hits[1].body as unknown as Card).attachments[0].content
    expect(recovery.body[0].color).toBe('Good')
    expect(recovery.body[2].facts).toContainEqual({title: 'Outage', value: '12 min 34 s'})
  })
})
