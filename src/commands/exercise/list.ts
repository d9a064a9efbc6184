import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {DefinitionError} from '../../errors.js'
import {exerciseDir, validateExercises} from '../../exercises/load.js'
import {EXERCISE_TYPES} from '../../exercises/schema.js'
import {renderTable} from '../../ui/table.js'

export default class ExerciseList extends BaseCommand<typeof ExerciseList> {
  static override summary = 'List the exercise scenarios: EPRR type, playbook, compression and injects'
  static override examples = [
    '<%= config.bin %> exercise list',
    '<%= config.bin %> exercise list --exercises ./our-exercises --json',
  ]
  static override flags = {
    exercises: Flags.string({
      description: 'folder of scenarios [env: WATCHKEEPER_EXERCISES; default: the shipped exercises/]',
    }),
    playbooks: Flags.string({description: 'folder that playbook ids are looked up in [env: WATCHKEEPER_PLAYBOOKS]'}),
  }

  async run(): Promise<{scenarios: unknown[]}> {
    const {scenarios, problems} = validateExercises([exerciseDir(this.flags.exercises)], {
      playbooks: this.flags.playbooks,
    })
    if (problems.length > 0) throw new DefinitionError(problems, 'exercise')
    const rows = scenarios.map(({scenario: s}) => ({
      id: s.id,
      title: s.title,
      type: s.exercise_type,
      eprr: EXERCISE_TYPES[s.exercise_type],
      playbook: s.playbook,
      compression: s.compression,
      duration: s.duration,
      injects: s.injects.length,
      services: s.estate.length,
      file: s.file,
    }))
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['ID', 'TYPE', 'PLAYBOOK', 'COMPRESSION', 'INJECTS', 'TITLE'],
          rows.map((r) => [r.id, r.type, r.playbook, `${r.compression}×`, String(r.injects), r.title]),
        ),
      )
    }

    return {scenarios: rows}
  }
}
