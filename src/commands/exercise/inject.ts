import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {parseExerciseId, releaseNext} from '../../exercises/service.js'

export default class ExerciseInject extends BaseCommand<typeof ExerciseInject> {
  static override summary =
    'Release the next inject of a running exercise (one run with --manual, or ahead of its time)'
  static override description =
    "The running `exercise run` picks the request up within a second and shows it on the facilitator's terminal. Injects go out in order; naming one that is not next is refused."
  static override examples = [
    '<%= config.bin %> exercise inject 2',
    '<%= config.bin %> exercise inject 2 next',
    '<%= config.bin %> exercise inject 2 ransom-note',
  ]
  static override args = {
    id: Args.string({description: 'exercise id', required: true}),
    inject: Args.string({description: 'next, or the id of the next inject', default: 'next'}),
  }

  async run(): Promise<{exercise: number; inject: string; requests: number}> {
    const id = parseExerciseId(this.args.id)
    const r = releaseNext(this.openDb(), id, this.args.inject)
    this.note(`Asked exercise ${id} to release ${r.inject}.`)
    return {exercise: id, ...r}
  }
}
