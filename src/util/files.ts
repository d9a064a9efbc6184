import fs from 'node:fs'
import path from 'node:path'

/**
 * Every *.yaml / *.yml entry below a folder, recursively, in sorted order. Entries that cannot be
 * stat'ed (a dangling link) are listed too, so the reader reports them instead of the walk failing.
 */
export function yamlFilesIn(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const full = path.join(d, name)
      let folder = false
      try {
        folder = fs.statSync(full).isDirectory()
      } catch {}

      if (folder) walk(full)
      else if (/\.ya?ml$/i.test(name)) out.push(full)
    }
  }

  walk(dir)
  return out
}
