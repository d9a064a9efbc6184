import type {Migration} from './index.js'

/**
 * Security posture per result: grade/score and the finding ids, so `report posture` and `posture diff`
 * never parse results.details. One posture row per posture result (web-security, email-security, tls
 * with posture:), findings in their own table keyed by the posture row.
 */
export const postureMigration: Migration = {
  version: 4,
  name: 'security posture',
  up: `
    CREATE TABLE IF NOT EXISTS posture (
      id          INTEGER PRIMARY KEY,
      result_id   INTEGER NOT NULL UNIQUE REFERENCES results(id) ON DELETE CASCADE,
      check_ref   INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
      run_id      INTEGER REFERENCES runs(id) ON DELETE SET NULL,
      ts          INTEGER NOT NULL,
      status      INTEGER NOT NULL,
      -- 1 when the target was evaluated (status other than unknown); diffs compare evaluated rows only.
      evaluated   INTEGER NOT NULL,
      grade       TEXT,
      score       INTEGER
    );
    CREATE INDEX IF NOT EXISTS posture_check_ts ON posture(check_ref, ts);
    CREATE INDEX IF NOT EXISTS posture_run ON posture(run_id);
    CREATE TABLE IF NOT EXISTS posture_findings (
      posture_id  INTEGER NOT NULL REFERENCES posture(id) ON DELETE CASCADE,
      finding_id  TEXT NOT NULL,
      severity    TEXT NOT NULL,
      message     TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS posture_findings_row ON posture_findings(posture_id);
  `,
}
