import fs from 'node:fs'
import path from 'node:path'

/** Every *.yaml / *.yml file below a folder, recursively, in sorted order. */
export function yamlFilesIn(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const full = path.join(d, name)
      if (fs.statSync(full).isDirectory()) walk(full)
      else if (/\.ya?ml$/i.test(name)) out.push(full)
    }
  }
  walk(dir)
  return out
}
