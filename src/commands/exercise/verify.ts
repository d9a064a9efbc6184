import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'
import fs from 'node:fs'

import {BaseCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {verifyPackText} from '../../exercises/report.js'
import {publicKeyFromPem, type TimelineEvent, verifySeals} from '../../incidents/chain.js'
import {termText} from '../../ui/terminal-text.js'

export default class ExerciseVerify extends BaseCommand<typeof ExerciseVerify> {
  static override summary =
    'Verify an exercise evidence pack (JSON) offline: the hash chain, the digest, the bytes, and the pack against its own timeline'
  static override description =
    'With --public-key it also checks the Ed25519 seals, as `incident verify` does. Exits 0 when everything matches, 1 otherwise.'
  static override examples = [
    '<%= config.bin %> exercise verify drill.json',
    '<%= config.bin %> exercise verify drill.json --public-key seal.pub.pem',
  ]
  static override args = {file: Args.string({description: 'the JSON pack', required: true})}
  static override flags = {
    'public-key': Flags.string({
      description: 'Ed25519 public key (PEM file) the seals must verify with',
      env: 'WATCHKEEPER_PUBLIC_KEY',
    }),
  }

  async run(): Promise<unknown> {
    let text: string
    try {
      text = fs.readFileSync(this.args.file, 'utf8')
    } catch (error) {
      throw new UserError(`Cannot read ${this.args.file}: ${(error as Error).message}`, {code: 'E_FILE', exit: 2})
    }

    let key
    if (this.flags['public-key']) {
      try {
        key = publicKeyFromPem(fs.readFileSync(this.flags['public-key']))
      } catch (error) {
        throw new UserError(`--public-key ${this.flags['public-key']}: ${(error as Error).message}`, {
          code: 'E_FLAG',
          exit: 2,
        })
      }
    }

    const r = verifyPackText(text)
    const seals = verifySeals(r.count > 0 ? (JSON.parse(text) as {events: TimelineEvent[]}).events : [], key)
    const ok = r.ok && seals.ok !== false
    if (!ok) process.exitCode = 1
    if (!this.jsonEnabled()) {
      if (ok)
        this.log(
          `${chalk.green('verified')} ${this.args.file}: exercise incident ${r.incidentId}, ${r.count} events, head ${r.head}; the pack matches its timeline`,
        )
      for (const p of [...r.problems, ...seals.problems]) this.log(`${chalk.red('MISMATCH')} ${termText(p)}`)
      if (seals.checkedWith && seals.ok)
        this.log(`${chalk.green('sealed')}: ${seals.seals} seal(s) verify with ${seals.checkedWith}`)
      else if (!seals.sealed) this.log(`${chalk.yellow('unsealed')}: written without a signing key`)
    }

    return {file: this.args.file, ...r, ok, seals}
  }
}
