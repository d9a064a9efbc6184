import type {JsonSchema} from '../probes/types.js'

/**
 * Keys the watch wing adds to every check (scheduling, thresholds, incidents) and to `defaults:`.
 * Kept here so the catalogue schema is assembled from the wings that read it.
 */
export const monitorCheckProperties: Record<string, JsonSchema> = {}

/** Top-level sections of a catalogue file besides `defaults` and `checks` (notifiers, maintenance…). */
export const monitorFileSections: Record<string, JsonSchema> = {}
