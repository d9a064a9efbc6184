import {facts} from '../format.js'
import type {Notification} from '../types.js'
import {envRefSchema, type NotifierProvider} from './provider.js'
import {webhookUrl} from './webhook.js'

const CARD_COLOUR: Record<Notification['severity'], string> = {crit: 'Attention', warn: 'Warning', ok: 'Good', info: 'Default'}

/**
 * Microsoft Teams through a Workflows (Power Automate) "post to a channel when a webhook request is
 * received" flow: a message with one Adaptive Card attachment.
 */
export function teamsPayload(n: Notification): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        body: [
          {type: 'TextBlock', text: n.title, size: 'Large', weight: 'Bolder', color: CARD_COLOUR[n.severity], wrap: true},
          {type: 'TextBlock', text: n.text, wrap: true},
          {type: 'FactSet', facts: facts(n).map(([title, value]) => ({title, value}))},
        ],
      },
    }],
  }
}

export const teamsProvider: NotifierProvider<{url: string; urlEnv: string}> = {
  type: 'teams',
  description: 'Microsoft Teams Workflows webhook (Adaptive Card)',
  properties: {url: envRefSchema('the Workflows webhook URL')},
  required: ['url'],
  parse: (raw, env, complain) => webhookUrl(raw, env, complain),
  from: (s) => `\${env:${s.urlEnv}}`,
  secrets: (s) => [s.url],
  requests: (s, n) => [{url: s.url, headers: {}, body: JSON.stringify(teamsPayload(n))}],
}
