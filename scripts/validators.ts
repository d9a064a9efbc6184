// Compiles the definition schemas to standalone validators, so that no schema is compiled while the CLI
// starts: src/generated/validate-NAME.js with its .d.ts (for tsc and the tests; gitignored) and the same
// module in dist/generated/ (tsc does not copy JavaScript). Run by `npm run build`, `npm run typecheck`
// and the test setup: `node --import tsx scripts/validators.ts`. A new schema is one line in VALIDATORS.
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {catalogueSchema} from '../src/catalogue/schema.js'
import {clocksSchema} from '../src/incidents/clock-schema.js'
import {playbookSchema} from '../src/playbooks/schema.js'
import {VALIDATOR_TYPES, validatorSource} from '../src/util/schema-compile.js'

const VALIDATORS: Record<string, () => Record<string, unknown>> = {
  catalogue: catalogueSchema,
  playbook: playbookSchema,
  clocks: clocksSchema,
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** Writes a file only when its content changes, so tsc and vitest see nothing new otherwise. */
function write(file: string, text: string): void {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return
  fs.mkdirSync(path.dirname(file), {recursive: true})
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text)
  fs.renameSync(tmp, file)
}

// What the generated code calls: part of each validator's id.
const salt = ['src/util/duration-range.ts', 'src/util/duration.ts', 'src/incidents/time.ts'].map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('\0')

for (const [name, schema] of Object.entries(VALIDATORS)) {
  const source = validatorSource(name, schema(), '../util/duration-range.js', salt)
  write(path.join(root, 'src/generated', `validate-${name}.js`), source)
  write(path.join(root, 'src/generated', `validate-${name}.d.ts`), VALIDATOR_TYPES)
  write(path.join(root, 'dist/generated', `validate-${name}.js`), source)
}
