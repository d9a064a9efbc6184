import type {Migration} from './index.js'

/**
 * The notification outbox: an undelivered message keeps its row (and body) with the time of its next attempt
 * and the time it expires, so retries survive restarts. New statuses: expired (given up) and held (a
 * maintenance window covered it). SQLite cannot widen a CHECK in place, so the table is rebuilt.
 */
export const outboxMigration: Migration = {
  version: 6,
  name: 'notification outbox: next attempt, expiry, expired and held deliveries',
  up: `
    CREATE TABLE notifications_new (
      id              INTEGER PRIMARY KEY,
      created_at      INTEGER NOT NULL,
      notifier        TEXT NOT NULL,
      provider        TEXT NOT NULL,
      event           TEXT NOT NULL,
      check_id        TEXT,
      subject         TEXT NOT NULL,
      dedup_key       TEXT NOT NULL,
      status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'expired', 'suppressed', 'held')),
      attempts        INTEGER NOT NULL DEFAULT 0,
      http_status     INTEGER,
      error           TEXT,
      message         TEXT NOT NULL,
      body            TEXT,
      finished_at     INTEGER,
      next_attempt_at INTEGER,
      last_attempt_at INTEGER,
      expires_at      INTEGER
    );
    INSERT INTO notifications_new (id, created_at, notifier, provider, event, check_id, subject, dedup_key, status, attempts, http_status, error,
      message, body, finished_at, next_attempt_at, expires_at)
      SELECT id, created_at, notifier, provider, event, check_id, subject, dedup_key, status, attempts, http_status, error, message, body, finished_at,
        CASE WHEN status = 'pending' THEN created_at END, CASE WHEN status = 'pending' THEN created_at + 86400000 END
      FROM notifications;
    DROP TABLE notifications;
    ALTER TABLE notifications_new RENAME TO notifications;
    CREATE INDEX notifications_subject ON notifications(notifier, subject, id);
    CREATE INDEX notifications_created ON notifications(created_at);
    CREATE INDEX notifications_pending ON notifications(status, notifier, id) WHERE status = 'pending';
  `,
}
