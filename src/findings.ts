import type {Severity} from './types.js'

/** A kind of finding: its stable id, default severity, the criterion that raises it and where that comes from. */
export interface FindingDef {
  id: string
  severity: Severity
  criterion: string
  reference: string
}

/**
 * Every finding id watchkeeper can report. Ids are stable, dotted and lower-case; the README lists them
 * (generated from this table). Probes raise findings with `finding(id, message)`.
 */
export const FINDINGS: readonly FindingDef[] = [
]

const BY_ID = new Map(FINDINGS.map((f) => [f.id, f]))

export function findingDef(id: string): FindingDef | undefined {
  return BY_ID.get(id)
}

/** A finding of a registered id with its default severity (or an override). Unknown ids throw: register them above. */
export function finding(id: string, message: string, severity?: Severity): {id: string; severity: Severity; message: string} {
  const def = BY_ID.get(id)
  if (!def) throw new Error(`unregistered finding id ${id}`)
  return {id, severity: severity ?? def.severity, message}
}
