import {BaseCommand} from '../../base-command.js'
import {catalogueSchema} from '../../catalogue/schema.js'

export default class CheckSchema extends BaseCommand<typeof CheckSchema> {
  static override summary = 'Print the JSON Schema of check catalogue files'
  static override description = 'The same schema is published as schemas/checks.schema.json; point yaml-language-server at it with a first line such as\n# yaml-language-server: $schema=../schemas/checks.schema.json'
  static override enableJsonFlag = false

  async run(): Promise<void> {
    process.stdout.write(JSON.stringify(catalogueSchema(), null, 2) + '\n')
  }
}
