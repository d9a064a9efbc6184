import {execFileSync, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'
import {type LoopbackRegistry, startLockfileRegistry} from './registry.js'

/*
 * The package as ops install it: `npm pack` of a copy of this checkout (its prepack builds dist/ and the
 * oclif manifest there, so the checkout's own dist/ is not rewritten under the other tests), then
 * `npm install -g ./watchkeeper-*.tgz` into a temporary prefix, and the installed `watchkeeper` run from a
 * folder with no source in it.
 *
 * What stands in for the internet, and why: the dependencies come from a registry on 127.0.0.1 that serves
 * the lockfile's versions from the local npm cache (see ./registry.ts), so no test traffic leaves loopback.
 * better-sqlite3's own install script (prebuild-install) runs as usual, and is handed this checkout's build
 * of the same version as a local prebuild, so nothing compiles (about two minutes here) or downloads.
 */

let tmp: {dir: string; cleanup: () => void}
let registry: LoopbackRegistry
let api: RunningServer
let tarball: string
let prefix: string
let installed: string
let installLog: string
let work: string

function run(cmd: string, args: string[], opts: {cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number}): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {cwd: opts.cwd, env: {...process.env, ...opts.env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

/** The installed CLI, run as an operator would: from a folder of their own, with a clean environment. */
function watchkeeper(args: string[]) {
  return run(path.join(prefix, 'bin', 'watchkeeper'), args, {
    cwd: work,
    env: {NO_COLOR: '1', WATCHKEEPER_CHECKS: '', WATCHKEEPER_PLAYBOOKS: '', WATCHKEEPER_DB: path.join(work, 'wk.db'), NODE_ENV: '', NODE_PATH: ''},
    timeoutMs: 60_000,
  })
}

/** A copy of the checkout as a clone would have it (tracked and new files, nothing ignored), with its node_modules linked. */
function stageCheckout(to: string): void {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {cwd: ROOT, encoding: 'utf8'}).split('\0').filter(Boolean)
  for (const f of files) {
    const from = path.join(ROOT, f)
    // Deleted but not yet committed, or not a regular file (a node_modules symlink is not matched by node_modules/).
    if (!fs.existsSync(from) || !fs.lstatSync(from).isFile()) continue
    fs.mkdirSync(path.dirname(path.join(to, f)), {recursive: true})
    fs.copyFileSync(from, path.join(to, f))
  }

  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(to, 'node_modules'))
}

/** This checkout's better_sqlite3.node as the prebuild tarball prebuild-install looks for. */
function localPrebuild(dir: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as {version: string}
  const name = `better-sqlite3-v${pkg.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  fs.mkdirSync(dir, {recursive: true})
  execFileSync('tar', ['-czf', path.join(dir, name), '-C', path.join(ROOT, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node'])
  return dir
}

beforeAll(async () => {
  tmp = tmpDir('wk-package-')
  const src = path.join(tmp.dir, 'src')
  stageCheckout(src)
  const out = path.join(tmp.dir, 'out')
  fs.mkdirSync(out)
  const pack = await run('npm', ['pack', '--json', '--pack-destination', out], {cwd: src, env: {npm_config_update_notifier: 'false'}})
  expect({code: pack.code, log: pack.code === 0 ? '' : pack.stderr.slice(-3000)}).toEqual({code: 0, log: ''})
  const packed = (JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as {filename: string}[])[0]
  tarball = path.join(out, packed.filename)

  const npmCache = execFileSync('npm', ['config', 'get', 'cache'], {encoding: 'utf8'}).trim()
  registry = await startLockfileRegistry(path.join(ROOT, 'package-lock.json'), npmCache)
  prefix = path.join(tmp.dir, 'prefix')
  const install = await run('npm', ['install', '--global', '--prefix', prefix, '--registry', registry.url,
    '--cache', path.join(tmp.dir, 'npm-cache'), '--no-audit', '--no-fund', '--foreground-scripts', tarball], {
    cwd: out,
    env: {
      npm_config_better_sqlite3_local_prebuilds: localPrebuild(path.join(tmp.dir, 'prebuilds')),
      // Were the local prebuild not taken, prebuild-install would ask loopback (404), not GitHub, then compile.
      npm_config_better_sqlite3_binary_host: registry.url,
      npm_config_update_notifier: 'false',
    },
  })
  installLog = install.stdout + install.stderr
  expect({code: install.code, misses: registry.misses, log: install.code === 0 ? '' : installLog.slice(-3000)}).toEqual({code: 0, misses: [], log: ''})
  installed = path.join(prefix, 'lib', 'node_modules', 'watchkeeper')
  work = path.join(tmp.dir, 'work')
  fs.mkdirSync(work)
  api = await startHttp((_req, res) => res.writeHead(200, {'content-type': 'text/plain'}).end('ok'))
}, 420_000)

afterAll(async () => {
  await Promise.all([registry?.close(), api?.close()])
  tmp?.cleanup()
})

describe('npm pack and a global install from the tarball', () => {
  it('the tarball carries dist, the oclif manifest and the shipped definitions, and no source or tests', () => {
    const files = execFileSync('tar', ['-tzf', tarball], {encoding: 'utf8'}).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''))
    for (const f of ['bin/run.js', 'dist/commands/check/run.js', 'dist/commands/init.js', 'oclif.manifest.json', 'package.json', 'README.md',
      'schemas/checks.schema.json', 'schemas/playbook.schema.json']) expect(files).toContain(f)
    for (const dir of ['checks', 'playbooks', 'clocks']) {
      if (!fs.existsSync(path.join(ROOT, dir))) continue
      const shipped = fs.readdirSync(path.join(ROOT, dir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => `${dir}/${f}`)
      expect(shipped.length).toBeGreaterThan(0)
      for (const f of shipped) expect(files).toContain(f)
    }

    if (fs.existsSync(path.join(ROOT, 'LICENSE'))) expect(files).toContain('LICENSE')
    expect(files.filter((f) => /^(src|test|bench|scripts|node_modules|\.ci)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([])
    // bin/dev.js runs src/ through tsx, neither of which is installed.
    expect(files).not.toContain('bin/dev.js')
    // The manifest prepack wrote names every compiled command.
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/oclif.manifest.json'], {encoding: 'utf8'})) as {commands: Record<string, unknown>}
    const compiled = files.filter((f) => /^dist\/commands\/.+\.js$/.test(f)).map((f) => f.replace(/^dist\/commands\//, '').replace(/\.js$/, '').replaceAll('/', ':'))
    expect(Object.keys(manifest.commands).sort()).toEqual(compiled.sort())
  })

  it('installs without dev dependencies and without building (no TypeScript there), and the native addon loads', () => {
    const deps = fs.readdirSync(path.join(installed, 'node_modules'))
    for (const dev of ['typescript', 'vitest', 'tsx', '@types', '@peculiar', 'dns-packet']) expect(deps).not.toContain(dev)
    for (const dep of ['@oclif', 'better-sqlite3', 'undici', 'yaml']) expect(deps).toContain(dep)
    expect(fs.existsSync(path.join(installed, 'src'))).toBe(false)
    // prepare (npm run build) is for checkouts; npm does not run it for a tarball, and could not: no tsc.
    expect(installLog).not.toContain('> watchkeeper@')
    const addon = (root: string) => fs.readFileSync(path.join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))
    expect(addon(installed).equals(addon(ROOT))).toBe(true)
  })

  it('`watchkeeper check run` works against a temporary catalogue, and the shipped catalogue and playbooks are there', async () => {
    const version = await watchkeeper(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout).toMatch(/^watchkeeper\/\d+\.\d+\.\d+ /)

    fs.writeFileSync(path.join(work, 'mine.yaml'), `checks:\n  - {id: mine, name: My service, kind: http, target: "${api.url}/health"}\n`)
    const res = await watchkeeper(['check', 'run', '--checks', 'mine.yaml', '--json'])
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    const report = JSON.parse(res.stdout) as {summary: Record<string, number>; results: {checkId: string; status: string}[]}
    expect(report.results.map((r) => [r.checkId, r.status])).toEqual([['mine', 'ok']])
    expect(fs.existsSync(path.join(work, 'wk.db'))).toBe(true)

    const list = await watchkeeper(['check', 'list', '--json'])
    expect(list.code).toBe(0)
    expect(list.stdout).toContain('"web-nhs-uk"')
    const validate = await watchkeeper(['check', 'validate'])
    expect(validate.code).toBe(0)
    const playbooks = await watchkeeper(['playbook', 'validate', path.join(installed, 'playbooks')])
    expect(playbooks.code).toBe(0)
  }, 120_000)

  it('every oclif plugin package.json names is installed and loads', async () => {
    const pjson = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as {oclif: {plugins?: string[]}}
    const plugins = pjson.oclif.plugins ?? []
    for (const p of plugins) expect(fs.existsSync(path.join(installed, 'node_modules', p, 'package.json'))).toBe(true)
    const help = await watchkeeper(['help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('init')
    if (plugins.includes('@oclif/plugin-autocomplete')) {
      const script = await watchkeeper(['autocomplete', 'script', 'bash'])
      expect(script.code).toBe(0)
      expect(script.stdout).toContain('WATCHKEEPER_AC_BASH_SETUP_PATH')
    }
  }, 120_000)

  it('`watchkeeper init` then `check run --checks` that file: a newcomer watches their own service', async () => {
    const init = await watchkeeper(['init', '--url', `${api.url}/`, '--out', 'starter.yaml'])
    expect(init.code).toBe(0)
    const text = fs.readFileSync(path.join(work, 'starter.yaml'), 'utf8')
    expect(text).toContain(`# yaml-language-server: $schema=${path.join(fs.realpathSync(installed), 'schemas', 'checks.schema.json')}`)
    const res = await watchkeeper(['check', 'run', '--checks', 'starter.yaml'])
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/ok/)
  }, 120_000)
})
