import {facts} from '../format.js'
import type {Notification} from '../types.js'
import {envRefSchema, type NotifierProvider} from './provider.js'
import {webhookUrl} from './webhook.js'

const SLACK_EMOJI: Record<Notification['severity'], string> = {crit: ':red_circle:', warn: ':large_orange_circle:', ok: ':large_green_circle:', info: ':information_source:'}

function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Slack incoming webhook: `text` as the fallback, Block Kit blocks for the layout. */
export function slackPayload(n: Notification): Record<string, unknown> {
  return {
    text: `${SLACK_EMOJI[n.severity]} ${n.title}`,
    blocks: [
      {type: 'header', text: {type: 'plain_text', text: n.title.slice(0, 150), emoji: true}},
      {type: 'section', text: {type: 'mrkdwn', text: slackEscape(n.text).slice(0, 3000)}},
      {type: 'section', fields: facts(n).slice(0, 10).map(([k, v]) => ({type: 'mrkdwn', text: `*${k}*\n${slackEscape(v)}`}))},
    ],
  }
}

export const slackProvider: NotifierProvider<{url: string; urlEnv: string}> = {
  type: 'slack',
  description: 'Slack incoming webhook (Block Kit message)',
  properties: {url: envRefSchema('the incoming-webhook URL')},
  required: ['url'],
  parse: (raw, env, complain) => webhookUrl(raw, env, complain),
  from: (s) => `\${env:${s.urlEnv}}`,
  secrets: (s) => [s.url],
  requests: (s, n) => [{url: s.url, headers: {}, body: JSON.stringify(slackPayload(n))}],
}
