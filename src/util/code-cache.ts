import crypto from 'node:crypto'
import fs from 'node:fs'
import Module, {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import vm from 'node:vm'
import {threadId} from 'node:worker_threads'

/*
 * V8's code cache for the few large CommonJS files every start compiles (the bundled @oclif/core, the
 * generated catalogue validator …): the first run stores the bytecode V8 produced, later runs hand it back
 * to V8 instead of parsing and compiling again. Node 20 has no module.enableCompileCache (Node 22 does).
 * Entries live in $XDG_CACHE_HOME/watchkeeper/v8 under the SHA-256 of the Node version, the file's path and
 * its text; V8 itself rejects an entry made by another V8 or other flags, and the file is then compiled as
 * usual and its entry written again. WATCHKEEPER_CODE_CACHE=off turns it off.
 */

interface InternalModule {
  _cache: Record<string, NodeJS.Module | undefined>
  _nodeModulePaths(dir: string): string[]
  wrap(source: string): string
}
const internal = Module as unknown as InternalModule
const pending = new Map<string, vm.Script>()

function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.WATCHKEEPER_CODE_CACHE === 'off') return undefined
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache')
  return path.join(base, 'watchkeeper', 'v8')
}

/**
 * Loads `file` (CommonJS) as require() would, under its own name in the require cache, through the code
 * cache. Returns its exports. The file must not call import(): a script compiled from a code cache has no
 * loader for it on Node 20 (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING).
 */
export function requireCached(file: string): unknown {
  const known = internal._cache[file]
  if (known) return known.exports
  const dir = cacheDir()
  if (!dir) return createRequire(file)(file)
  const source = fs.readFileSync(file, 'utf8')
  const key = crypto
    .createHash('sha256')
    .update(`${process.version}\0${process.arch}\0${file}\0`)
    .update(source)
    .digest('hex')
  const entry = path.join(dir, `${key}.bin`)
  let cachedData: Buffer | undefined
  try {
    cachedData = fs.readFileSync(entry)
  } catch {}

  const script = new vm.Script(internal.wrap(source), {filename: file, cachedData})
  const mod = new Module(file)
  mod.filename = file
  mod.paths = internal._nodeModulePaths(path.dirname(file))
  internal._cache[file] = mod
  try {
    const wrapper: (...args: unknown[]) => void = script.runInThisContext()
    wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file))
  } catch (error) {
    delete internal._cache[file]
    throw error
  }

  mod.loaded = true
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit, so that the entry holds every function the run compiled, not only the top level.
    if (pending.size === 0) process.once('exit', () => writeEntries(dir))
    pending.set(entry, script)
  }

  return mod.exports
}

/**
 * A package's one-file copy that the build made (scripts/oclif-pack.mjs writes `<bundle>.cjs` and its version
 * in `<bundle>.json`), loaded through the code cache; undefined when it is missing or the installed package
 * is another version, and the caller loads the package itself.
 */
export function requireBundle(bundle: string, packageName: string): unknown {
  try {
    const info: unknown = JSON.parse(fs.readFileSync(bundle.replace(/\.cjs$/, '.json'), 'utf8'))
    const installed: unknown = createRequire(bundle)(`${packageName}/package.json`)
    if (!hasVersion(info) || !hasVersion(installed) || info.version !== installed.version) return undefined
  } catch {
    return undefined
  }

  return requireCached(bundle)
}

function hasVersion(v: unknown): v is {version: string} {
  return typeof v === 'object' && v !== null && 'version' in v && typeof v.version === 'string'
}

/**
 * Writes the entries this thread has pending now rather than at exit. A worker thread calls it: the process
 * ending stops a worker without running its exit handlers.
 */
export function writeCodeCache(): void {
  const dir = cacheDir()
  if (dir && pending.size > 0) writeEntries(dir)
}

function writeEntries(dir: string): void {
  try {
    fs.mkdirSync(dir, {recursive: true, mode: 0o700})
    for (const [entry, script] of pending) {
      const tmp = `${entry}.${process.pid}.${threadId}.tmp`
      fs.writeFileSync(tmp, script.createCachedData(), {mode: 0o600})
      fs.renameSync(tmp, entry)
    }
  } catch {
    // The cache only saves time: one that cannot be written is skipped.
  }

  pending.clear()
}
