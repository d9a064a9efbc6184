import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {DefinitionError, type Problem} from '../../errors.js'
import {playbookDir, validatePlaybooks} from '../../playbooks/load.js'

export default class PlaybookValidate extends BaseCommand<typeof PlaybookValidate> {
  static override summary = 'Validate playbook files: schema, step graph, variables, roles and clocks'
  static override usesDatabase = false
  static override description =
    'Reports every problem at once as file:line:col and exits 2 when there is any: unknown keys and step ids, unreachable steps, steps the walk could never leave (a self-loop or a closed cycle), loops whose body cannot change their condition, clocks started but never stopped, bad conditions. A schema error does not hide the graph problems. A review_by date that has passed is a warning (exit 0).'
  static override examples = [
    '<%= config.bin %> playbook validate playbooks',
    '<%= config.bin %> playbook validate my-playbook.yaml',
  ]
  static override args = {
    path: Args.string({
      description: 'file or folder [default: --playbooks, $WATCHKEEPER_PLAYBOOKS or the shipped playbooks/]',
    }),
  }
  static override flags = {playbooks: Flags.string({description: 'folder of playbooks', hidden: true})}

  async run(): Promise<{
    files: string[]
    playbooks: {id: string; file: string; steps: number; reviewBy: string | null}[]
    warnings: Problem[]
  }> {
    const {playbooks, files, problems, warnings} = validatePlaybooks([
      this.args.path ?? playbookDir(this.flags.playbooks),
    ])
    if (!this.jsonEnabled())
      for (const w of warnings)
        this.note(`${chalk.yellow('warning:')} ${w.file}:${w.line}:${w.col} ${w.path}: ${w.message}`)
    if (problems.length > 0) throw new DefinitionError(problems, 'playbook')
    if (!this.jsonEnabled())
      for (const p of playbooks)
        this.log(`${chalk.green('ok')} ${p.id} ${chalk.dim(`(${p.steps.length} steps, ${p.file})`)}`)
    return {
      files,
      playbooks: playbooks.map((p) => ({id: p.id, file: p.file, steps: p.steps.length, reviewBy: p.review_by ?? null})),
      warnings,
    }
  }
}
