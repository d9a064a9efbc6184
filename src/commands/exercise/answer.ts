import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {answerInject, parseExerciseId} from '../../exercises/service.js'
import {actorFlag, actorName} from '../../incidents/terminal/flags.js'

export default class ExerciseAnswer extends BaseCommand<typeof ExerciseAnswer> {
  static override summary =
    'Answer an inject of an exercise (a question, or a response to any inject), recorded with who and when'
  static override examples = [
    '<%= config.bin %> exercise answer 2 press --text "Holding statement issued via the status page" --actor "Casey Comms"',
  ]
  static override args = {
    id: Args.string({description: 'exercise id', required: true}),
    inject: Args.string({description: 'inject id', required: true}),
  }
  static override flags = {text: Flags.string({char: 't', description: 'the answer', required: true}), actor: actorFlag}

  async run(): Promise<{exercise: number; inject: string}> {
    const id = parseExerciseId(this.args.id)
    answerInject(this.openDb(), id, this.args.inject, this.flags.text, actorName(this.flags.actor), Date.now())
    this.note(`Recorded the answer to ${this.args.inject}.`)
    return {exercise: id, inject: this.args.inject}
  }
}
