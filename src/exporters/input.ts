import type {TimelineEvent} from '../incidents/chain.js'
import type {ClockDef} from '../incidents/clocks.js'
import type {IncidentSummary} from '../incidents/service.js'
import type {Playbook} from '../playbooks/model.js'
import type {StoredResult} from '../store/results.js'

/** Everything an exporter needs, gathered by gatherExport; exporters do no I/O. */
export interface ExportInput {
  summary: IncidentSummary
  events: TimelineEvent[]
  playbook?: Playbook
  /** Definitions of the clocks the playbook's steps name (for the CACAO extension). */
  clockDefs?: ClockDef[]
  /** Results of the linked checks over the incident window, oldest first. */
  results: StoredResult[]
  window: {from: number; to: number}
  now: number
}
