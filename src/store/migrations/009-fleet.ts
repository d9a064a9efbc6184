import type {Migration} from './index.js'

/**
 * Alertmanager alert groups and the incident each opened: a redelivery of the same group (Alertmanager
 * delivers at least once) finds its incident here instead of opening a second. One row per group and
 * incident; a group that fires again after its incident ended gets a new row.
 */
export const fleetMigration: Migration = {
  version: 9,
  name: 'fleet alert groups from Alertmanager and their incidents',
  up: `
    CREATE TABLE fleet_alert_groups (
      id            INTEGER PRIMARY KEY,
      group_key     TEXT NOT NULL,
      incident_id   INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
      receiver      TEXT NOT NULL,
      status        TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
      first_seen_at INTEGER NOT NULL,
      last_seen_at  INTEGER NOT NULL,
      deliveries    INTEGER NOT NULL DEFAULT 1,
      digest        TEXT NOT NULL,
      alert_keys    TEXT NOT NULL
    );
    CREATE INDEX fleet_alert_groups_key ON fleet_alert_groups(group_key, id);
  `,
}
