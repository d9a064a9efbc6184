import fs from 'node:fs'
import path from 'node:path'

import {PROVIDERS} from './index.js'

/** Where the provider docs go in docs/watch.md, between these two lines. */
export const DOCS_START =
  '<!-- notifier-providers:start (generated from src/notify/providers/*/docs.md by scripts/update-docs.sh) -->'
export const DOCS_END = '<!-- notifier-providers:end -->'

/** The docs entry of each registered provider (`<type>/docs.md` in the source tree), in registry order. */
export function providerDocs(root: string): {type: string; file: string; text: string}[] {
  return [...PROVIDERS.keys()].map((type) => {
    const file = path.join(root, 'src', 'notify', 'providers', type, 'docs.md')
    return {type, file, text: fs.readFileSync(file, 'utf8').trimEnd() + '\n'}
  })
}

/** docs/watch.md's text with the provider section rebuilt from the docs entries. */
export function withProviderDocs(markdown: string, root: string): string {
  const start = markdown.indexOf(DOCS_START)
  const end = markdown.indexOf(DOCS_END)
  if (start === -1 || end < start) throw new Error(`no ${DOCS_START} … ${DOCS_END} block`)
  const body = providerDocs(root)
    .map((d) => d.text)
    .join('\n')
  return `${markdown.slice(0, start)}${DOCS_START}\n\n${body}\n${markdown.slice(end)}`
}
