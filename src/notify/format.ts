import type {Notification} from './types.js'

/** Key facts of a message, in display order, for the chat and email providers. */
export function facts(n: Notification): [string, string][] {
  const out: [string, string][] = []
  if (n.check) {
    out.push(['Check', `${n.check.name} (${n.check.id})`])
    if (n.check.service) out.push(['Service', n.check.service])
    out.push(['Target', n.check.target])
    if (n.check.state) out.push(['State', n.check.previous ? `${n.check.previous} → ${n.check.state}` : n.check.state])
  }

  if (n.outageMs !== undefined) out.push(['Outage', formatOutage(n.outageMs)])
  if (n.incident)
    out.push([
      'Incident',
      `#${n.incident.id} ${n.incident.title}${n.incident.severity ? ` (${n.incident.severity})` : ''}`,
    ])
  if (n.respond) out.push(['Respond', n.respond])
  if (n.runbook) out.push(['Runbook', n.runbook])
  out.push(['When', new Date(n.at).toISOString()])
  if (n.instance) out.push(['Reported by', n.instance])
  return out
}

/** "1 h 12 min", "4 min 5 s", "40 s". */
export function formatOutage(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d > 0) return `${d} d ${h} h`
  if (h > 0) return `${h} h ${m} min`
  if (m > 0) return `${m} min ${s % 60} s`
  return `${s} s`
}

/** The whole message as plain text (email body, and the text of the pager providers' details). */
export function plainText(n: Notification): string {
  const width = Math.max(...facts(n).map(([k]) => k.length))
  return `${n.title}\n\n${n.text}\n\n${facts(n)
    .map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${v}`)
    .join('\n')}\n`
}
