import type Database from 'better-sqlite3'

import {resultsMigration} from './001-results.js'
import {incidentsMigration} from './002-incidents.js'
import {rollupsMigration} from './003-rollups.js'
import {postureMigration} from './004-posture.js'
import {monitorMigration} from './005-monitor.js'
import {outboxMigration} from './006-outbox.js'
import {resultBlocksMigration} from './007-result-blocks.js'
import {exercisesMigration} from './008-exercises.js'
import {fleetMigration} from './009-fleet.js'

export interface Migration {
  version: number
  name: string
  up: string | ((db: Database.Database) => void)
}

/**
 * Every migration, one file each. Numbers are fixed once released: 1 results, 2 incidents, 3 rollups and
 * retention, 4 posture, 5 monitor state and notifications, 6 the notification outbox, 7 results in blocks and
 * vantages, 8 exercises, 9 fleet alert groups. New ones take the next free number.
 */
export const MIGRATIONS: readonly Migration[] = [
  resultsMigration,
  incidentsMigration,
  rollupsMigration,
  postureMigration,
  monitorMigration,
  outboxMigration,
  resultBlocksMigration,
  exercisesMigration,
  fleetMigration,
]
