import type {Migration} from './index.js'

export const resultsMigration: Migration = {
  version: 1,
  name: 'checks, runs and results',
  up: `
    CREATE TABLE checks (
      id          INTEGER PRIMARY KEY,
      check_id    TEXT NOT NULL UNIQUE,
      kind        TEXT NOT NULL,
      target      TEXT NOT NULL,
      name        TEXT,
      service     TEXT,
      tier        TEXT,
      first_seen  INTEGER NOT NULL,
      last_seen   INTEGER NOT NULL
    );
    CREATE TABLE runs (
      id          INTEGER PRIMARY KEY,
      source      TEXT NOT NULL,
      started_at  INTEGER NOT NULL,
      finished_at INTEGER
    );
    -- One row per check execution. Times are epoch ms, status is 0 ok, 1 warn, 2 crit, 3 unknown.
    -- details is JSON {findings, metrics, details} and is NULL when there is nothing beyond the columns.
    CREATE TABLE results (
      id          INTEGER PRIMARY KEY,
      check_ref   INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
      run_id      INTEGER REFERENCES runs(id) ON DELETE SET NULL,
      ts          INTEGER NOT NULL,
      status      INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL,
      dns_ms      INTEGER,
      connect_ms  INTEGER,
      tls_ms      INTEGER,
      ttfb_ms     INTEGER,
      attempts    INTEGER NOT NULL DEFAULT 1,
      summary     TEXT NOT NULL,
      details     TEXT
    );
    CREATE INDEX results_check_ts ON results(check_ref, ts);
    CREATE INDEX results_ts ON results(ts);
    CREATE INDEX results_run ON results(run_id);
  `,
}
