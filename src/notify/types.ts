import type {NotifierProvider} from './providers/provider.js'

/** Events a notifier can be limited to. */
export const NOTIFY_EVENTS = [
  'failing',
  'degraded',
  'recovered',
  'flapping',
  'incident',
  'connectivity',
  'posture',
  'maintenance',
  'undelivered',
] as const

/** The event groups a notifier can be limited to (`events:` in a notifier). */
export type NotifyCategory = (typeof NOTIFY_EVENTS)[number]

export type NotificationEvent =
  | 'failing'
  | 'degraded'
  | 'recovered'
  | 'reminder'
  | 'flapping'
  | 'stable'
  | 'incident-opened'
  | 'incident-updated'
  | 'connectivity-lost'
  | 'connectivity-restored'
  | 'posture-regression'
  | 'maintenance-started'
  | 'maintenance-ended'
  | 'undelivered'
  | 'test'

/** What is told to people: provider-neutral; each provider shapes it into its own payload. */
export interface Notification {
  event: NotificationEvent
  /** One short line, e.g. "FAILING: NHS login authorize endpoint". */
  title: string
  /** A sentence or two of detail. */
  text: string
  /** Colour and urgency: crit (red), warn (amber), ok (green), info. */
  severity: 'crit' | 'warn' | 'ok' | 'info'
  /** Epoch ms the event happened. */
  at: number
  check?: {id: string; name: string; service?: string; tier?: string; target: string; state?: string; previous?: string}
  incident?: {id: number; title: string; severity?: string}
  /** How long the check was down (recoveries). */
  outageMs?: number
  /** The command that takes up an incident, e.g. "watchkeeper incident respond 7". */
  respond?: string
  /** The check's runbook (a URL or a document name). */
  runbook?: string
  /** The window a maintenance notice is about. */
  maintenance?: {name: string; checks: string[]; until?: string; held?: number}
  resultId?: number
  /** The watchkeeper instance (host name, or --instance), so a fleet's messages can be told apart. */
  instance?: string
}

/** A notifier from the catalogue's `notifiers:` section, its secrets resolved from the environment. */
export interface NotifierConfig {
  name: string
  type: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  provider: NotifierProvider<any>
  /** The provider's settings. Secret parts: never logged, stored or shown. */
  settings: unknown
  /** Where the secrets come from (safe to show), e.g. "${env:SLACK_URL}". */
  from: string
  /** Categories sent; null sends all. */
  events: Set<NotifyCategory> | null
  minIntervalMs: number
  /** Extra attempts in a row before the message waits in the outbox. */
  retries: number
  /** Wait before the first retry; doubles per attempt (undefined: the dispatcher's default, 1 s). */
  backoffMs?: number
  timeoutMs: number
  /** A message not delivered this long after it was raised is given up and reported as expired. */
  expireMs: number
}

export const DEFAULT_MIN_INTERVAL_MS = 5 * 60_000
export const DEFAULT_NOTIFY_RETRIES = 3
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000
export const DEFAULT_NOTIFY_EXPIRE_MS = 24 * 3_600_000

export function categoryOf(event: NotificationEvent): NotifyCategory | 'test' {
  switch (event) {
    case 'failing':
    case 'reminder': {
      return 'failing'
    }

    case 'degraded': {
      return 'degraded'
    }

    case 'recovered': {
      return 'recovered'
    }

    case 'flapping':
    case 'stable': {
      return 'flapping'
    }

    case 'incident-opened':
    case 'incident-updated': {
      return 'incident'
    }

    case 'connectivity-lost':
    case 'connectivity-restored': {
      return 'connectivity'
    }

    case 'posture-regression': {
      return 'posture'
    }

    case 'maintenance-started':
    case 'maintenance-ended': {
      return 'maintenance'
    }

    case 'undelivered': {
      return 'undelivered'
    }

    default: {
      return 'test'
    }
  }
}
