import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../base-command.js'
import {type StarterOptions, type StarterResult, writeStarter} from '../catalogue/starter.js'
import {TIERS} from '../catalogue/tiers.js'

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Write a starter catalogue that checks your own service'
  static override description =
    'Writes a catalogue file with an HTTP check of --url (status and latency) and, for an https:// URL, a TLS certificate check of its host, with the schema comment editors use for completion. The file is validated with the same validator as `check validate` before it is written, and an existing file is kept unless --force is given. Nothing is sent to the URL.'
  static override examples = [
    '<%= config.bin %> init --url https://my-service.example.nhs.uk/health',
    '<%= config.bin %> init --url http://127.0.0.1:8080/ --name "Booking API" --out booking.yaml',
    '<%= config.bin %> init --url https://my-service.example.nhs.uk/ --tier gold --out /etc/watchkeeper/checks/my-service.yaml --force',
  ]
  static override flags = {
    url: Flags.string({char: 'u', description: 'the http:// or https:// URL of your service to check', required: true}),
    name: Flags.string({char: 'n', description: "human name of the check [default: the URL's host]"}),
    id: Flags.string({description: "check id [default: the URL's host]"}),
    service: Flags.string({description: 'service the checks belong to [default: the name]'}),
    tier: Flags.string({description: 'service tier', options: [...TIERS]}),
    out: Flags.string({char: 'o', description: 'file to write', default: 'watchkeeper.yaml'}),
    force: Flags.boolean({description: 'overwrite the file if it exists', default: false}),
  }

  async run(): Promise<StarterResult> {
    const {flags} = this
    const result = writeStarter(
      flags.out,
      {
        url: flags.url,
        name: flags.name,
        id: flags.id,
        service: flags.service,
        tier: flags.tier as StarterOptions['tier'],
      },
      {force: flags.force},
    )
    this.log(
      `${chalk.green('wrote')} ${result.file}: ${result.checks.map((c) => `${c.id} (${c.kind} ${c.target})`).join(', ')}`,
    )
    this.log(`next: ${this.config.bin} check run --checks ${result.file}`)
    return result
  }
}
