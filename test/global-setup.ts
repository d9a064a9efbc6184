import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * End-to-end tests run bin/run.js, which loads dist/: generate the validators and compile src first (emitting even past type errors,
 * which the typecheck step of `npm test` reports), then write the command manifest from it and bundle oclif as the build does.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  // The schema validators are generated from src (src/generated/); the tests import them too.
  execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/validators.ts')], {
    cwd: root,
    stdio: 'pipe',
  })
  try {
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')],
      {cwd: root, stdio: 'pipe'},
    )
  } catch {
    // see above
  }

  execFileSync(process.execPath, [path.join(root, 'scripts/manifest.mjs')], {cwd: root, stdio: 'pipe'})
  execFileSync(process.execPath, [path.join(root, 'scripts/oclif-pack.mjs')], {cwd: root, stdio: 'pipe'})
}
