import {BaseCommand} from '../../base-command.js'
import {clocksSchema} from '../../incidents/clock-schema.js'

export default class ClockSchema extends BaseCommand<typeof ClockSchema> {
  static override summary = 'Print the JSON Schema of clock definition files'
  static override usesDatabase = false
  static override description =
    'The same schema is published as schemas/clocks.schema.json; point yaml-language-server at it with a first line such as\n# yaml-language-server: $schema=../schemas/clocks.schema.json'

  async run(): Promise<object> {
    // The schema is JSON already: --json prints the same document.
    const schema = clocksSchema()
    if (!this.jsonEnabled()) process.stdout.write(JSON.stringify(schema, null, 2) + '\n')
    return schema
  }
}
