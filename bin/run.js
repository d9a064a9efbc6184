#!/usr/bin/env node
import fs from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import {fileURLToPath} from 'node:url'

// The installed CLI runs the compiled dist/ whatever NODE_ENV it inherits (oclif would load src/*.ts
// through tsx under "test" or "development"); bin/dev.js is the entry for src/.
process.env.NODE_ENV = 'production'

// A full disk or closed pipe on stdout: one line or a quiet end, not a stack trace (also for --help).
const {guardStdout} = await import('../dist/stdout-guard.js')
guardStdout()

// `--version` without loading oclif: the same line as oclif's config.userAgent (WSL is left to oclif).
const pjson = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const arg = process.argv[2]
const wsl = () =>
  process.platform === 'linux' &&
  (os.release().toLowerCase().includes('microsoft') || procVersion().includes('microsoft'))
if ((arg === '--version' || pjson.oclif.additionalVersionFlags?.includes(arg)) && !wsl()) {
  const arch = os.arch() === 'ia32' ? 'x86' : os.arch()
  process.stdout.write(`${pjson.name}/${pjson.version} ${os.platform()}-${arch} node-${process.version}\n`)
} else {
  if (isCheckRun(process.argv.slice(2))) (await import('../dist/monitor/probe-thread.js')).prestartOneShot()
  // oclif's index loads semver (47 modules) only to warn about Node versions our engines field already excludes.
  const warn = process.env.OCLIF_DISABLE_ENGINE_WARNING
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  // The bundled @oclif/core imports commands, plugins and hooks (file URLs) through this (scripts/oclif-pack.mjs).
  globalThis[Symbol.for('watchkeeper.import')] = (url) => import(url)
  const {requireCached} = await import('../dist/util/code-cache.js')
  preloadOclif(requireCached)
  const {execute} = await import('@oclif/core')
  if (warn === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  else process.env.OCLIF_DISABLE_ENGINE_WARNING = warn
  await execute({dir: import.meta.url})
}

/**
 * `check run` (not its --help): its probe thread starts before oclif loads, so that the thread's start-up
 * overlaps oclif's and the catalogue's instead of following them.
 */
function isCheckRun(argv) {
  const rest =
    argv[0] === 'check:run' ? argv.slice(1) : argv[0] === 'check' && argv[1] === 'run' ? argv.slice(2) : undefined
  return rest !== undefined && !rest.some((a) => a === '--help' || a === '-h')
}

function procVersion() {
  try {
    return fs.readFileSync('/proc/version', 'utf8').toLowerCase()
  } catch {
    return ''
  }
}

/**
 * Installs dist/vendor/oclif-core.cjs (scripts/oclif-pack.mjs: @oclif/core in one file) in the require cache
 * as @oclif/core itself, so our commands and the plugins all import that one copy. Skipped when it is
 * missing or the installed @oclif/core is another version.
 */
function preloadOclif(requireCached) {
  const require = createRequire(import.meta.url)
  let file
  let exports
  try {
    const bundled = JSON.parse(
      fs.readFileSync(new URL('../dist/vendor/oclif-core.json', import.meta.url), 'utf8'),
    ).version
    if (bundled !== require('@oclif/core/package.json').version) return
    file = require.resolve('@oclif/core')
    exports = requireCached(fileURLToPath(new URL('../dist/vendor/oclif-core.cjs', import.meta.url)))
  } catch {
    return
  }

  const Module = require('node:module')
  if (Module._cache[file]) return
  const mod = new Module(file, null)
  mod.filename = file
  mod.paths = Module._nodeModulePaths(file)
  mod.exports = exports
  mod.loaded = true
  Module._cache[file] = mod
}
