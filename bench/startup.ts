/**
 * Cold start of the built CLI beside `node -e 0`: `--version`, `--help`, `check list` and `check validate`
 * on the shipped catalogue, each as a new process. Run by hand after `npm run build`:
 *   node --import tsx bench/startup.ts [runs] [--loop] [--before DIR]
 * With hyperfine installed (and no --loop) hyperfine times every command (-N, 3 warm-ups); otherwise an
 * interleaved loop runs each command once per round. Prints the median of each and its ratio to `node -e 0`.
 *
 * The YAML parse cache (see src/util/yaml-schema.ts) lives in a temporary $XDG_CACHE_HOME: "warm cache"
 * rows run after one run has filled it, "no cache" rows set WATCHKEEPER_YAML_CACHE=off (every file parsed
 * and validated, as on the first run after a catalogue changes); V8's code cache (src/util/code-cache.ts) is in
 * the same folder, and the last row turns it off too (the first run after an install or a Node upgrade).
 * --before DIR adds the same commands run from another built checkout (e.g. the commit before this work),
 * measured in the same run.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = path.join(ROOT, 'bin', 'run.js')
const args = process.argv.slice(2)
const RUNS = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--before') ?? 30)
const LOOP = args.includes('--loop')
const BEFORE = args.includes('--before') ? path.resolve(args[args.indexOf('--before') + 1]) : undefined

const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-startup-'))
const base = {...process.env, NO_COLOR: '1', WATCHKEEPER_CHECKS: '', NODE_ENV: '', XDG_CACHE_HOME: cache}
const noCache = {WATCHKEEPER_YAML_CACHE: 'off'}
const noCaches = {WATCHKEEPER_YAML_CACHE: 'off', WATCHKEEPER_CODE_CACHE: 'off'}

interface Case {
  name: string
  argv: string[]
  env?: NodeJS.ProcessEnv
}

const CASES: Case[] = [
  {name: 'node -e 0', argv: [process.execPath, '-e', '0']},
  {name: 'watchkeeper --version', argv: [process.execPath, BIN, '--version']},
  {name: 'watchkeeper --help', argv: [process.execPath, BIN, '--help']},
  {name: 'watchkeeper check list (warm cache)', argv: [process.execPath, BIN, 'check', 'list']},
  {name: 'watchkeeper check validate (warm cache)', argv: [process.execPath, BIN, 'check', 'validate']},
  {name: 'watchkeeper check list (no cache)', argv: [process.execPath, BIN, 'check', 'list'], env: noCache},
  {name: 'watchkeeper check validate (no cache)', argv: [process.execPath, BIN, 'check', 'validate'], env: noCache},
  {
    name: 'watchkeeper check list (no YAML or code cache)',
    argv: [process.execPath, BIN, 'check', 'list'],
    env: noCaches,
  },
]
if (BEFORE) {
  const bin = path.join(BEFORE, 'bin', 'run.js')
  for (const a of [['--version'], ['--help'], ['check', 'list'], ['check', 'validate']])
    CASES.push({name: `before: watchkeeper ${a.join(' ')}`, argv: [process.execPath, bin, ...a]})
}

function hasHyperfine(): boolean {
  return spawnSync('hyperfine', ['--version'], {stdio: 'ignore'}).status === 0
}

function quote(a: string): string {
  return /^[\w./=-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Median wall time (ms) of each case, and with hyperfine the mean CPU time (user + system, ms). */
function measure(): {tool: string; medians: number[]; cpu?: number[]} {
  // Fill the parse cache (and check every command works) before timing.
  for (const c of CASES) {
    const r = spawnSync(c.argv[0], c.argv.slice(1), {env: {...base, ...c.env}, stdio: ['ignore', 'ignore', 'pipe']})
    if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`)
  }

  if (!LOOP && hasHyperfine()) {
    const out = path.join(cache, 'hyperfine.json')
    // hyperfine -N passes its own environment on; the no-cache cases set theirs through env(1).
    const commands = CASES.map((c) =>
      [...(c.env ? ['env', ...Object.entries(c.env).map(([k, v]) => `${k}=${v}`)] : []), ...c.argv]
        .map(quote)
        .join(' '),
    )
    execFileSync(
      'hyperfine',
      ['-N', '--warmup', '3', '--runs', String(RUNS), '--style', 'none', '--export-json', out, ...commands],
      {env: base, stdio: ['ignore', 'ignore', 'inherit']},
    )
    const {results} = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      results: {median: number; user: number; system: number}[]
    }
    return {
      tool: `hyperfine, ${RUNS} runs each after 3 warm-ups`,
      medians: results.map((r) => r.median * 1000),
      cpu: results.map((r) => (r.user + r.system) * 1000),
    }
  }

  const times: number[][] = CASES.map(() => [])
  for (let round = 0; round < RUNS + 3; round++) {
    for (const [i, c] of CASES.entries()) {
      const t = performance.now()
      spawnSync(c.argv[0], c.argv.slice(1), {env: {...base, ...c.env}, stdio: 'ignore'})
      if (round >= 3) times[i].push(performance.now() - t)
    }
  }

  return {tool: `interleaved loop, ${RUNS} rounds after 3 warm-ups`, medians: times.map(median)}
}

try {
  const {tool, medians, cpu: cpuMs} = measure()
  const cpu = os.cpus()
  console.log(
    `${os.cpus().length} × ${cpu[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString()}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
  console.log(`${tool}\n`)
  // CPU time is steadier than wall time on a shared machine; both are shown with hyperfine.
  console.log(
    cpuMs
      ? '| command | median wall | vs node -e 0 | mean CPU | vs node -e 0 |'
      : '| command | median wall | vs node -e 0 |',
  )
  console.log(cpuMs ? '|---|---|---|---|---|' : '|---|---|---|')
  for (const [i, c] of CASES.entries()) {
    const cpuCols = cpuMs ? ` ${cpuMs[i].toFixed(0)} ms | ${(cpuMs[i] / cpuMs[0]).toFixed(2)}× |` : ''
    console.log(`| ${c.name} | ${medians[i].toFixed(0)} ms | ${(medians[i] / medians[0]).toFixed(2)}× |${cpuCols}`)
  }
} finally {
  fs.rmSync(cache, {recursive: true, force: true})
}
