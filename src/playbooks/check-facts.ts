import type {NewEvent} from '../incidents/chain.js'
import type {Playbook} from './model.js'
import {coerce} from './values.js'

/** What a playbook variable can take from the check an incident came from (`from_check:`). */
export const CHECK_FACTS = ['url', 'host', 'port'] as const
export type CheckFact = (typeof CHECK_FACTS)[number]

export interface CheckTarget {
  checkId: string
  target: string
}

const DEFAULT_PORTS: Record<string, number> = {'https:': 443, 'http:': 80, 'smtp:': 25, 'smtps:': 465}

/**
 * The URL, host and port of a check's target: a URL (`https://www.nhs.uk/`: port from the scheme when not
 * written), `host:port` (tls, tcp), `[v6]:port`, or a bare domain (dns, email-security: no port, no URL).
 */
export function checkFacts(target: string): Partial<Record<CheckFact, string | number>> {
  const t = target.trim()
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    try {
      const u = new URL(t)
      const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol]
      return {url: u.href, host: u.hostname.replace(/^\[(.*)\]$/, '$1'), ...(port === undefined ? {} : {port})}
    } catch {
      return {}
    }
  }

  const m = /^\[([0-9a-f:.]+)\]:(\d{1,5})$/i.exec(t) ?? /^([^\s:/]+):(\d{1,5})$/.exec(t)
  if (m) return {host: m[1], port: Number(m[2])}
  return /^[^\s:/]+$/.test(t) ? {host: t} : {}
}

/** variable_recorded events for every variable (of the playbook and its sub-playbooks) declared `from_check:`. */
export function prefillFromCheck(playbook: Playbook, check: CheckTarget): NewEvent[] {
  const facts = checkFacts(check.target)
  const out: NewEvent[] = []
  const seen = new Set<string>()
  const visit = (p: Playbook) => {
    for (const [name, def] of Object.entries(p.variables)) {
      const fact = def.from_check === undefined ? undefined : facts[def.from_check]
      if (fact === undefined || seen.has(name)) continue
      const v = coerce(def, String(fact))
      if (!v.ok) continue
      seen.add(name)
      out.push({
        type: 'variable_recorded',
        data: {name, value: v.value, from: 'check', checkId: check.checkId, fact: def.from_check},
      })
    }

    for (const sub of Object.values(p.subs)) visit(sub)
  }

  visit(playbook)
  return out
}
