import type {Notification, ProviderType} from './types.js'

/** Generic webhook: the notification itself as JSON, times as ISO 8601. */
export function genericPayload(n: Notification): Record<string, unknown> {
  return {
    source: 'watchkeeper',
    event: n.event,
    severity: n.severity,
    title: n.title,
    text: n.text,
    at: new Date(n.at).toISOString(),
    ...(n.check ? {check: n.check} : {}),
    ...(n.incident ? {incident: n.incident} : {}),
    ...(n.resultId === undefined ? {} : {resultId: n.resultId}),
    ...(n.instance ? {instance: n.instance} : {}),
  }
}

const SLACK_EMOJI: Record<Notification['severity'], string> = {crit: ':red_circle:', warn: ':large_orange_circle:', ok: ':large_green_circle:', info: ':information_source:'}

function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function facts(n: Notification): [string, string][] {
  const out: [string, string][] = []
  if (n.check) {
    out.push(['Check', `${n.check.name} (${n.check.id})`])
    if (n.check.service) out.push(['Service', n.check.service])
    out.push(['Target', n.check.target])
    if (n.check.state) out.push(['State', n.check.previous ? `${n.check.previous} → ${n.check.state}` : n.check.state])
  }
  if (n.incident) out.push(['Incident', `#${n.incident.id} ${n.incident.title}${n.incident.severity ? ` (${n.incident.severity})` : ''}`])
  out.push(['When', new Date(n.at).toISOString()])
  if (n.instance) out.push(['Reported by', n.instance])
  return out
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

export function payloadFor(type: ProviderType, n: Notification): Record<string, unknown> {
  switch (type) {
    case 'slack': return slackPayload(n)
    case 'teams': return teamsPayload(n)
    default: return genericPayload(n)
  }
}
