import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'

import {type RunningServer, startHttp} from '../helpers/servers.js'

interface LockEntry {
  version?: string
  integrity?: string
  link?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, unknown>
  bin?: Record<string, string>
  engines?: Record<string, string>
  os?: string[]
  cpu?: string[]
  hasInstallScript?: boolean
  license?: string
}

/** Where the npm cache keeps a tarball by its integrity (cacache's content-v2 layout). */
export function cachedTarball(cacheDir: string, integrity: string): string {
  const [algorithm, b64] = integrity.split(/\s+/)[0].split(/-(.*)/s)
  const hex = Buffer.from(b64, 'base64').toString('hex')
  return path.join(cacheDir, '_cacache', 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4))
}

export interface LoopbackRegistry extends RunningServer<http.Server> {
  /** Packages asked for that the lockfile does not have, or whose tarball is not in the cache. */
  misses: string[]
}

/**
 * An npm registry on 127.0.0.1 that knows exactly the packages of a package-lock.json: each packument
 * lists the locked versions only, and each tarball comes from the local npm cache by its locked
 * integrity (where `npm ci` left it). An install through it needs no internet and gets the locked versions.
 */
export async function startLockfileRegistry(lockFile: string, cacheDir: string): Promise<LoopbackRegistry> {
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as {packages: Record<string, LockEntry>}
  const byName = new Map<string, Map<string, LockEntry>>()
  for (const [key, entry] of Object.entries(lock.packages)) {
    const at = key.lastIndexOf('node_modules/')
    if (at === -1 || entry.link || !entry.version || !entry.integrity) continue
    const name = key.slice(at + 'node_modules/'.length)
    const versions = byName.get(name) ?? new Map<string, LockEntry>()
    versions.set(entry.version, entry)
    byName.set(name, versions)
  }

  const misses: string[] = []
  let base = ''
  const server = await startHttp((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]).slice(1)
    const tarball = /^-\/tarball\/(.+)\/(\d[^/]*)\.tgz$/.exec(url)
    if (tarball) {
      const entry = byName.get(tarball[1])?.get(tarball[2])
      const file = entry?.integrity ? cachedTarball(cacheDir, entry.integrity) : undefined
      if (!file || !fs.existsSync(file)) {
        misses.push(`${tarball[1]}@${tarball[2]} (tarball)`)
        res.writeHead(404).end()
        return
      }

      res.writeHead(200, {'content-type': 'application/octet-stream'})
      fs.createReadStream(file).pipe(res)
      return
    }

    const versions = byName.get(url)
    if (!versions) {
      misses.push(url)
      res.writeHead(404, {'content-type': 'application/json'}).end('{"error":"not found"}')
      return
    }

    const manifests: Record<string, unknown> = {}
    for (const [version, e] of versions) {
      manifests[version] = {
        name: url, version, license: e.license,
        dependencies: e.dependencies, optionalDependencies: e.optionalDependencies,
        peerDependencies: e.peerDependencies, peerDependenciesMeta: e.peerDependenciesMeta,
        bin: e.bin, engines: e.engines, os: e.os, cpu: e.cpu, hasInstallScript: e.hasInstallScript,
        dist: {tarball: `${base}/-/tarball/${url}/${version}.tgz`, integrity: e.integrity},
      }
    }

    const latest = [...versions.keys()].sort((a, b) => a.localeCompare(b, 'en', {numeric: true})).at(-1)
    res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({name: url, 'dist-tags': {latest}, versions: manifests}))
  })
  base = server.url
  return Object.assign(server, {misses})
}
