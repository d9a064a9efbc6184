import {execFile} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli, tmpDir} from '../helpers/cli.js'

/* Did-you-mean for commands and flags, and shell completion (@oclif/plugin-autocomplete), through the real CLI. */

let tmp: {dir: string; cleanup: () => void}
beforeAll(() => {
  tmp = tmpDir('wk-complete-')
})
afterAll(() => tmp.cleanup())

describe('a mistyped command or flag', () => {
  it('names the closest command (no terminal: a line on stderr; exit 127 as a shell does)', async () => {
    const r = await runCli(['stauts'])
    expect(r.code).toBe(127)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('Did you mean: watchkeeper status\n')
    expect(r.stderr).toContain('stauts is not a watchkeeper command')
    const sub = await runCli(['report', 'uptmie'])
    expect(sub.code).toBe(127)
    expect(sub.stderr).toContain('Did you mean: watchkeeper report uptime\n')
  })

  it('names the closest flag of the command (exit 2, a usage error)', async () => {
    const r = await runCli(['status', '--problem', '--db', path.join(tmp.dir, 'x.db')])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe(
      'Error: Nonexistent flag: --problem\nHint: Did you mean --problems? See: watchkeeper status --help\n',
    )
    const json = await runCli(['report', 'uptime', '--jsno'])
    expect(json.stderr).toContain('Did you mean --json?')
  })
})

describe('shell completion', () => {
  it('autocomplete writes a bash completion that completes commands, topics and flags', async () => {
    const env = {XDG_CACHE_HOME: path.join(tmp.dir, 'cache'), HOME: tmp.dir}
    const setup = await runCli(['autocomplete', 'bash'], {env})
    expect(setup.code).toBe(0)
    const fn = path.join(tmp.dir, 'cache', 'watchkeeper', 'autocomplete', 'functions', 'bash', 'watchkeeper.bash')
    expect(fs.existsSync(fn)).toBe(true)
    const script = await runCli(['autocomplete', 'script', 'bash'], {env})
    expect(script.stdout).toContain(path.join(tmp.dir, 'cache', 'watchkeeper', 'autocomplete', 'bash_setup'))
    const complete = async (...words: string[]) => {
      const line = words.join(' ')
      const {stdout} = await promisify(execFile)('bash', [
        '-c',
        `source "${fn}"; COMP_WORDS=(${words.map((w) => `"${w}"`).join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE="${line}"; _watchkeeper_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ])
      return [...new Set(stdout.split('\n').filter(Boolean))]
    }

    expect(await complete('watchkeeper', 'status', '--pro')).toEqual(['--problems'])
    expect(await complete('watchkeeper', 'report', 'u')).toEqual(['uptime'])
    expect(await complete('watchkeeper', 'check', 'run', '--for')).toEqual(['--format'])
  })
})
