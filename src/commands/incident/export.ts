import {Args, Flags} from '@oclif/core'
import fs from 'node:fs'

import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {gatherExport} from '../../exporters/gather.js'
import {EXPORT_FORMATS, type ExportFormat, renderExport} from '../../exporters/index.js'
import {parseIncidentId, recordDueClockEvents} from '../../incidents/service.js'

export default class IncidentExport extends BaseCommand<typeof IncidentExport> {
  static override summary =
    'Export an incident: md review, json record, csv timeline, html report, or its playbook as CACAO'
  static override description = `md: a post-incident review in the PagerDuty post-mortem shape. json: the full record and the chain head, verifiable offline with \`incident verify --file\`. csv: one event a row (RFC 4180, formula-safe). html: one self-contained file with the timeline and a chart of the linked checks. cacao: the playbook as CACAO 2.0 JSON.`
  static override examples = [
    '<%= config.bin %> incident export 3 --format md --out review.md',
    '<%= config.bin %> incident export 3 --format json --out incident-3.json',
    '<%= config.bin %> incident export 3 --format csv --out timeline.csv --json',
  ]
  static override args = {id: Args.string({description: 'incident id', required: true})}
  static override flags = {
    format: Flags.string({char: 'f', description: 'export format', options: [...EXPORT_FORMATS], default: 'md'}),
    out: Flags.string({char: 'o', description: 'write to this file instead of stdout'}),
  }

  async run(): Promise<{incidentId: number; format: string; file: string | null; bytes: number; content?: string}> {
    const now = Date.now()
    const db = this.openDb({reader: true})
    const id = parseIncidentId(this.args.id)
    recordDueClockEvents(db, now)
    const text = renderExport(this.flags.format as ExportFormat, gatherExport(db, id, now))
    if (this.flags.out) {
      try {
        fs.writeFileSync(this.flags.out, text, {mode: 0o600})
      } catch (error) {
        throw new UserError(`Cannot write ${this.flags.out}: ${(error as Error).message}`, {code: 'E_FILE'})
      }

      this.note(`Wrote ${this.flags.format} export of incident ${id} to ${this.flags.out}.`)
    } else if (!this.jsonEnabled()) process.stdout.write(text)
    // --json: what was exported, with the export itself as a string when it was not written to a file.
    return {
      incidentId: id,
      format: this.flags.format,
      file: this.flags.out ?? null,
      bytes: Buffer.byteLength(text),
      ...(this.flags.out ? {} : {content: text}),
    }
  }
}
