import type {Catalogue} from '../catalogue/load.js'
import type {NotifierConfig} from './types.js'

/** One notifier as `notify list` shows it: never a URL or key, only where they come from. */
export interface NotifierRow {
  name: string
  type: string
  /** Where its secrets come from, e.g. ${env:SLACK_URL}. */
  from: string
  events: string[] | 'all'
  minIntervalSeconds: number
  retries: number
  /** False when it cannot be used (an unset variable…); the loader's problems say why. */
  ready: boolean
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Every notifier of the catalogue: those loaded, then those declared that could not be. */
export function notifierRows(catalogue: Catalogue, loaded: ReadonlyMap<string, NotifierConfig>): NotifierRow[] {
  const rows: NotifierRow[] = [...loaded.values()].map((n) => ({
    name: n.name,
    type: n.type,
    from: n.from,
    events: n.events ? [...n.events] : 'all',
    minIntervalSeconds: n.minIntervalMs / 1000,
    retries: n.retries,
    ready: true,
  }))
  for (const {value} of catalogue.sections.get('notifiers') ?? []) {
    if (!isRecord(value)) continue
    for (const [name, raw] of Object.entries(value)) {
      if (!loaded.has(name))
        rows.push({
          name,
          type: String(isRecord(raw) ? raw.type : undefined),
          from: '-',
          events: 'all',
          minIntervalSeconds: 0,
          retries: 0,
          ready: false,
        })
    }
  }

  return rows
}
