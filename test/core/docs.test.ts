import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {catalogueSchema} from '../../src/catalogue/schema.js'
import {FINDINGS} from '../../src/findings.js'
import {findingsMarkdown} from '../../src/ui/findings-doc.js'
import {ROOT} from '../helpers/cli.js'

describe('published documents stay in step with the source', () => {
  it('schemas/checks.schema.json is the schema the loader validates with (regenerate: check schema)', () => {
    const published = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/checks.schema.json'), 'utf8'))
    expect(published).toEqual(JSON.parse(JSON.stringify(catalogueSchema())))
  })

  it('the README lists every finding id (regenerate: check findings --markdown)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const section = /<!-- findings:start -->\n([\s\S]*?)\n<!-- findings:end -->/.exec(readme)?.[1]
    expect(section).toBe(findingsMarkdown(FINDINGS))
  })

  it('finding ids are unique, dotted and lower-case', () => {
    const ids = FINDINGS.map((f) => f.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/)
  })
})
