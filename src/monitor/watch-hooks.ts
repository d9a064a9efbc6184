import type {DB} from '../store/db.js'
import {pruneOnce, type RetentionPolicy} from '../store/maintenance.js'
import type {WatchHooks} from './watch.js'

/** Wires `watch` to the other wings: retention now; incidents, clocks and posture as they land. */
export function watchHooks(opts: {retention?: RetentionPolicy}): WatchHooks & {metricSources: (db: DB) => {openIncidents?: () => number}} {
  const hooks: WatchHooks = {}
  if (opts.retention) {
    const policy = opts.retention
    hooks.prune = (db, now) => pruneOnce(db, now, policy)
  }
  return {...hooks, metricSources: () => ({})}
}
