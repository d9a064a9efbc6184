import type {DB} from './db.js'

/** One Alertmanager alert group and the incident it opened (or was attached to). */
export interface FleetGroupRow {
  id: number
  groupKey: string
  incidentId: number
  receiver: string
  status: 'firing' | 'resolved'
  firstSeenAt: number
  lastSeenAt: number
  deliveries: number
  /** Hash of what the last delivery said, to tell a plain redelivery from news. */
  digest: string
  /** Every alert seen in this episode of the group (`fingerprint@startsAt`) with its last status and content hash. */
  alerts: Record<string, string>
}

interface RawGroup {
  id: number
  group_key: string
  incident_id: number
  receiver: string
  status: 'firing' | 'resolved'
  first_seen_at: number
  last_seen_at: number
  deliveries: number
  digest: string
  alert_keys: string
}

function toRow(r: RawGroup): FleetGroupRow {
  return {
    id: r.id,
    groupKey: r.group_key,
    incidentId: r.incident_id,
    receiver: r.receiver,
    status: r.status,
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    deliveries: r.deliveries,
    digest: r.digest,
    alerts: JSON.parse(r.alert_keys) as Record<string, string>,
  }
}

/** The newest row of an alert group, if it was ever seen. */
export function latestFleetGroup(db: DB, groupKey: string): FleetGroupRow | undefined {
  const r = db
    .prepare<[string], RawGroup>('SELECT * FROM fleet_alert_groups WHERE group_key = ? ORDER BY id DESC LIMIT 1')
    .get(groupKey)
  return r ? toRow(r) : undefined
}

export function insertFleetGroup(db: DB, g: Omit<FleetGroupRow, 'id' | 'deliveries' | 'lastSeenAt'>): number {
  const r = db
    .prepare(
      `INSERT INTO fleet_alert_groups (group_key, incident_id, receiver, status, first_seen_at, last_seen_at, deliveries, digest, alert_keys)
    VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
    )
    .run(
      g.groupKey,
      g.incidentId,
      g.receiver,
      g.status,
      g.firstSeenAt,
      g.firstSeenAt,
      g.digest,
      JSON.stringify(g.alerts),
    )
  return Number(r.lastInsertRowid)
}

/** Records one more delivery of a group. */
export function recordFleetDelivery(
  db: DB,
  id: number,
  at: number,
  u: {status: 'firing' | 'resolved'; digest: string; alerts: Record<string, string>},
): void {
  db.prepare(
    'UPDATE fleet_alert_groups SET status = ?, digest = ?, alert_keys = ?, last_seen_at = ?, deliveries = deliveries + 1 WHERE id = ?',
  ).run(u.status, u.digest, JSON.stringify(u.alerts), at, id)
}

/** Every group row of an incident, oldest first. */
export function fleetGroupsOfIncident(db: DB, incidentId: number): FleetGroupRow[] {
  return db
    .prepare<[number], RawGroup>('SELECT * FROM fleet_alert_groups WHERE incident_id = ? ORDER BY id')
    .all(incidentId)
    .map(toRow)
}
