import type {NOTIFY_EVENTS} from '../monitor/catalogue-schema.js'

/** The event groups a notifier can be limited to (`events:` in a notifier). */
export type NotifyCategory = (typeof NOTIFY_EVENTS)[number]

export type NotificationEvent =
  | 'failing' | 'degraded' | 'recovered' | 'reminder' | 'flapping' | 'stable'
  | 'incident-opened' | 'incident-updated'
  | 'connectivity-lost' | 'connectivity-restored'
  | 'posture-regression'
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
  check?: {id: string; name: string; service?: string; target: string; state?: string; previous?: string}
  incident?: {id: number; title: string; severity?: string}
  resultId?: number
  /** The watchkeeper instance (host name, or --instance), so a fleet's messages can be told apart. */
  instance?: string
}

export type ProviderType = 'webhook' | 'slack' | 'teams'

/** A notifier from the catalogue's `notifiers:` section, its URL resolved from the environment. */
export interface NotifierConfig {
  name: string
  type: ProviderType
  /** Secret: never logged, stored or shown. */
  url: string
  /** The variable the URL came from (safe to show). */
  urlEnv: string
  /** Categories sent; null sends all. */
  events: Set<NotifyCategory> | null
  minIntervalMs: number
  retries: number
  timeoutMs: number
}

export const DEFAULT_MIN_INTERVAL_MS = 5 * 60_000
export const DEFAULT_NOTIFY_RETRIES = 3
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000

export function categoryOf(event: NotificationEvent): NotifyCategory | 'test' {
  switch (event) {
    case 'failing':
    case 'reminder':
      return 'failing'
    case 'degraded':
      return 'degraded'
    case 'recovered':
      return 'recovered'
    case 'flapping':
    case 'stable':
      return 'flapping'
    case 'incident-opened':
    case 'incident-updated':
      return 'incident'
    case 'connectivity-lost':
    case 'connectivity-restored':
      return 'connectivity'
    case 'posture-regression':
      return 'posture'
    default:
      return 'test'
  }
}
