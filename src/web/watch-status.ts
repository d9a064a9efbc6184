import {Flags} from '@oclif/core'

import type {WatchConfig} from '../monitor/watch-config.js'
import type {DB} from '../store/db.js'
import {UserError} from '../errors.js'
import {parseListenAddress, type Route} from '../metrics/server.js'
import {parseDuration} from '../util/duration.js'
import {statusRoutes} from './routes.js'
import {StatusSite, TOKEN_ENV} from './site.js'

/** watch's flags for the status page, badges and read API. */
export const statusFlags = {
  'status-page': Flags.boolean({
    description:
      'serve the status page, badges and read API (/, /checks/, /badge/, /api/v1/) on the --metrics listener',
    default: false,
  }),
  'status-listen': Flags.string({
    description:
      'serve the status page, badges and read API on their own address instead, e.g. 127.0.0.1:8080 (no /metrics there)',
  }),
  'status-title': Flags.string({description: 'heading of the status page', default: 'Service status'}),
  'status-refresh': Flags.string({
    description: 'how often the pages reload themselves (meta refresh); 0 for never',
    default: '60s',
  }),
  'status-rate': Flags.integer({
    description:
      'requests a second each client address may make to the status routes (bursts of 3×); over it: 429 with Retry-After',
    default: 10,
    min: 1,
    max: 10_000,
  }),
  'status-notes': Flags.boolean({
    description: `include incident notes in the incident details that holders of ${TOKEN_ENV} may read`,
    default: false,
  }),
}

export interface StatusFlagValues {
  metrics?: string
  'status-page': boolean
  'status-listen'?: string
  'status-title': string
  'status-refresh': string
  'status-rate': number
  'status-notes': boolean
}

/** The status routes the flags ask for, or undefined when neither --status-page nor --status-listen is given. */
export function statusRoutesFromFlags(
  db: DB,
  flags: StatusFlagValues,
  config: () => WatchConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Route[] | undefined {
  if (!flags['status-page'] && !flags['status-listen']) return undefined
  if (flags['status-page'] && !flags.metrics && !flags['status-listen']) {
    throw new UserError(
      '--status-page needs a listener: give --metrics HOST:PORT, or --status-listen HOST:PORT for a listener of its own.',
      {code: 'E_FLAG', exit: 2},
    )
  }

  if (flags['status-listen']) {
    try {
      parseListenAddress(flags['status-listen'])
    } catch {
      throw new UserError(`--status-listen ${flags['status-listen']}: expected host:port, e.g. 127.0.0.1:8080`, {
        code: 'E_FLAG',
        exit: 2,
      })
    }
  }

  const refresh = flags['status-refresh'] === '0' ? 0 : parseDuration(flags['status-refresh'])
  if (refresh === undefined || (refresh > 0 && refresh < 5000)) {
    throw new UserError(
      `--status-refresh ${flags['status-refresh']}: expected a duration of at least 5s, such as 60s, or 0`,
      {code: 'E_FLAG', exit: 2},
    )
  }

  const token = env[TOKEN_ENV] || undefined
  if (token !== undefined && token.length < 16)
    throw new UserError(`${TOKEN_ENV} is too short: use at least 16 characters (e.g. openssl rand -hex 32).`, {
      code: 'E_FLAG',
      exit: 2,
    })
  const site = new StatusSite(db, {
    title: flags['status-title'],
    refreshSeconds: refresh / 1000,
    notes: flags['status-notes'],
    tokenConfigured: token !== undefined,
    maintenance() {
      const c = config()
      return {windows: c?.maintenance ?? [], tags: new Map((c?.all ?? []).map((x) => [x.id, x.tags]))}
    },
  })
  // The watcher's cache is filled as soon as watch is idle, so even the first request pays only a rebuild; a
  // failure here is left for that request to report.
  setImmediate(() => {
    try {
      site.prime()
    } catch {}
  }).unref()
  return statusRoutes(site, {token, rate: flags['status-rate'], burst: flags['status-rate'] * 3})
}
