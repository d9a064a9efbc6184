import type {Migration} from './index.js'

export const incidentsMigration: Migration = {
  version: 2,
  name: 'incidents and their hash-chained timeline',
  up: `
    -- The current summary of each incident; every change to it is also a timeline event.
    CREATE TABLE incidents (
      id            INTEGER PRIMARY KEY,
      title         TEXT NOT NULL,
      severity      TEXT NOT NULL,
      state         TEXT NOT NULL,
      service       TEXT,
      opened_at     INTEGER NOT NULL,
      updated_at    INTEGER NOT NULL,
      resolved_at   INTEGER,
      closed_at     INTEGER,
      -- The playbook as it was resolved when attached (JSON), so a walk resumes against what it started with.
      playbook_id   TEXT,
      playbook_json TEXT,
      playbook_sha256 TEXT
    );
    CREATE INDEX incidents_state ON incidents(state);
    CREATE INDEX incidents_opened ON incidents(opened_at);
    CREATE TABLE incident_checks (
      incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
      check_id    TEXT NOT NULL,
      PRIMARY KEY (incident_id, check_id)
    );
    -- Append-only; each row's hash is SHA-256 over its canonical content and the previous row's hash.
    CREATE TABLE timeline_events (
      incident_id INTEGER NOT NULL REFERENCES incidents(id),
      seq         INTEGER NOT NULL,
      occurred_at INTEGER NOT NULL,
      recorded_at INTEGER NOT NULL,
      actor       TEXT NOT NULL,
      type        TEXT NOT NULL,
      data        TEXT NOT NULL,
      prev_hash   TEXT NOT NULL,
      hash        TEXT NOT NULL,
      PRIMARY KEY (incident_id, seq)
    ) WITHOUT ROWID;
    CREATE TRIGGER timeline_events_no_update BEFORE UPDATE ON timeline_events
      BEGIN SELECT RAISE(ABORT, 'timeline events are append-only'); END;
    CREATE TRIGGER timeline_events_no_delete BEFORE DELETE ON timeline_events
      BEGIN SELECT RAISE(ABORT, 'timeline events are append-only'); END;
  `,
}
