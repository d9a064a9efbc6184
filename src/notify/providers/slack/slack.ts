import type {Notification} from '../../types.js'
import type {SlackConfig} from './schema.js'
import {facts} from '../../format.js'
import {envRefs, envUrl, type NotifierProvider} from '../provider.js'

const SLACK_EMOJI: Record<Notification['severity'], string> = {
  crit: ':red_circle:',
  warn: ':large_orange_circle:',
  ok: ':large_green_circle:',
  info: ':information_source:',
}

function slackEscape(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** Slack incoming webhook: `text` as the fallback, Block Kit blocks for the layout. */
export function slackPayload(n: Notification): Record<string, unknown> {
  return {
    text: `${SLACK_EMOJI[n.severity]} ${n.title}`,
    blocks: [
      {type: 'header', text: {type: 'plain_text', text: n.title.slice(0, 150), emoji: true}},
      {type: 'section', text: {type: 'mrkdwn', text: slackEscape(n.text).slice(0, 3000)}},
      {
        type: 'section',
        fields: facts(n)
          .slice(0, 10)
          .map(([k, v]) => ({type: 'mrkdwn', text: `*${k}*\n${slackEscape(v)}`})),
      },
    ],
  }
}

export const slackProvider: NotifierProvider<SlackConfig, {url: string; urlEnv: string}> = {
  type: 'slack',
  schema: () => import('./schema.js'),
  parse: (config, env, complain) => envUrl(config.url, env, complain),
  from: (s) => envRefs(s.urlEnv),
  secrets: (s) => [s.url],
  requests: (s, n) => [{url: s.url, headers: {}, body: JSON.stringify(slackPayload(n))}],
}
