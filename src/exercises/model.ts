/** The shape of a validated exercise scenario (format watchkeeper-exercise/1). */
import type {ScenarioFile} from './schema.js'

/** A service of the simulated estate. */
export type EstateService = ScenarioFile['estate'][number]

/** One inject of the timeline, by kind. */
export type Inject = ScenarioFile['injects'][number]

export type Participant = ScenarioFile['participants'][number]

/** A validated scenario, and where it was loaded from. */
export type Scenario = ScenarioFile & {file: string}

/** Roles anyone may take in an exercise besides the playbook's. */
export const EXERCISE_ROLES = ['facilitator', 'observer', 'ic', 'scribe', 'deputy']

/** The check ids the estate is watched by. */
export function checkIdsOf(s: EstateService): string[] {
  switch (s.kind) {
    case 'api': {
      return [`exercise.${s.id}.ping`]
    }

    case 'website': {
      return [`exercise.${s.id}.http`, `exercise.${s.id}.tls`]
    }

    case 'mail-domain': {
      return [`exercise.${s.id}.dmarc`, `exercise.${s.id}.mx`]
    }
  }
}
