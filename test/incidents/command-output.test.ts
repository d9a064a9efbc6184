import {describe, expect, it} from 'vitest'

import {incidentWindow} from '../../src/exporters/gather.js'
import {latencyTicks, timeTicks} from '../../src/exporters/html.js'
import {commandRunOf, neutralise, outputExcerpt} from '../../src/incidents/command-output.js'
import {checkFacts} from '../../src/playbooks/check-facts.js'
import {utf8Prefix} from '../../src/playbooks/run-command.js'

describe('command output made safe to show', () => {
  it('shows control bytes, DEL, C1, tab, a lone CR and bidi overrides as escapes, keeping line breaks', () => {
    expect(neutralise('a\u001B[2Jb\u0007c\u0000d\u007Fe\u009Bf\u202Eg\u2066h\ti\r\nj\rk')).toBe(
      'a\\x1b[2Jb\\x07c\\x00d\\x7fe\\x9bf\\u202eg\\u2066h\\ti\nj\\rk',
    )
    expect(neutralise('plain text, ünïcode ✓')).toBe('plain text, ünïcode ✓')
  })

  it('caps lines and characters and says what was cut, including bytes the timeline never kept', () => {
    const output = Array.from({length: 50}, (_, i) => `line ${i + 1}`).join('\n') + '\n'
    const r = commandRunOf({
      argv: ['x'],
      exitCode: 0,
      output,
      outputBytes: 20_000,
      outputKeptBytes: Buffer.byteLength(output),
    })
    const ex = outputExcerpt(r, {maxLines: 10, maxChars: 10_000})
    expect(ex.lines).toEqual(Array.from({length: 10}, (_, i) => `line ${i + 1}`))
    expect(ex.linesCut).toBe(40)
    expect(ex.cut).toBe(
      `40 more lines not shown; the timeline keeps the first ${Buffer.byteLength(output)} of 20000 bytes (${20_000 - Buffer.byteLength(output)} cut; the SHA-256 covers all of them).`,
    )
    const long = outputExcerpt(commandRunOf({argv: ['x'], exitCode: 0, output: 'y'.repeat(100)}), {
      maxLines: 10,
      maxChars: 30,
    })
    expect(long.lines).toEqual([`${'y'.repeat(30)}…`])
    expect(
      outputExcerpt(commandRunOf({argv: ['x'], exitCode: 0, output: 'ok\n'}), {maxLines: 10, maxChars: 100}).cut,
    ).toBeUndefined()
  })

  it('keeps at most the cap in bytes without splitting a UTF-8 sequence', () => {
    const text = Buffer.from('ab€', 'utf8') // € is 3 bytes
    expect(utf8Prefix(text, 10).toString()).toBe('ab€')
    expect(utf8Prefix(text, 4).toString()).toBe('ab')
    expect(utf8Prefix(text, 3).toString()).toBe('ab')
    expect(utf8Prefix(text, 5).toString()).toBe('ab€')
    expect(utf8Prefix(Buffer.from('a😀b'), 4).toString()).toBe('a')
    expect(utf8Prefix(Buffer.from('a😀b'), 5).toString()).toBe('a😀')
  })
})

describe('check facts for from_check variables', () => {
  it('reads URL, host and port from each shape of target', () => {
    expect(checkFacts('https://www.nhs.uk/')).toEqual({url: 'https://www.nhs.uk/', host: 'www.nhs.uk', port: 443})
    expect(checkFacts('http://127.0.0.1:8080/health')).toEqual({
      url: 'http://127.0.0.1:8080/health',
      host: '127.0.0.1',
      port: 8080,
    })
    expect(checkFacts('auth.login.nhs.uk:443')).toEqual({host: 'auth.login.nhs.uk', port: 443})
    expect(checkFacts('[::1]:8443')).toEqual({host: '::1', port: 8443})
    expect(checkFacts('https://[::1]:8443/')).toEqual({url: 'https://[::1]:8443/', host: '::1', port: 8443})
    expect(checkFacts('nhs.net')).toEqual({host: 'nhs.net'})
    expect(checkFacts('not a target')).toEqual({})
  })
})

describe('chart scales', () => {
  it('chooses round latency ticks from 0 to at least the slowest', () => {
    expect(latencyTicks(893)).toEqual([0, 250, 500, 750, 1000])
    expect(latencyTicks(400)).toEqual([0, 100, 200, 300, 400])
    expect(latencyTicks(0)).toEqual([0, 1])
    expect(latencyTicks(12_345)).toEqual([0, 5000, 10_000, 15_000])
    expect(latencyTicks(9)).toEqual([0, 5, 10])
  })

  it('chooses time ticks on whole UTC steps with room for their labels', () => {
    const from = Date.UTC(2026, 11, 1, 13, 58, 20)
    const ticks = timeTicks(from, from + 40 * 60_000, 800, 10)
    // 2-minute ticks would be 40 px apart, less than a label and its gap; 5-minute ones are 100 px apart.
    expect(ticks.map((t) => t.label)).toEqual(['14:00', '14:05', '14:10', '14:15', '14:20', '14:25', '14:30', '14:35'])
    for (const t of ticks) expect(t.t % (5 * 60_000)).toBe(0)
    const days = timeTicks(from, from + 3 * 86_400_000, 800, 10)
    expect(days[0].label).toMatch(/^\d\d\/12 \d\d:\d\d$/)
    expect(days.every((t, i) => i === 0 || t.t > days[i - 1].t)).toBe(true)
  })

  it('fits the window to the incident: a lead before its start scaled to its length, a tail after resolution', () => {
    const opened = Date.UTC(2026, 11, 1, 12)
    const now = opened + 10 * 3_600_000
    expect(incidentWindow({openedAt: opened, resolvedAt: opened + 2 * 3_600_000}, opened - 20 * 60_000, now)).toEqual({
      from: opened - 20 * 60_000 - 35 * 60_000,
      to: opened + 2 * 3_600_000 + 14 * 60_000,
    })
    expect(incidentWindow({openedAt: opened}, undefined, opened + 60_000)).toEqual({
      from: opened - 5 * 60_000,
      to: opened + 60_000,
    })
  })
})
