import {BaseCommand} from '../../base-command.js'
import {exerciseSchema} from '../../exercises/schema.js'

export default class ExerciseSchema extends BaseCommand<typeof ExerciseSchema> {
  static override summary = 'Print the JSON Schema of exercise scenario files'
  static override description =
    'The same schema is published as schemas/exercise.schema.json; point yaml-language-server at it with a first line such as\n# yaml-language-server: $schema=../schemas/exercise.schema.json'

  async run(): Promise<object> {
    // The schema is JSON already: --json prints the same document.
    const schema = exerciseSchema()
    if (!this.jsonEnabled()) process.stdout.write(JSON.stringify(schema, null, 2) + '\n')
    return schema
  }
}
