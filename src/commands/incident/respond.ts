import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import type {WalkResult} from '../../playbooks/engine.js'
import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {clockRegistry, userClockPaths} from '../../incidents/clock-load.js'
import {parseIncidentId} from '../../incidents/service.js'
import {actorFlag, actorName, clocksFlag} from '../../incidents/terminal/flags.js'
import {PromptResponder} from '../../incidents/terminal/prompt-responder.js'
import {commandResultLines} from '../../incidents/terminal/render.js'
import {respond} from '../../incidents/walk.js'
import {AnswersResponder, readAnswers} from '../../playbooks/answers.js'

export default class IncidentRespond extends BaseCommand<typeof IncidentRespond> {
  static override summary = "Walk the incident's playbook: each step, its owner, checklist and the clocks' time left"
  static override description = `Every answer is written to the timeline as it is given. Quit at any prompt (Ctrl-C) and run the command again, here or on another terminal, to resume exactly where the walk stopped. Commands are shown in full and run only after you type "yes", never through a shell.

With --answers FILE the same engine runs from a YAML/JSON file of answers by step id (see docs/incidents.md); it exits 1 if the answers run out before the walk ends.`
  static override examples = [
    '<%= config.bin %> incident respond 3',
    '<%= config.bin %> incident respond 3 --answers answers.yaml --json',
  ]
  static override args = {id: Args.string({description: 'incident id', required: true})}
  static override flags = {
    answers: Flags.string({char: 'a', description: 'answers file (YAML or JSON), for scripts'}),
    clocks: clocksFlag,
    actor: actorFlag,
  }

  async run(): Promise<WalkResult & {incident: number}> {
    const id = parseIncidentId(this.args.id)
    const answers = this.flags.answers ? readAnswers(this.flags.answers) : undefined
    if (!answers && !process.stdin.isTTY) {
      throw new UserError('An interactive walk needs a terminal.', {
        hint: 'Use --answers FILE, or `watchkeeper incident step ID STEP --done`.',
        code: 'E_NO_TTY',
        exit: 2,
      })
    }

    const responder = answers
      ? new AnswersResponder(answers, {onCommandRan: (p) => this.note(commandResultLines(p.data).join('\n'))})
      : new PromptResponder()
    const result = await respond(this.openDb(), id, {
      actor: actorName(this.flags.actor),
      responder,
      clocks: clockRegistry(userClockPaths(this.flags.clocks)),
    })
    if (result.status === 'ended') this.note(chalk.green(`The walk of incident ${id} has reached its end.`))
    else {
      this.note(
        `${chalk.yellow('Stopped')} at ${result.at.join(', ')}: ${result.reason}. Resume with: watchkeeper incident respond ${id}`,
      )
      process.exitCode = answers ? 1 : 130
    }

    return {incident: id, ...result}
  }
}
