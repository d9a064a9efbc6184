import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {cataloguePaths, validateCatalogue} from '../../catalogue/load.js'
import {DefinitionError, type Problem} from '../../errors.js'
import {buildWatchConfig} from '../../monitor/watch-config.js'
import {sortProblems} from '../../util/yaml-schema.js'

interface ValidateResult {
  valid: boolean
  files: string[]
  checks: number
  disabled: {id: string; reason: string}[]
  problems: Problem[]
}

export default class CheckValidate extends BaseCommand<typeof CheckValidate> {
  static override summary = 'Validate catalogue files and report every problem at once'
  static override usesDatabase = false
  static override description =
    'Parses every file, checks it against the schema (unknown keys are errors, with "did you mean"), checks ids are unique across files, that referenced environment variables are set, and what `watch` reads: cron schedules, time zones, notifiers, maintenance windows, playbook references. Exits 0 when valid, 2 otherwise.'
  static override examples = [
    '<%= config.bin %> check validate',
    '<%= config.bin %> check validate --checks checks/ --json',
  ]
  static override flags = {
    checks: Flags.string({
      char: 'c',
      description: 'catalogue file or folder (repeatable) [env: WATCHKEEPER_CHECKS; default: the shipped checks/]',
      multiple: true,
    }),
  }

  async run(): Promise<ValidateResult> {
    const paths = cataloguePaths(this.flags.checks)
    const validated = validateCatalogue(paths)
    const {catalogue} = validated
    let {problems} = validated
    // What only `watch` reads (schedules, time zones, notifiers, maintenance windows, playbooks) is checked too.
    if (catalogue) problems = sortProblems(buildWatchConfig(catalogue).problems)
    if (!catalogue || problems.length > 0) {
      if (!this.jsonEnabled()) throw new DefinitionError(problems, 'catalogue')
      process.exitCode = 2
      return {valid: false, files: paths, checks: 0, disabled: [], problems}
    }

    const disabled = catalogue.checks
      .filter((c) => !c.enabled)
      .map((c) => ({id: c.id, reason: c.disabledReason ?? 'disabled'}))
    this.log(
      `${chalk.green('valid:')} ${catalogue.checks.length} checks in ${catalogue.files.length} file${catalogue.files.length === 1 ? '' : 's'}` +
        (disabled.length > 0 ? `, ${disabled.length} disabled` : ''),
    )
    for (const d of disabled) this.log(chalk.dim(`  ${d.id}: ${d.reason}`))
    return {valid: true, files: catalogue.files, checks: catalogue.checks.length, disabled, problems: []}
  }
}
