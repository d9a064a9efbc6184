import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {parseExerciseId, recordAction} from '../../exercises/service.js'
import {actorFlag, actorName} from '../../incidents/terminal/flags.js'

export default class ExerciseAction extends BaseCommand<typeof ExerciseAction> {
  static override summary =
    'Record a lessons-learned action from the debrief: what, who owns it, when it is due (CAF D2.b)'
  static override examples = [
    '<%= config.bin %> exercise action 2 --text "Add the DSPT status to the watched catalogue" --owner "Priya Engineer" --due 2027-01-31',
  ]
  static override args = {id: Args.string({description: 'exercise id', required: true})}
  static override flags = {
    text: Flags.string({char: 't', description: 'the action', required: true}),
    owner: Flags.string({description: 'who owns it', required: true}),
    due: Flags.string({description: 'due date, YYYY-MM-DD', required: true}),
    caf: Flags.string({description: 'the CAF outcome it serves [default: D2.b]'}),
    actor: actorFlag,
  }

  async run(): Promise<{exercise: number; text: string; owner: string; due: string}> {
    const id = parseExerciseId(this.args.id)
    const {text, owner, due, caf} = this.flags
    recordAction(this.openDb(), id, {text, owner, due, caf}, actorName(this.flags.actor), Date.now())
    this.note(`Recorded the action for ${owner}, due ${due}.`)
    return {exercise: id, text, owner, due}
  }
}
