import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {renderTable} from '../../src/ui/table.js'
import {guardStyled, termText} from '../../src/ui/terminal-text.js'
import {runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startTcp} from '../helpers/servers.js'

// A window title, a screen clear, an OSC 52 clipboard write, a bell, a line overwrite, a colour,
// a C1 CSI, a right-to-left override, a line separator, DEL and a tab.
const HOSTILE =
  'Ransom \u001B]0;pwned\u0007\u001B[2J\u001B]52;c;ZXZpbA==\u0007 note\rOVER \u001B[31mred\u009B2J x\u202Eevil\u2028y\u007F\tz'
const SHOWN = String.raw`Ransom \x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07 note\rOVER \x1b[31mred\x9b2J x\u202eevil\u2028y\x7f\tz`

/** Control characters a terminal acts on: all of C0 but LF, DEL, C1, and the Unicode line and bidi controls. */
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/

describe('termText and the table guard', () => {
  it('shows every control visibly, on one line or keeping line breaks', () => {
    expect(termText(HOSTILE)).toBe(SHOWN)
    expect(termText('a\nb\r\nc')).toBe(String.raw`a\nb\r\nc`)
    expect(termText('a\nb\r\nc\rd', {multiline: true})).toBe('a\nb\nc\\rd')
    expect(termText(undefined)).toBe('')
    expect(termText('café ☑ 😀 — plain')).toBe('café ☑ 😀 — plain')
  })

  it('lets only our colour codes through a styled line, and table cells stay one line', () => {
    expect(guardStyled('\u001B[31mred\u001B[39m \u001B[2J \u001B]0;t\u0007 a\nb')).toBe(
      '\u001B[31mred\u001B[39m \\x1b[2J \\x1b]0;t\\x07 a\\nb',
    )
    expect(guardStyled('a\nb', {multiline: true})).toBe('a\nb')
    const table = renderTable(['A', 'B'], [[HOSTILE, 'x\ny']])
    expect(table.replaceAll(/\u001B\[[0-9;]*m/g, '')).not.toMatch(CONTROL)
    expect(table.split('\n')).toHaveLength(2)
  })
})

describe('terminal output of the real CLI carries no control bytes from hostile text', () => {
  let tmp: ReturnType<typeof tmpDir>
  let db: string
  let banner: RunningServer
  const outputs: [string, string][] = []
  const run = async (name: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = await runCli([...args, '--db', db], {env})
    outputs.push([`${name} stdout`, r.stdout], [`${name} stderr`, r.stderr])
    return r
  }

  beforeAll(async () => {
    tmp = tmpDir('wk-hostile-')
    db = path.join(tmp.dir, 'wk.db')
    banner = await startTcp((s) => s.end(`220 ${HOSTILE}\r\n`))
  })
  afterAll(async () => {
    await banner.close()
    tmp.cleanup()
  })

  it('incident open, note, assign, list, show, verify and the md and csv exports', async () => {
    expect(
      (await run('open', ['incident', 'open', '--title', HOSTILE, '--service', HOSTILE, '--severity', 'SEV2'])).code,
    ).toBe(0)
    expect((await run('note', ['incident', 'note', '1', `first line\n${HOSTILE}\r\nlast line`])).code).toBe(0)
    expect((await run('assign', ['incident', 'assign', '1', 'lead', HOSTILE])).code).toBe(0)
    const list = await run('list', ['incident', 'list'])
    expect(list.stdout).toContain(SHOWN)
    const show = await run('show', ['incident', 'show', '1'])
    expect(show.stdout).toContain(`Service  ${SHOWN}`)
    expect(show.stdout).toContain(`first line\\n${SHOWN}\\r\\nlast line`)
    await run('verify', ['incident', 'verify', '1'])
    const md = await run('md', ['incident', 'export', '1', '--format', 'md'])
    expect(md.stdout).toContain(String.raw`\x1b]52;c;`)
    const csv = await run('csv', ['incident', 'export', '1', '--format', 'csv'])
    // CRLF ends CSV records (RFC 4180); a CR anywhere else would be a control.
    outputs.push(['csv records', csv.stdout.replaceAll('\r\n', '\n')])
    // The JSON export keeps the text as recorded (escaped by JSON), for verification.
    const json = await runCli(['incident', 'export', '1', '--format', 'json', '--db', db])
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify(HOSTILE).slice(1, -1))
    // With colours forced on, our SGR codes are the only escapes; the hostile ones are shown as text.
    const coloured = await run('show (colour)', ['incident', 'show', '1'], {NO_COLOR: undefined, FORCE_COLOR: '3'})
    expect(coloured.stdout).toMatch(/\u001B\[\d+m/)
    expect(coloured.stdout.replaceAll(/\u001B\[[0-9;]*m/g, '')).not.toMatch(CONTROL)
    expect(coloured.stdout).toContain(SHOWN)

    for (const [where, text] of outputs.filter(([w]) => w !== 'csv stdout' && w !== 'show (colour) stdout'))
      expect(text, where).not.toMatch(CONTROL)
  })

  it('check run, status and history with a summary from a hostile server', async () => {
    const file = path.join(tmp.dir, 'hostile.yaml')
    await import('node:fs').then((fs) =>
      fs.writeFileSync(
        file,
        `checks:\n  - {id: mail, kind: tcp, target: "${banner.url}", banner: "^220 ", timeout: 2s}\n`,
      ),
    )
    const before = outputs.length
    const table = await run('check run', ['check', 'run', '--checks', file])
    expect(table.stdout).toContain(String.raw`\x1b]0;pwned\x07`)
    await run('nagios', ['check', 'run', '--checks', file, '--format', 'nagios'])
    await run('status', ['status'])
    await run('history', ['history', 'mail'])
    for (const [where, text] of outputs.slice(before)) expect(text, where).not.toMatch(CONTROL)
  })
})
