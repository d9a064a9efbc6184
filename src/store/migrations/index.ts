import type Database from 'better-sqlite3'

import {resultsMigration} from './001-results.js'
import {incidentsMigration} from './002-incidents.js'
import {rollupsMigration} from './003-rollups.js'
import {postureMigration} from './004-posture.js'
import {monitorMigration} from './005-monitor.js'

export interface Migration {
  version: number
  name: string
  up: string | ((db: Database.Database) => void)
}

/**
 * Every migration, one file each. Numbers are fixed once released:
 * 1 results (checks wing), 2 incidents (incidents wing), 3 monitor state/rollups/notifications (watch wing),
 * 4 posture (security wing). New ones take the next free number.
 */
export const MIGRATIONS: readonly Migration[] = [resultsMigration, incidentsMigration, rollupsMigration, postureMigration, monitorMigration]
