import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {DefinitionError} from '../../errors.js'
import {exerciseDir, validateExercises} from '../../exercises/load.js'

export default class ExerciseValidate extends BaseCommand<typeof ExerciseValidate> {
  static override summary =
    'Validate exercise scenarios: schema, estate, injects, and the playbook, roles and clocks they name'
  static override description =
    'Reports every problem at once as file:line:col with the key path (unknown keys with a "did you mean"), and exits 2 when there is any.'
  static override examples = [
    '<%= config.bin %> exercise validate',
    '<%= config.bin %> exercise validate our-drill.yaml --playbooks ./our-playbooks',
  ]
  static override args = {
    path: Args.string({
      description: 'file or folder [default: --exercises, $WATCHKEEPER_EXERCISES or the shipped exercises/]',
    }),
  }
  static override flags = {
    exercises: Flags.string({description: 'folder of scenarios [env: WATCHKEEPER_EXERCISES]'}),
    playbooks: Flags.string({
      description:
        'folder that playbook ids are looked up in [env: WATCHKEEPER_PLAYBOOKS; default: the shipped playbooks/]',
    }),
  }

  async run(): Promise<{files: string[]; scenarios: {id: string; file: string; playbook: string; injects: number}[]}> {
    const {scenarios, files, problems} = validateExercises([this.args.path ?? exerciseDir(this.flags.exercises)], {
      playbooks: this.flags.playbooks,
    })
    if (problems.length > 0) throw new DefinitionError(problems, 'exercise')
    if (!this.jsonEnabled())
      for (const {scenario: s} of scenarios)
        this.log(
          `${chalk.green('ok')} ${s.id} ${chalk.dim(`(${s.injects.length} injects, playbook ${s.playbook}, ${s.file})`)}`,
        )
    return {
      files,
      scenarios: scenarios.map(({scenario: s}) => ({
        id: s.id,
        file: s.file,
        playbook: s.playbook,
        injects: s.injects.length,
      })),
    }
  }
}
