import type {Migration} from './index.js'

/**
 * Exercises (drills against a simulated estate). An incident an exercise opened carries its exercise id, so no
 * real check, list or merge ever takes it for a real one. Events before the exercise incident opens wait in
 * exercise_log and are copied onto the incident's timeline (with their own times) when it opens.
 */
export const exercisesMigration: Migration = {
  version: 8,
  name: 'exercises: scenario runs, the exercise column of incidents, the pre-incident log',
  up: `
    CREATE TABLE exercises (
      id              INTEGER PRIMARY KEY,
      scenario_id     TEXT NOT NULL,
      title           TEXT NOT NULL,
      scenario_json   TEXT NOT NULL,
      scenario_sha256 TEXT NOT NULL,
      compression     REAL NOT NULL CHECK (compression >= 1),
      state           TEXT NOT NULL CHECK (state IN ('running', 'ended')),
      started_at      INTEGER NOT NULL,
      ended_at        INTEGER,
      incident_id     INTEGER REFERENCES incidents(id),
      -- Injects the facilitator asked to release by hand (exercise inject), counted.
      release_requests INTEGER NOT NULL DEFAULT 0
    );
    ALTER TABLE incidents ADD COLUMN exercise_id INTEGER REFERENCES exercises(id);
    CREATE INDEX incidents_exercise ON incidents(exercise_id);
    CREATE TABLE exercise_log (
      exercise_id INTEGER NOT NULL REFERENCES exercises(id),
      seq         INTEGER NOT NULL,
      occurred_at INTEGER NOT NULL,
      actor       TEXT NOT NULL,
      type        TEXT NOT NULL,
      data        TEXT NOT NULL,
      PRIMARY KEY (exercise_id, seq)
    ) WITHOUT ROWID;
  `,
}
