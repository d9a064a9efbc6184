import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'
import fs from 'node:fs'

import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {verifyExportText} from '../../exporters/json.js'
import {describeEvent} from '../../incidents/describe.js'
import {parseIncidentId, verifyIncident} from '../../incidents/service.js'
import {formatUtc} from '../../incidents/time.js'

export default class IncidentVerify extends BaseCommand<typeof IncidentVerify> {
  static override summary = 'Recompute an incident\'s hash chain and name the first event that does not match'
  static override description = 'Checks the timeline in the database (ID), or a JSON export offline (--file). Exits 0 when everything matches, 1 otherwise.'
  static override examples = ['<%= config.bin %> incident verify 3', '<%= config.bin %> incident verify --file incident-3.json']
  static override args = {id: Args.string({description: 'incident id'})}
  static override flags = {file: Flags.string({char: 'f', description: 'a JSON export to verify instead of the database'})}

  async run(): Promise<unknown> {
    if (this.flags.file) {
      let text: string
      try {
        text = fs.readFileSync(this.flags.file, 'utf8')
      } catch (error) {
        throw new UserError(`Cannot read ${this.flags.file}: ${(error as Error).message}`, {code: 'E_FILE', exit: 2})
      }
      const r = verifyExportText(text)
      if (!r.ok) process.exitCode = 1
      if (!this.jsonEnabled()) {
        if (r.ok) this.log(`${chalk.green('verified')} ${this.flags.file}: incident ${r.incidentId}, ${r.count} events, head ${r.head}`)
        else {
          if (r.firstBad) this.log(`${chalk.red('MISMATCH')} first bad event: ${r.firstBad.seq}`)
          for (const p of r.problems) this.log(`${chalk.red('MISMATCH')} ${p}`)
        }
      }
      return {file: this.flags.file, ...r}
    }
    if (!this.args.id) throw new UserError('Give an incident id or --file EXPORT.json.', {code: 'E_USAGE', exit: 2})
    const r = verifyIncident(this.openDb({reader: true}), parseIncidentId(this.args.id))
    if (!r.ok) process.exitCode = 1
    if (!this.jsonEnabled()) {
      if (r.ok) this.log(`${chalk.green('verified')} incident ${r.incidentId}: ${r.count} events, head ${r.head}`)
      if (r.firstBad) {
        const e = r.firstBadEvent
        this.log(`${chalk.red('MISMATCH')} event ${r.firstBad.seq}${e ? ` (${e.type} at ${formatUtc(e.occurredAt)}: ${describeEvent(e)})` : ''}: ${r.firstBad.reason}`)
      }
      for (const m of r.mismatches) this.log(`${chalk.red('MISMATCH')} ${m}`)
    }
    return r
  }
}
