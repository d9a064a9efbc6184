import {BaseCommand} from '../../base-command.js'
import {catalogueSchema} from '../../catalogue/schema.js'

export default class CheckSchema extends BaseCommand<typeof CheckSchema> {
  static override summary = 'Print the JSON Schema of check catalogue files'
  static override usesDatabase = false
  static override description =
    'The same schema is published as schemas/checks.schema.json; point yaml-language-server at it with a first line such as\n# yaml-language-server: $schema=../schemas/checks.schema.json'

  async run(): Promise<object> {
    // The schema is JSON already: --json prints the same document.
    const schema = catalogueSchema()
    if (!this.jsonEnabled()) process.stdout.write(JSON.stringify(schema, null, 2) + '\n')
    return schema
  }
}
