import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import type {StatusSite} from './site.js'
import {UserError} from '../errors.js'

export interface SiteWriteResult {
  out: string
  generatedAt: string
  files: number
  bytes: number
}

/** Makes each folder from root down to dir, refusing any step that is a symbolic link or not a folder. */
function safeMkdir(root: string, dir: string): void {
  const rel = path.relative(root, dir)
  let at = root
  for (const part of rel === '' ? [] : rel.split(path.sep)) {
    at = path.join(at, part)
    let st: fs.Stats | undefined
    try {
      st = fs.lstatSync(at)
    } catch {
      fs.mkdirSync(at)
      continue
    }

    if (st.isSymbolicLink() || !st.isDirectory())
      throw new UserError(
        `Refusing to write through ${at}: it is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}.`,
        {code: 'E_UNSAFE_PATH'},
      )
  }
}

/**
 * Writes every public page, badge and API document of the site under `outDir`, each file to a temporary name
 * beside it and then renamed over the old one, so a reader never sees half a file; the overview goes last, so
 * it never links to a page not yet written. Nothing is written outside `outDir`, nor through a link.
 */
export function writeStatusSite(site: StatusSite, outDir: string): SiteWriteResult {
  const want = path.resolve(outDir)
  fs.mkdirSync(want, {recursive: true})
  const root = fs.realpathSync(want)
  const model = site.model()
  const paths = site.publicPaths().sort((a, b) => Number(a === '/index.html') - Number(b === '/index.html'))
  let bytes = 0
  let files = 0
  for (const p of paths) {
    const r = site.answer(p, false)
    if (r.status !== 200) continue
    const file = path.resolve(root, '.' + p)
    if (!file.startsWith(root + path.sep))
      throw new UserError(`Refusing to write ${p}: it falls outside ${root}.`, {code: 'E_UNSAFE_PATH'})
    safeMkdir(root, path.dirname(file))
    try {
      if (fs.lstatSync(file).isSymbolicLink())
        throw new UserError(`Refusing to replace ${file}: it is a symbolic link.`, {code: 'E_UNSAFE_PATH'})
    } catch (error) {
      if (error instanceof UserError) throw error
    }

    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`
    try {
      fs.writeFileSync(tmp, r.body, {flag: 'wx', mode: 0o644})
      fs.renameSync(tmp, file)
    } catch (error) {
      fs.rmSync(tmp, {force: true})
      throw error
    }

    bytes += Buffer.byteLength(r.body)
    files++
  }

  return {out: root, generatedAt: model.generatedAt, files, bytes}
}
