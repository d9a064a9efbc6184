import type {Migration} from './index.js'

export const monitorMigration: Migration = {
  version: 5,
  name: 'monitor state, state events, notification deliveries',
  up: `
    -- One row per watched check: the state machine of src/monitor/evaluator.ts. Times are epoch ms.
    CREATE TABLE monitor_state (
      check_id       TEXT PRIMARY KEY,
      state          TEXT NOT NULL,
      since          INTEGER NOT NULL,
      bad_streak     INTEGER NOT NULL DEFAULT 0,
      not_ok_streak  INTEGER NOT NULL DEFAULT 0,
      ok_streak      INTEGER NOT NULL DEFAULT 0,
      pass_streak    INTEGER NOT NULL DEFAULT 0,
      bad_since      INTEGER,
      last_status    INTEGER,
      last_result_id INTEGER,
      last_ts        INTEGER,
      alerted        TEXT,
      alerted_at     INTEGER,
      flapping       INTEGER NOT NULL DEFAULT 0,
      changes        TEXT NOT NULL DEFAULT '[]',
      incident_id    INTEGER,
      updated_at     INTEGER NOT NULL
    );
    -- State changes and announcements, append-only; suppressed names why nothing was sent (maintenance…).
    CREATE TABLE monitor_events (
      id          INTEGER PRIMARY KEY,
      check_id    TEXT NOT NULL,
      ts          INTEGER NOT NULL,
      kind        TEXT NOT NULL,
      state       TEXT,
      previous    TEXT,
      result_id   INTEGER,
      message     TEXT NOT NULL,
      suppressed  TEXT
    );
    CREATE INDEX monitor_events_check_ts ON monitor_events(check_id, ts);
    -- Notification deliveries; body is the notification as JSON, kept until sent so a restart can resend it.
    -- Never holds a webhook URL.
    CREATE TABLE notifications (
      id           INTEGER PRIMARY KEY,
      created_at   INTEGER NOT NULL,
      notifier     TEXT NOT NULL,
      provider     TEXT NOT NULL,
      event        TEXT NOT NULL,
      check_id     TEXT,
      subject      TEXT NOT NULL,
      dedup_key    TEXT NOT NULL,
      status       TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'suppressed')),
      attempts     INTEGER NOT NULL DEFAULT 0,
      http_status  INTEGER,
      error        TEXT,
      message      TEXT NOT NULL,
      body         TEXT,
      finished_at  INTEGER
    );
    CREATE INDEX notifications_subject ON notifications(notifier, subject, id);
    CREATE INDEX notifications_created ON notifications(created_at);
    -- Watch-wide facts that must survive a restart (e.g. the probe-connectivity alert).
    CREATE TABLE watch_meta (
      key        TEXT PRIMARY KEY,
      value      TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `,
}
