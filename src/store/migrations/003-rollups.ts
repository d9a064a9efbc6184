import type {Migration} from './index.js'
import {foldResults, prepareFold, STATUS_OF_CODE} from './frozen-rollups-3.js'

/**
 * Hourly and daily rollups per check, outages, and retention marks. Results stored before this
 * migration are folded into the rollups and outages here, so reports cover them too.
 */
export const rollupsMigration: Migration = {
  version: 3,
  name: 'rollups, outages and retention',
  up(db) {
    db.exec(`
      -- Per check and UTC hour. Counts per status; sum_ms, max_ms and hist (sparse log-bucket histogram,
      -- see src/store/migrations/frozen-rollups-3.ts) cover the latency of up (ok/warn) results only.
      CREATE TABLE rollup_hourly (
        hour_start INTEGER NOT NULL,
        check_ref  INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        ok         INTEGER NOT NULL,
        warn       INTEGER NOT NULL,
        crit       INTEGER NOT NULL,
        unknown    INTEGER NOT NULL,
        sum_ms     REAL NOT NULL,
        max_ms     REAL NOT NULL,
        hist       BLOB NOT NULL,
        PRIMARY KEY (hour_start, check_ref)
      ) WITHOUT ROWID;
      -- Per check and Europe/London calendar day (day_start is local midnight, epoch ms).
      CREATE TABLE rollup_daily (
        day_start  INTEGER NOT NULL,
        check_ref  INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        ok         INTEGER NOT NULL,
        warn       INTEGER NOT NULL,
        crit       INTEGER NOT NULL,
        unknown    INTEGER NOT NULL,
        sum_ms     REAL NOT NULL,
        max_ms     REAL NOT NULL,
        hist       BLOB NOT NULL,
        PRIMARY KEY (day_start, check_ref)
      ) WITHOUT ROWID;
      CREATE INDEX rollup_hourly_check ON rollup_hourly(check_ref);
      CREATE INDEX rollup_daily_check ON rollup_daily(check_ref);
      -- A run of down (crit) results: from the first down result to the first up result after it.
      CREATE TABLE outages (
        id           INTEGER PRIMARY KEY,
        check_ref    INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        started_at   INTEGER NOT NULL,
        last_down_at INTEGER NOT NULL,
        ended_at     INTEGER,
        down_results INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX outages_open ON outages(check_ref) WHERE ended_at IS NULL;
      CREATE INDEX outages_ended ON outages(ended_at);
      CREATE INDEX outages_check ON outages(check_ref, started_at);
      -- Time of the newest result folded into the outages, per check.
      CREATE TABLE rollup_cursor (
        check_ref INTEGER PRIMARY KEY REFERENCES checks(id) ON DELETE CASCADE,
        last_ts   INTEGER NOT NULL
      );
      -- Everything of a level (raw, hourly, daily) older than pruned_before has been deleted.
      CREATE TABLE retention_marks (
        level         TEXT PRIMARY KEY,
        pruned_before INTEGER NOT NULL
      );
    `)
    // Paged by key: a statement cannot write while another one is still iterating.
    const page = db
      .prepare<[number, number, number], [number, number, number, number, number]>(
        `SELECT check_ref, ts, id, status, duration_ms FROM results
      WHERE (check_ref, ts, id) > (?, ?, ?) ORDER BY check_ref, ts, id LIMIT 10000`,
      )
      .raw(true)
    const fold = prepareFold(db)
    let key: [number, number, number] = [-1, -1, -1]
    for (;;) {
      const rows = page.all(...key)
      if (rows.length === 0) break
      foldResults(
        db,
        rows.map(([checkRef, ts, , status, durationMs]) => ({
          checkRef,
          ts,
          status: STATUS_OF_CODE[status] ?? 'unknown',
          durationMs,
        })),
        fold,
      )
      const last = rows[rows.length - 1]
      key = [last[0], last[1], last[2]]
    }
  },
}
