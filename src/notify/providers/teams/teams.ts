import type {Notification} from '../../types.js'
import type {TeamsConfig} from './schema.js'
import {facts} from '../../format.js'
import {envRefs, envUrl, type NotifierProvider} from '../provider.js'

const CARD_COLOUR: Record<Notification['severity'], string> = {
  crit: 'Attention',
  warn: 'Warning',
  ok: 'Good',
  info: 'Default',
}

/**
 * Microsoft Teams through a Workflows (Power Automate) "post to a channel when a webhook request is
 * received" flow: a message with one Adaptive Card attachment.
 */
export function teamsPayload(n: Notification): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: n.title,
              size: 'Large',
              weight: 'Bolder',
              color: CARD_COLOUR[n.severity],
              wrap: true,
            },
            {type: 'TextBlock', text: n.text, wrap: true},
            {type: 'FactSet', facts: facts(n).map(([title, value]) => ({title, value}))},
          ],
        },
      },
    ],
  }
}

export const teamsProvider: NotifierProvider<TeamsConfig, {url: string; urlEnv: string}> = {
  type: 'teams',
  schema: () => import('./schema.js'),
  parse: (config, env, complain) => envUrl(config.url, env, complain),
  from: (s) => envRefs(s.urlEnv),
  secrets: (s) => [s.url],
  requests: (s, n) => [{url: s.url, headers: {}, body: JSON.stringify(teamsPayload(n))}],
}
