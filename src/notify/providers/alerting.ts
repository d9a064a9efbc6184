import type {Notification} from '../types.js'

/** `dedup:` of a paging provider: one alert per check, or per incident for incident messages. */
export const DEDUP = ['check', 'incident'] as const
export type Dedup = (typeof DEDUP)[number]

/** What a paging provider does with a message: open (or update) the alert with this key, or close it. */
export interface AlertAction {
  action: 'trigger' | 'resolve'
  key: string
}

/**
 * How PagerDuty and Opsgenie see watchkeeper's messages: one alert per check (per incident with
 * `dedup: incident`), raised by failing/degraded/flapping/reminders/incident messages and closed by the
 * recovery; an incident stays open in the pager until a person resolves it there. Connectivity has one alert per instance, posture one per check. A test opens and closes its own.
 */
export function alertActions(n: Notification, dedup: Dedup): AlertAction[] {
  const instance = n.instance ?? 'watchkeeper'
  const checkKey = n.check ? `watchkeeper:check:${n.check.id}` : undefined
  switch (n.event) {
    case 'failing':
    case 'degraded':
    case 'reminder':
    case 'flapping': {
      return checkKey ? [{action: 'trigger', key: checkKey}] : []
    }

    case 'recovered': {
      return checkKey ? [{action: 'resolve', key: checkKey}] : []
    }

    case 'stable': {
      return checkKey ? [{action: n.check?.state === 'ok' ? 'resolve' : 'trigger', key: checkKey}] : []
    }

    case 'incident-opened':
    case 'incident-updated': {
      // An incident's "recovered" note must not reopen the check's alert its recovery just resolved.
      if (n.event === 'incident-updated' && n.check?.state !== 'failing' && dedup === 'check') return []
      return [
        {
          action: 'trigger',
          key: dedup === 'check' && checkKey ? checkKey : `watchkeeper:incident:${n.incident?.id ?? 0}`,
        },
      ]
    }

    case 'connectivity-lost': {
      return [{action: 'trigger', key: `watchkeeper:connectivity:${instance}`}]
    }

    case 'connectivity-restored': {
      return [{action: 'resolve', key: `watchkeeper:connectivity:${instance}`}]
    }

    case 'posture-regression': {
      return n.check ? [{action: 'trigger', key: `watchkeeper:posture:${n.check.id}`}] : []
    }

    case 'test': {
      const key = `watchkeeper:test:${instance}:${n.at}`
      return [
        {action: 'trigger', key},
        {action: 'resolve', key},
      ]
    }

    default: {
      return []
    }
  }
}

/** Pagers take no maintenance notices (those are for people reading a channel), nor messages that change no alert. */
export function pagerAccepts(settings: {dedup: Dedup}, n: Notification): boolean {
  return alertActions(n, settings.dedup).length > 0
}
