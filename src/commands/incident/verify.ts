import type {KeyObject} from 'node:crypto'
import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'
import fs from 'node:fs'

import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {exportEvents, verifyExportText} from '../../exporters/json.js'
import {publicKeyFromPem, type SealReport, verifySeals} from '../../incidents/chain.js'
import {describeEvent} from '../../incidents/describe.js'
import {parseIncidentId, verifyIncident} from '../../incidents/service.js'
import {formatUtc} from '../../incidents/time.js'
import {eventsOf} from '../../store/incidents.js'
import {termText} from '../../ui/terminal-text.js'

export default class IncidentVerify extends BaseCommand<typeof IncidentVerify> {
  static override summary = "Recompute an incident's hash chain and name the first event that does not match"
  static override description =
    'Checks the timeline in the database (ID), or a JSON export offline (--file). With --public-key it also checks the Ed25519 seals: it fails when there is none, when any does not verify, or when events follow the last one unsigned. Exits 0 when everything matches, 1 otherwise.'
  static override examples = [
    '<%= config.bin %> incident verify 3',
    '<%= config.bin %> incident verify --file incident-3.json --public-key seal.pub.pem',
  ]
  static override args = {id: Args.string({description: 'incident id'})}
  static override flags = {
    file: Flags.string({char: 'f', description: 'a JSON export to verify instead of the database'}),
    'public-key': Flags.string({
      description: "Ed25519 public key (PEM file) the timeline's seals must verify with",
      env: 'WATCHKEEPER_PUBLIC_KEY',
    }),
  }

  async run(): Promise<unknown> {
    const publicKey = this.publicKey()
    if (this.flags.file) {
      let text: string
      try {
        text = fs.readFileSync(this.flags.file, 'utf8')
      } catch (error) {
        throw new UserError(
          `Cannot read ${this.flags.file}: ${error instanceof Error ? error.message : String(error)}`,
          {code: 'E_FILE', exit: 2},
        )
      }

      const r = verifyExportText(text)
      const seals = verifySeals(exportEvents(text), publicKey)
      const ok = r.ok && seals.ok !== false
      if (!ok) process.exitCode = 1
      if (!this.jsonEnabled()) {
        if (r.ok)
          this.log(
            `${chalk.green('verified')} ${this.flags.file}: incident ${r.incidentId}, ${r.count} events, head ${r.head}`,
          )
        else {
          if (r.firstBad) this.log(`${chalk.red('MISMATCH')} first bad event: ${r.firstBad.seq}`)
          for (const p of r.problems) this.log(`${chalk.red('MISMATCH')} ${termText(p)}`)
        }

        this.logSeals(seals)
      }

      return {file: this.flags.file, ...r, ok, seals}
    }

    if (!this.args.id) throw new UserError('Give an incident id or --file EXPORT.json.', {code: 'E_USAGE', exit: 2})
    const db = this.openDb({reader: true})
    const id = parseIncidentId(this.args.id)
    const r = verifyIncident(db, id)
    const seals = verifySeals(eventsOf(db, id), publicKey)
    const ok = r.ok && seals.ok !== false
    if (!ok) process.exitCode = 1
    if (!this.jsonEnabled()) {
      if (r.ok) this.log(`${chalk.green('verified')} incident ${r.incidentId}: ${r.count} events, head ${r.head}`)
      if (r.firstBad) {
        const e = r.firstBadEvent
        this.log(
          `${chalk.red('MISMATCH')} event ${r.firstBad.seq}${e ? ` (${termText(e.type)} at ${formatUtc(e.occurredAt)}: ${termText(describeEvent(e))})` : ''}: ${termText(r.firstBad.reason)}`,
        )
      }

      for (const m of r.mismatches) this.log(`${chalk.red('MISMATCH')} ${termText(m)}`)
      this.logSeals(seals)
    }

    return {...r, ok, seals}
  }

  private publicKey(): KeyObject | undefined {
    const file = this.flags['public-key']
    if (!file) return undefined
    try {
      return publicKeyFromPem(fs.readFileSync(file))
    } catch (error) {
      throw new UserError(`--public-key ${file}: ${error instanceof Error ? error.message : String(error)}`, {
        code: 'E_FLAG',
        exit: 2,
      })
    }
  }

  private logSeals(s: SealReport): void {
    if (s.checkedWith !== undefined) {
      if (s.ok)
        this.log(
          `${chalk.green('sealed')}: ${s.seals} seal${s.seals === 1 ? '' : 's'} verif${s.seals === 1 ? 'ies' : 'y'} with ${s.checkedWith}; the last covers events 1–${s.sealedThrough}`,
        )
      for (const p of s.problems) this.log(`${chalk.red('MISMATCH')} ${termText(p)}`)
    } else if (s.sealed) {
      this.log(
        `${chalk.yellow('sealed')} by ${s.keys.join(', ')} (${s.seals} seals, the last covers events 1–${s.sealedThrough}${s.unsealed > 0 ? `; ${s.unsealed} after it unsigned` : ''}); pass --public-key to check the signatures`,
      )
      for (const p of s.problems) this.log(`${chalk.red('MISMATCH')} ${termText(p)}`)
    } else {
      this.log(
        `${chalk.yellow('unsealed')}: no signing key was configured when it was written, so the hashes catch an edit but not a rewrite with recomputed hashes (see "Keys and seals" in the README)`,
      )
    }
  }
}
