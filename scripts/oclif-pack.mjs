// Bundles @oclif/core and its dependencies into one file (dist/vendor/oclif-core.cjs) with esbuild, which
// bin/run.js installs in the require cache under @oclif/core's own path, so that every importer (our
// commands, the plugins) shares it: one file read and compiled instead of resolving about 110 modules,
// about a third of oclif's start-up. Its own __dirname stays @oclif/core's lib folder (it reads its
// package.json from there). Without esbuild, or when the installed @oclif/core is another version than
// the bundled one, bin/run.js loads @oclif/core as usual.
import fs from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(path.join(root, 'package.json'))
const out = path.join(root, 'dist', 'vendor', 'oclif-core.cjs')
fs.rmSync(out, {force: true})
fs.rmSync(out.replace(/\.cjs$/, '.json'), {force: true})
let esbuild
try {
  esbuild = require('esbuild')
} catch {
  console.warn('scripts/oclif-pack.mjs: esbuild not installed; the CLI loads @oclif/core unbundled')
  process.exit(0)
}

const {version} = require('@oclif/core/package.json')
esbuild.buildSync({
  entryPoints: [require.resolve('@oclif/core')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: out,
  logLevel: 'warning',
  // Loaded only in development (TypeScript commands) or for the Node version warning bin/run.js turns off.
  external: ['typescript', 'tsx', 'tsx/*', 'ts-node', 'semver'],
  define: {__dirname: '__oclifLibDir'},
  banner: {
    js:
      `// @oclif/core ${version} bundled by scripts/oclif-pack.mjs; do not edit.\n"use strict";\nconst __oclifLibDir = require('node:path').dirname(require.resolve('@oclif/core'));\n` +
      // import() of the command and plugin modules goes through bin/run.js (see below).
      "const __oclifImport = globalThis[Symbol.for('watchkeeper.import')] ?? ((url) => import(url));",
  },
})
// bin/run.js compiles the bundle through V8's code cache (vm.Script), where Node 20 has no loader for
// import(): every `await import(url)` (file URLs of commands, plugins, hooks) calls the function bin/run.js
// registers instead, an import() of its own module.
let code = fs.readFileSync(out, 'utf8')
const imports = code.match(/\bawait import\(/g)?.length ?? 0
if (imports === 0) throw new Error('scripts/oclif-pack.mjs: no `await import(` found in @oclif/core; check the bundle')
code = code.replaceAll(/\bawait import\(/g, 'await __oclifImport(')
// Matching the plugin names of package.json against the dependencies builds a minimatch RegExp per pair
// (about 5 ms a start); a name without glob characters is compared as it is, which is what minimatch does.
const match = '(p) => patterns.some((w) => (0, minimatch_1.minimatch)(p, w))'
if (code.includes(match))
  code = code.replace(
    match,
    String.raw`(p) => patterns.some((w) => (/[*?[\]{}()!]/.test(w) ? (0, minimatch_1.minimatch)(p, w) : p === w))`,
  )
else console.warn('scripts/oclif-pack.mjs: findMatchingDependencies not found in @oclif/core; left as it is')
fs.writeFileSync(out, code)
fs.writeFileSync(out.replace(/\.cjs$/, '.json'), JSON.stringify({version}) + '\n')

// The yaml package (about 70 modules) and undici (about 110) the same way: dist/vendor/<name>.cjs, which
// src/util/code-cache.ts (requireBundle) loads through V8's code cache when its version is the installed one,
// else the package itself.
for (const name of ['yaml', 'undici']) {
  const bundleOut = path.join(root, 'dist', 'vendor', `${name}.cjs`)
  fs.rmSync(bundleOut, {force: true})
  fs.rmSync(bundleOut.replace(/\.cjs$/, '.json'), {force: true})
  const bundledVersion = require(`${name}/package.json`).version
  esbuild.buildSync({
    entryPoints: [require.resolve(name)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: bundleOut,
    logLevel: 'warning',
    banner: {js: `// ${name} ${bundledVersion} bundled by scripts/oclif-pack.mjs; do not edit.`},
  })
  fs.writeFileSync(bundleOut.replace(/\.cjs$/, '.json'), JSON.stringify({version: bundledVersion}) + '\n')
}
