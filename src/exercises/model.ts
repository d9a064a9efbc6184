/** The shape of a validated exercise scenario (format watchkeeper-exercise/1). */
import type {ExerciseType, FaultKind} from './schema.js'

export interface EstateService {
  id: string
  kind: 'api' | 'website' | 'mail-domain'
  name: string
  service?: string
  host?: string
  base_path?: string
  domain?: string
  opens_incident?: boolean
}

interface InjectBase {
  id: string
  /** ISO 8601 offset in scenario time. */
  at: string
  text: string
  to?: string[]
}

export type Inject =
  | (InjectBase & {kind: 'message'})
  | (InjectBase & {kind: 'question'; expects?: string})
  | (InjectBase & {kind: 'alert'; reference?: string; severity?: string; starts_clock?: string})
  | (InjectBase & {kind: 'fault'; target: string; fault: FaultKind; delay?: string})
  | (InjectBase & {kind: 'recover'; target: string})

export interface Participant {
  name: string
  role: string
  organisation?: string
}

export interface Scenario {
  format: string
  id: string
  title: string
  description?: string
  exercise_type: ExerciseType
  playbook: string
  severity?: string
  compression: number
  duration: string
  sources: {title: string; url: string}[]
  participants: Participant[]
  notify?: string[]
  watch?: {interval?: string; timeout?: string; failures?: number}
  estate: EstateService[]
  injects: Inject[]
  expect?: {detect_within?: string; declare_within?: string; clocks?: Record<string, 'on_time' | 'not_required'>}
  /** Where it was loaded from. */
  file: string
}

/** Roles anyone may take in an exercise besides the playbook's. */
export const EXERCISE_ROLES = ['facilitator', 'observer', 'ic', 'scribe', 'deputy']

/** The check ids the estate is watched by. */
export function checkIdsOf(s: EstateService): string[] {
  switch (s.kind) {
    case 'api': return [`exercise.${s.id}.ping`]
    case 'website': return [`exercise.${s.id}.http`, `exercise.${s.id}.tls`]
    case 'mail-domain': return [`exercise.${s.id}.dmarc`, `exercise.${s.id}.mx`]
  }
}
