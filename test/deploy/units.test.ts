import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'

/*
 * The files of deploy/: the systemd units pass `systemd-analyze verify` (skipped only where the binary is
 * absent), carry the hardening the README promises, and every watchkeeper command line in them and in the
 * crontab example names a real command with real flags; the oneshot's command line runs.
 */

const DEPLOY = path.join(ROOT, 'deploy')
const UNITS = ['watchkeeper.service', 'watchkeeper-check.service', 'watchkeeper-check.timer']
const INSTALLED_BIN = '/usr/bin/watchkeeper'
const hasAnalyze = spawnSync('systemd-analyze', ['--version'], {stdio: 'ignore'}).status === 0

let tmp: {dir: string; cleanup: () => void}
beforeAll(() => {
  tmp = tmpDir('wk-deploy-')
})
afterAll(() => tmp.cleanup())

/** The units as installed, with ExecStart pointing at this checkout's bin/run.js (verify wants an executable). */
function stageUnits(edit: (name: string, text: string) => string = (_n, t) => t): string {
  const dir = fs.mkdtempSync(path.join(tmp.dir, 'units-'))
  for (const name of UNITS) {
    const text = fs.readFileSync(path.join(DEPLOY, name), 'utf8').replaceAll(INSTALLED_BIN, BIN)
    fs.writeFileSync(path.join(dir, name), edit(name, text))
  }

  return dir
}

function verify(dir: string): {status: number | null; stderr: string} {
  const res = spawnSync('systemd-analyze', ['verify', ...UNITS.map((u) => path.join(dir, u))], {encoding: 'utf8', timeout: 60_000})
  // Lines about our files only: a host may have its own broken units that verify mentions in passing.
  const ours = res.stderr.split('\n').filter((l) => UNITS.some((u) => l.includes(u)) || l.includes(dir))
  return {status: res.status, stderr: ours.join('\n')}
}

/** `key=value` lines of one section of a unit file. */
function directives(name: string, section: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let current = ''
  for (const raw of fs.readFileSync(path.join(DEPLOY, name), 'utf8').split('\n')) {
    const line = raw.trim()
    if (line.startsWith('#') || line === '') continue
    const head = /^\[(.+)\]$/.exec(line)
    if (head) {
      current = head[1]
      continue
    }

    if (current !== section) continue
    const i = line.indexOf('=')
    const list = out.get(line.slice(0, i)) ?? []
    list.push(line.slice(i + 1))
    out.set(line.slice(0, i), list)
  }

  return out
}

interface ManifestCommand {
  flags: Record<string, {char?: string}>
}
function manifest(): Record<string, ManifestCommand> {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}).commands
}

/** The command id and flag names of a `watchkeeper …` command line. */
function parseCommandLine(words: string[]): {id: string; flags: string[]} {
  const idWords: string[] = []
  let i = 0
  while (i < words.length && !words[i].startsWith('-')) idWords.push(words[i++])
  const flags = words.slice(i).filter((w) => w.startsWith('--')).map((w) => w.slice(2).split('=')[0])
  return {id: idWords.join(':'), flags}
}

function commandLines(): {where: string; words: string[]}[] {
  const out: {where: string; words: string[]}[] = []
  for (const name of ['watchkeeper.service', 'watchkeeper-check.service']) {
    for (const line of directives(name, 'Service').get('ExecStart') ?? []) {
      const words = line.split(/\s+/)
      expect(words[0]).toBe(INSTALLED_BIN)
      out.push({where: `${name} ExecStart`, words: words.slice(1)})
    }
  }

  // Cron entries, the commented-out alternatives too: they are there to be used.
  for (const line of fs.readFileSync(path.join(DEPLOY, 'crontab.example'), 'utf8').split('\n')) {
    const entry = /^#?\s*(?:[\d*/,-]+\s+){5}(.*)$/.exec(line)
    if (!entry) continue
    for (const m of entry[1].matchAll(/\bwatchkeeper\s+([^>'|;]+)/g)) {
      out.push({where: `crontab.example: ${line.trim().slice(0, 50)}…`, words: m[1].trim().split(/\s+/)})
    }
  }

  return out
}

describe('deploy/ systemd units', () => {
  it.skipIf(!hasAnalyze)('pass systemd-analyze verify with nothing to say', () => {
    const res = verify(stageUnits())
    expect(res.stderr).toBe('')
    expect(res.status).toBe(0)
  })

  it.skipIf(!hasAnalyze)('the check is not toothless: a misspelt directive and a missing binary are reported', () => {
    const typo = verify(stageUnits((n, t) => (n === 'watchkeeper.service' ? t.replace('ProtectSystem=strict', 'ProtectSytem=strict') : t)))
    expect(typo.stderr).toContain("Unknown key 'ProtectSytem'")
    const missing = verify(stageUnits((n, t) => t.replaceAll(BIN, '/nonexistent/watchkeeper')))
    expect(missing.status).not.toBe(0)
    expect(missing.stderr).toContain('/nonexistent/watchkeeper')
  })

  it.skipIf(!hasAnalyze)('score "OK" or better in systemd-analyze security (exposure at most 2.0 of 10)', () => {
    const dir = stageUnits()
    for (const unit of ['watchkeeper.service', 'watchkeeper-check.service']) {
      // --threshold is on the 0-100 scale behind the 0.0-10.0 that is printed.
      const res = spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=20', path.join(dir, unit)], {encoding: 'utf8', timeout: 60_000})
      const level = /Overall exposure level for \S+: (\d+\.\d+)/.exec(res.stdout)?.[1]
      expect({unit, level: Number(level) <= 2, status: res.status}).toEqual({unit, level: true, status: 0})
    }
  })

  it('run as a dedicated user, hardened, with state in StateDirectory and secrets from an EnvironmentFile', () => {
    for (const name of ['watchkeeper.service', 'watchkeeper-check.service']) {
      const d = directives(name, 'Service')
      const one = (k: string) => d.get(k)?.[0]
      expect({name, user: one('User'), group: one('Group')}).toEqual({name, user: 'watchkeeper', group: 'watchkeeper'})
      expect(one('ProtectSystem')).toBe('strict')
      expect(one('NoNewPrivileges')).toBe('yes')
      expect(one('ProtectHome')).toBe('yes')
      expect(one('PrivateTmp')).toBe('yes')
      expect(one('CapabilityBoundingSet')).toBe('')
      expect(one('StateDirectory')).toBe('watchkeeper')
      expect(one('EnvironmentFile')).toBe('-/etc/watchkeeper/watchkeeper.env')
      // The database lives in the state folder, the only writable place under ProtectSystem=strict.
      expect(d.get('Environment')).toContain('WATCHKEEPER_DB=/var/lib/watchkeeper/watchkeeper.db')
      expect(d.has('MemoryDenyWriteExecute')).toBe(false)
    }

    expect(directives('watchkeeper-check.service', 'Service').get('Type')).toEqual(['oneshot'])
    expect(directives('watchkeeper-check.service', 'Unit').get('Conflicts')).toEqual(['watchkeeper.service'])
    expect(directives('watchkeeper-check.timer', 'Timer').get('OnCalendar')).toEqual(['*:0/5'])
    expect(fs.readFileSync(path.join(DEPLOY, 'sysusers.d', 'watchkeeper.conf'), 'utf8')).toMatch(/^u watchkeeper - .* \/var\/lib\/watchkeeper \/usr\/sbin\/nologin$/m)
  })

  it('every watchkeeper command line in the units and the crontab names a real command and real flags', () => {
    const commands = manifest()
    const lines = commandLines()
    expect(lines.length).toBeGreaterThanOrEqual(5)
    const wrong: string[] = []
    for (const {where, words} of lines) {
      const {id, flags} = parseCommandLine(words)
      const cmd = commands[id]
      if (!cmd) {
        wrong.push(`${where}: no command "${id.replaceAll(':', ' ')}"`)
        continue
      }

      for (const f of flags) if (!cmd.flags[f]) wrong.push(`${where}: ${id.replaceAll(':', ' ')} has no --${f}`)
    }

    expect(wrong).toEqual([])
  })

  describe('the oneshot command line', () => {
    let api: RunningServer
    beforeAll(async () => {
      api = await startHttp((_req, res) => res.writeHead(200).end('ok'))
    })
    afterAll(() => api.close())

    it('runs: one pass, the result stored, any log line on stderr JSON, exit 0', async () => {
      const checks = path.join(tmp.dir, 'checks')
      fs.mkdirSync(checks, {recursive: true})
      fs.writeFileSync(path.join(checks, 'mine.yaml'), `checks:\n  - {id: mine, name: Mine, kind: http, target: "${api.url}/"}\n`)
      const words = (directives('watchkeeper-check.service', 'Service').get('ExecStart') ?? [])[0].split(/\s+/).slice(1)
      const res = await runCli(words, {env: {WATCHKEEPER_CHECKS: checks, WATCHKEEPER_DB: path.join(tmp.dir, 'wk.db')}})
      for (const line of res.stderr.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow()
      expect(res.code).toBe(0)
      const list = await runCli(['history', 'mine', '--json'], {env: {WATCHKEEPER_DB: path.join(tmp.dir, 'wk.db')}})
      expect(list.code).toBe(0)
      expect(list.stdout).toContain('"ok"')
    })
  })
})
