import {Args} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {DefinitionError} from '../../errors.js'
import {userClockPaths, validateClocks} from '../../incidents/clock-load.js'
import {clocksFlag} from '../../incidents/terminal/flags.js'

export default class ClockValidate extends BaseCommand<typeof ClockValidate> {
  static override summary = 'Validate clock definition files: the shipped clocks/ and your own'
  static override usesDatabase = false
  static override description =
    'Reports every problem as file:line:col with the key path (unknown keys with a "did you mean"), and exits 2 when there is any.'
  static override examples = ['<%= config.bin %> clock validate', '<%= config.bin %> clock validate our-clocks.yaml']
  static override args = {
    path: Args.string({description: 'your clock file or folder [default: --clocks or $WATCHKEEPER_CLOCKS]'}),
  }
  static override flags = {clocks: clocksFlag}

  async run(): Promise<{files: string[]; clocks: string[]}> {
    const {defs, files, problems} = validateClocks(
      this.args.path ? [this.args.path] : userClockPaths(this.flags.clocks),
    )
    if (problems.length > 0) throw new DefinitionError(problems, 'clock')
    if (!this.jsonEnabled())
      this.log(`${chalk.green('ok')} ${defs.size} clocks ${chalk.dim(`(${files.length} files)`)}`)
    return {files, clocks: [...defs.keys()]}
  }
}
