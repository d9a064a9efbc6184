import {Args, Flags} from '@oclif/core'
import fs from 'node:fs'

import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {PACK_FORMATS, type PackFormat} from '../../exercises/report.js'
import {exerciseReport, parseExerciseId} from '../../exercises/service.js'

export default class ExerciseReport extends BaseCommand<typeof ExerciseReport> {
  static override summary =
    'The evidence pack of an exercise: participants, time to detect and declare, decisions, clocks, injects, actions, CAF and EPRR mapping'
  static override description =
    "md and html for the debrief and the board; json for the record: the exercise incident's JSON export (its hash chain) with the pack beside it inside the same digest, verifiable offline with `exercise verify FILE` (or `incident verify --file FILE`, and with --public-key where a signing key sealed it)."
  static override examples = [
    '<%= config.bin %> exercise report 2 --format md --out drill.md',
    '<%= config.bin %> exercise report 2 --format json --out drill.json',
  ]
  static override args = {id: Args.string({description: 'exercise id', required: true})}
  static override flags = {
    format: Flags.string({char: 'f', description: 'pack format', options: [...PACK_FORMATS], default: 'md'}),
    out: Flags.string({char: 'o', description: 'write to this file instead of stdout'}),
  }

  async run(): Promise<{
    exercise: number
    incidentId: number
    format: string
    file: string | null
    bytes: number
    content?: string
  }> {
    const id = parseExerciseId(this.args.id)
    const {text, incidentId} = exerciseReport(
      this.openDb({reader: true}),
      id,
      this.flags.format as PackFormat,
      Date.now(),
    )
    if (this.flags.out) {
      try {
        fs.writeFileSync(this.flags.out, text, {mode: 0o600})
      } catch (error) {
        throw new UserError(`Cannot write ${this.flags.out}: ${(error as Error).message}`, {code: 'E_FILE'})
      }

      this.note(`Wrote the ${this.flags.format} evidence pack of exercise ${id} to ${this.flags.out}.`)
    } else if (!this.jsonEnabled()) process.stdout.write(text)
    return {
      exercise: id,
      incidentId,
      format: this.flags.format,
      file: this.flags.out ?? null,
      bytes: Buffer.byteLength(text),
      ...(this.flags.out ? {} : {content: text}),
    }
  }
}
