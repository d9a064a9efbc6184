import {BaseCommand} from '../../base-command.js'
import {exerciseRuns} from '../../exercises/service.js'
import {renderTable} from '../../ui/table.js'
import {isoTime} from '../../util/json-time.js'

export default class ExerciseRuns extends BaseCommand<typeof ExerciseRuns> {
  static override summary = 'List the exercises run against this database, newest first'
  static override examples = ['<%= config.bin %> exercise runs', '<%= config.bin %> exercise runs --json']

  async run(): Promise<{exercises: unknown[]}> {
    const rows = exerciseRuns(this.openDb({reader: true})).map((r) => ({
      id: r.id,
      scenario: r.scenarioId,
      title: r.title,
      compression: r.compression,
      state: r.state,
      startedAt: isoTime(r.startedAt),
      endedAt: r.endedAt === null ? null : isoTime(r.endedAt),
      incidentId: r.incidentId,
    }))
    if (!this.jsonEnabled()) {
      this.log(
        rows.length === 0
          ? 'No exercises.'
          : renderTable(
              ['ID', 'SCENARIO', 'STATE', 'STARTED', 'INCIDENT', 'TITLE'],
              rows.map((r) => [
                String(r.id),
                r.scenario,
                r.state,
                r.startedAt,
                r.incidentId === null ? '-' : String(r.incidentId),
                r.title,
              ]),
            ),
      )
    }

    return {exercises: rows}
  }
}
