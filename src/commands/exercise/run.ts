import {Args, Flags} from '@oclif/core'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'

import type {NotifierConfig} from '../../notify/types.js'
import {BaseCommand} from '../../base-command.js'
import {cataloguePaths, validateCatalogue} from '../../catalogue/load.js'
import {DefinitionError} from '../../errors.js'
import {loadScenario} from '../../exercises/load.js'
import {ExerciseRun, type RunOutcome} from '../../exercises/run.js'
import {facilitatorLines} from '../../exercises/terminal/facilitator.js'
import {loadNotifiers} from '../../monitor/watch-config.js'

export default class ExerciseRunCommand extends BaseCommand<typeof ExerciseRunCommand> {
  static override summary =
    'Run an exercise: start the simulated estate, watch it with the real checks, release the injects, record it all as EXERCISE'
  static override description = `The facilitator's terminal shows each inject as it is released (on its time, compressed, or with --manual by Enter or \`exercise inject\`) and every timeline event with who did it. Participants walk the playbook in their own terminals with \`watchkeeper incident respond ID --actor NAME\` on the same database once the incident opens.

Everything is marked EXERCISE: the incident (kept out of \`incident list\` unless --exercise or --all, never merged with or attached to a real one), every timeline event, every export heading and every notification title. Only the notifiers the scenario names under notify: (test channels, from --checks) receive anything. Playbook command steps run only when marked exercise_safe: true.

The exercise ends when every inject is released and the walk has reached its end, when the scenario's duration has passed (compressed), or on Ctrl-C.`
  static override examples = [
    '<%= config.bin %> exercise run pathology-supplier-ransomware --db drill.db',
    '<%= config.bin %> exercise run national-endpoint-ddos --compression 600 --checks our-notifiers.yaml',
    '<%= config.bin %> exercise run cyber-alert-48h --manual',
  ]
  static override args = {
    scenario: Args.string({description: 'scenario id (in the exercises folder) or file', required: true}),
  }
  static override flags = {
    exercises: Flags.string({
      description: 'folder of scenarios [env: WATCHKEEPER_EXERCISES; default: the shipped exercises/]',
    }),
    playbooks: Flags.string({description: 'folder that playbook ids are looked up in [env: WATCHKEEPER_PLAYBOOKS]'}),
    checks: Flags.string({
      char: 'c',
      description: "catalogue file or folder whose notifiers: the scenario's test channels are taken from (repeatable)",
      multiple: true,
    }),
    compression: Flags.integer({
      description: "scenario time runs this many times faster than real time [default: the scenario's]",
      min: 1,
      max: 100_000,
    }),
    manual: Flags.boolean({
      description: 'release each inject by hand (Enter here, or `watchkeeper exercise inject ID` elsewhere)',
      default: false,
    }),
    dir: Flags.string({
      description:
        "folder for the exercise's files: its CA and the catalogue of estate checks [default: a new temporary folder]",
    }),
  }

  async run(): Promise<RunOutcome> {
    const {flags} = this
    const loaded = loadScenario(this.args.scenario, {exercises: flags.exercises, playbooks: flags.playbooks})
    let notifiers = new Map<string, NotifierConfig>()
    if (flags.checks && flags.checks.length > 0) {
      const {catalogue, problems} = validateCatalogue(cataloguePaths(flags.checks))
      if (!catalogue) throw new DefinitionError(problems, 'catalogue')
      const n = loadNotifiers(catalogue)
      if (n.problems.length > 0) throw new DefinitionError(n.problems, 'catalogue')
      notifiers = n.notifiers
    }

    const dir = flags.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'watchkeeper-exercise-'))
    const abort = new AbortController()
    const onSig = () => abort.abort()
    process.once('SIGINT', onSig)
    process.once('SIGTERM', onSig)
    const compression = flags.compression ?? loaded.scenario.compression
    const show = (lines: string[]) => {
      if (this.jsonEnabled()) {
        for (const l of lines) this.note(l)
      } else {
        for (const l of lines) process.stdout.write(l + '\n')
      }
    }

    const run = new ExerciseRun({
      db: this.openDb(),
      loaded,
      notifiers,
      compression,
      manual: flags.manual,
      dir,
      signal: abort.signal,
      onEvent: (e) => show(facilitatorLines(e, loaded.scenario, compression)),
    })
    let rl: readline.Interface | undefined
    if (flags.manual) {
      rl = readline.createInterface({input: process.stdin})
      rl.on('line', () => run.releaseNext())
    }

    try {
      await run.start()
      return await run.wait()
    } finally {
      rl?.close()
      process.off('SIGINT', onSig)
      process.off('SIGTERM', onSig)
    }
  }
}
