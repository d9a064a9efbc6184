// Rebuilds the notifier providers' section of docs/watch.md from src/notify/providers/*/docs.md, and the README's
// list of them (run by scripts/update-docs.sh: `node --import tsx scripts/notifier-docs.ts`).
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {withProviderDocs, withProviderList} from '../src/notify/providers/docs.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const file = path.join(root, 'docs', 'watch.md')
fs.writeFileSync(file, withProviderDocs(fs.readFileSync(file, 'utf8'), root))
const readme = path.join(root, 'README.md')
fs.writeFileSync(readme, withProviderList(fs.readFileSync(readme, 'utf8'), root))
