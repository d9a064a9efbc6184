import {BaseCommand} from '../../base-command.js'
import {playbookSchema} from '../../playbooks/schema.js'

export default class PlaybookSchema extends BaseCommand<typeof PlaybookSchema> {
  static override summary = 'Print the JSON Schema of playbook files'
  static override usesDatabase = false
  static override description =
    'The same schema is published as schemas/playbook.schema.json; point yaml-language-server at it with a first line such as\n# yaml-language-server: $schema=../schemas/playbook.schema.json'

  async run(): Promise<object> {
    // The schema is JSON already: --json prints the same document.
    const schema = playbookSchema()
    if (!this.jsonEnabled()) process.stdout.write(JSON.stringify(schema, null, 2) + '\n')
    return schema
  }
}
