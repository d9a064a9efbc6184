import {BaseCommand} from '../../base-command.js'
import {clocksSchema} from '../../incidents/clock-schema.js'

export default class ClockSchema extends BaseCommand<typeof ClockSchema> {
  static override summary = 'Print the JSON Schema of clock definition files'
  static override description = 'The same schema is published as schemas/clocks.schema.json; point yaml-language-server at it with a first line such as\n# yaml-language-server: $schema=../schemas/clocks.schema.json'
  static override enableJsonFlag = false

  async run(): Promise<void> {
    process.stdout.write(JSON.stringify(clocksSchema(), null, 2) + '\n')
  }
}
