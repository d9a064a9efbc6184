/**
 * What the notifier registry costs to load, beside TypeBox and the catalogue schema's notifier part: each
 * sample a fresh process timing one `import()` (performance.now() inside it), cases interleaved per round.
 * Run by hand after `npm run build`:
 *   node --import tsx bench/notify-load.ts [rounds] [--before DIR]
 * --before DIR adds the registry of another built checkout (e.g. the commit before this work).
 */
import {execFileSync} from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const ROUNDS = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--before') ?? 15)
const BEFORE = args.includes('--before') ? path.resolve(args[args.indexOf('--before') + 1]) : undefined

const CASES: Record<string, string> = {
  ...(BEFORE
    ? {'before: notify/providers/index.js (the registry)': path.join(BEFORE, 'dist/notify/providers/index.js')}
    : {}),
  'notify/providers/index.js (the registry)': path.join(ROOT, 'dist/notify/providers/index.js'),
  'notify/providers/schemas.js (TypeBox and every schema.ts)': path.join(ROOT, 'dist/notify/providers/schemas.js'),
  '@sinclair/typebox alone': path.join(ROOT, 'node_modules/@sinclair/typebox/build/esm/index.mjs'),
}

function sample(file: string): number {
  const code = `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t)`
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', code]).toString())
}

const times = new Map<string, number[]>(Object.keys(CASES).map((k) => [k, []]))
for (let i = 0; i < ROUNDS + 2; i++) {
  for (const [name, file] of Object.entries(CASES)) {
    const ms = sample(file)
    if (i >= 2) times.get(name)!.push(ms)
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(
  `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${new Date().toISOString()}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
)
console.log(`${ROUNDS} interleaved rounds after 2 warm-ups\n\n| import | median | fastest |\n|---|---|---|`)
for (const [name, xs] of times)
  console.log(`| ${name} | ${median(xs).toFixed(1)} ms | ${Math.min(...xs).toFixed(1)} ms |`)
