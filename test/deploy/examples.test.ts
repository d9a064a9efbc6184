import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {validateCatalogue} from '../../src/catalogue/load.js'
import {validateClocks} from '../../src/incidents/clock-load.js'
import {SHIPPED_CHECKS, SHIPPED_PLAYBOOKS} from '../../src/paths.js'
import {validatePlaybooks} from '../../src/playbooks/load.js'
import {ORG_TYPES} from '../../src/playbooks/model.js'
import {ROOT} from '../helpers/cli.js'

/*
 * Every `--help` example, read from the oclif manifest: the check ids, tags, services, playbooks, steps,
 * roles, clocks and organisation types it names exist in the shipped catalogue and playbooks, the shipped
 * files it names exist, and every flag it uses is a flag of that command. Names that are the reader's own
 * (their catalogue file, notifier, incident number, person) are not checked.
 */

type Kind = 'check' | 'tag' | 'service' | 'playbook' | 'step' | 'role' | 'clock' | 'org-type' | 'path'

const FLAG_REFS: Record<string, Kind> = {
  id: 'check', check: 'check', 'from-check': 'check', tag: 'tag', service: 'service', playbook: 'playbook',
  'org-type': 'org-type', checks: 'path', playbooks: 'path', clocks: 'path',
}
/** Positional arguments that name something shipped, by command and argument name. */
const ARG_REFS: Record<string, Record<string, Kind>> = {
  history: {check: 'check'},
  'playbook:show': {playbook: 'playbook'},
  'playbook:validate': {path: 'path'},
  'incident:step': {step: 'step'},
  'incident:clock': {name: 'clock'},
  'incident:assign': {role: 'role'},
  'clock:validate': {path: 'path'},
}
const GLOBAL_FLAGS = new Set(['help', 'json', 'db', 'color', 'no-color', 'debug'])

interface ManifestCommand {
  args?: Record<string, unknown>
  flags: Record<string, {char?: string; type?: string; allowNo?: boolean}>
  examples?: (string | {command: string; description?: string})[]
}

/** Words of a command line, as a POSIX shell splits them (quotes removed; no expansion). */
function shellWords(line: string): string[] {
  const words: string[] = []
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g
  let word = ''
  let last = -1
  for (const m of line.matchAll(re)) {
    const text = m[1] ?? m[2] ?? m[3]
    if (last === m.index) word += text
    else {
      if (last !== -1) words.push(word)
      word = text
    }

    last = m.index + m[0].length
  }

  if (last !== -1) words.push(word)
  return words
}

function shipped() {
  const {catalogue, problems} = validateCatalogue([SHIPPED_CHECKS], {env: {}})
  expect(problems).toEqual([])
  const {checks} = (catalogue!)
  const {playbooks} = validatePlaybooks([SHIPPED_PLAYBOOKS])
  const stepIds = new Set<string>()
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x)
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>
      if (typeof o.id === 'string' && typeof o.type === 'string') stepIds.add(o.id)
      for (const child of Object.values(o)) walk(child)
    }
  }

  for (const p of playbooks) walk(p.steps)
  return {
    check: checks.map((c) => c.id),
    tag: [...new Set(checks.flatMap((c) => c.tags))],
    service: [...new Set(checks.map((c) => c.service).filter((s): s is string => Boolean(s)))],
    playbook: playbooks.map((p) => p.id),
    step: [...stepIds],
    role: [...new Set(playbooks.flatMap((p) => Object.keys(p.roles)))],
    // The shipped clocks/ (where the tree has them) and any a playbook declares itself.
    clock: [...new Set([...validateClocks([]).defs.keys(), ...playbooks.flatMap((p) => Object.keys(p.clocks ?? {}))])],
    'org-type': Object.keys(ORG_TYPES),
  }
}

function exists(kind: Kind, value: string, known: ReturnType<typeof shipped>): boolean {
  if (kind === 'path') {
    // Only paths into the shipped folders are the package's; any other is the reader's own file.
    if (!/^(\.\/)?(checks|playbooks|schemas|clocks)(\/|$)/.test(value)) return true
    return fs.existsSync(path.join(ROOT, value))
  }

  const list = known[kind]
  if (!value.includes('*')) return list.includes(value)
  const re = new RegExp(`^${value.split('*').map((s) => s.replaceAll(/[.+?^${}()|[\]\\]/g, String.raw`\$&`)).join('.*')}$`)
  return list.some((v) => re.test(v))
}

interface Example {
  command: string
  line: string
  words: string[]
}

function examples(): {commands: Record<string, ManifestCommand>; list: Example[]} {
  const {commands} = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}
  const list: Example[] = []
  for (const [command, c] of Object.entries(commands)) {
    for (const e of c.examples ?? []) {
      const line = (typeof e === 'string' ? e : e.command).replaceAll('<%= config.bin %>', 'watchkeeper')
      // The words up to a redirection or pipe, after `watchkeeper` and the command's own words.
      const all = shellWords(line.split(/\s[>|]\s/)[0])
      const idWords = command.split(':')
      expect({line, head: all.slice(0, 1 + idWords.length)}).toEqual({line, head: ['watchkeeper', ...idWords]})
      list.push({command, line, words: all.slice(1 + idWords.length)})
    }
  }

  return {commands, list}
}

describe('--help examples', () => {
  it('name only check ids, tags, services, playbooks, steps, roles, clocks and files that ship, and real flags', () => {
    const known = shipped()
    const {commands, list} = examples()
    expect(list.length).toBeGreaterThan(50)
    const wrong: string[] = []
    let checked = 0
    for (const {command, line, words} of list) {
      const cmd = commands[command]
      const argNames = Object.keys(cmd.args ?? {})
      let positional = 0
      for (let i = 0; i < words.length; i++) {
        const w = words[i]
        if (w.startsWith('--')) {
          const [name, inline] = w.slice(2).split(/=(.*)/s)
          const flag = cmd.flags[name] ?? (name.startsWith('no-') ? cmd.flags[name.slice(3)] : undefined)
          if (!flag && !GLOBAL_FLAGS.has(name)) {
            wrong.push(`${line}: ${command.replaceAll(':', ' ')} has no --${name}`)
            continue
          }

          const takesValue = flag?.type === 'option' || (!flag && name === 'db')
          const value = inline ?? (takesValue ? words[++i] : undefined)
          const kind = FLAG_REFS[name]
          if (kind && value !== undefined) {
            checked++
            if (!exists(kind, value, known)) wrong.push(`${line}: --${name} ${value} is not a shipped ${kind}`)
          }

          continue
        }

        const kind = ARG_REFS[command]?.[argNames[positional++]]
        if (kind) {
          checked++
          if (!exists(kind, w, known)) wrong.push(`${line}: ${w} is not a shipped ${kind}`)
        }
      }
    }

    expect(wrong).toEqual([])
    expect(checked).toBeGreaterThan(15)
  })

  it('the checker finds what it is for', () => {
    const known = shipped()
    expect(exists('check', 'pds-ping', known)).toBe(false)
    expect(exists('check', 'api-pds-*', known)).toBe(true)
    expect(exists('check', 'pds-*', known)).toBe(false)
    expect(exists('path', 'checks/national.yaml', known)).toBe(false)
    expect(exists('path', 'my-checks.yaml', known)).toBe(true)
    expect(exists('playbook', 'ransomware-nhs-trust', known)).toBe(true)
    expect(exists('step', 'assess-data', known)).toBe(true)
    expect(shellWords(`incident note 3 "Bridge opened, 6 on the call" --at=x 'a b'c`)).toEqual(['incident', 'note', '3', 'Bridge opened, 6 on the call', '--at=x', 'a bc'])
  })
})
