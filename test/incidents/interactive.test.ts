import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {privateTmux} from '../helpers/tmux.js'

const {tmux, waitForScreen, killServer} = privateTmux('test')

describe('interactive walk in a real terminal', () => {
  const tmp = tmpDir()
  const db = path.join(tmp.dir, 'wk.sqlite')
  afterAll(() => {
    killServer()
    tmp.cleanup()
  })

  const start = (session: string, id: number) => {
    const cmd = `cd ${ROOT} && WATCHKEEPER_ACTOR=${session} node ${BIN} incident respond ${id} --db ${db}; echo "EXIT=$?"; sleep 60`
    tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', cmd)
  }

  it('can be interrupted with Ctrl-C and resumes at the same step, losing nothing answered', async () => {
    const open = await runCli([
      'incident',
      'open',
      '--title',
      'Ransomware drill',
      '--playbook',
      'ransomware-nhs-trust',
      '--db',
      db,
      '--json',
    ])
    expect(open.code, open.stderr).toBe(0)
    const {id} = JSON.parse(open.stdout) as {id: number}

    start('first', id)
    let screen = await waitForScreen('first', /\[1\/3\] Record when and how/)
    expect(screen).toContain('Declare the incident and assign roles')
    expect(screen).toContain('Incident Commander')
    tmux('send-keys', '-t', 'first', 'Enter')
    await waitForScreen('first', /\[2\/3\] Assign Scribe/)
    tmux('send-keys', '-t', 'first', 'Enter')
    await waitForScreen('first', /\[3\/3\] Open a voice bridge/)
    tmux('send-keys', '-t', 'first', 'Down', 'Enter')
    await waitForScreen('first', /How and by whom the incident was detected/)
    tmux('send-keys', '-t', 'first', '-l', 'EDR alert on FS01')
    tmux('send-keys', '-t', 'first', 'Enter')
    await waitForScreen('first', /Incident codename/)
    tmux('send-keys', '-t', 'first', '-l', 'BLUE HER')
    tmux('send-keys', '-t', 'first', 'C-c')
    screen = await waitForScreen('first', /EXIT=\d+/)
    expect(screen).toMatch(/Stopped at declare/)
    expect(screen).toContain('EXIT=130')

    const shown = JSON.parse((await runCli(['incident', 'show', String(id), '--db', db, '--json'])).stdout) as {
      currentSteps: string[]
      events: {type: string; actor: string; data: Record<string, unknown>}[]
    }
    expect(shown.currentSteps).toEqual(['declare'])
    const ticks = shown.events.filter((e) => e.type === 'checklist_ticked').map((e) => e.data.done)
    expect(ticks).toEqual([true, true, false])
    const vars = shown.events.filter((e) => e.type === 'variable_recorded').map((e) => [e.data.name, e.data.value])
    expect(vars).toEqual([['detected_how', 'EDR alert on FS01']])

    // Another responder resumes at the same prompt: the codename, not the checklist again.
    start('second', id)
    screen = await waitForScreen('second', /Incident codename/)
    expect(screen).not.toMatch(/\[1\/3\]/)
    expect(screen).toContain('Declare the incident and assign roles')
    tmux('send-keys', '-t', 'second', '-l', 'BLUE HERON')
    tmux('send-keys', '-t', 'second', 'Enter')
    await waitForScreen('second', /Affected hostnames/)
    tmux('send-keys', '-t', 'second', 'C-c')
    await waitForScreen('second', /EXIT=130/)
    const after = JSON.parse((await runCli(['incident', 'show', String(id), '--db', db, '--json'])).stdout) as {
      events: {type: string; actor: string; data: Record<string, unknown>}[]
    }
    const recorded = after.events
      .filter((e) => e.type === 'variable_recorded')
      .map((e) => [e.actor, e.data.name, e.data.value])
    expect(recorded).toEqual([
      ['first', 'detected_how', 'EDR alert on FS01'],
      ['second', 'codename', 'BLUE HERON'],
    ])
    const verify = await runCli(['incident', 'verify', String(id), '--db', db])
    expect(verify.code).toBe(0)
  }, 300_000)

  it("shows a command step's exit code and output, control bytes as escapes, the rest said to be cut", async () => {
    const playbook = path.join(ROOT, 'test', 'fixtures', 'playbooks', 'views', 'command-output.yaml')
    const open = await runCli([
      'incident',
      'open',
      '--title',
      'Command drill',
      '--playbook',
      playbook,
      '--db',
      db,
      '--json',
    ])
    expect(open.code, open.stderr).toBe(0)
    const {id} = JSON.parse(open.stdout) as {id: number}
    start('cmd', id)
    await waitForScreen('cmd', /Type "yes" to run it/)
    tmux('send-keys', '-t', 'cmd', '-l', 'yes')
    tmux('send-keys', '-t', 'cmd', 'Enter')
    // The output asked the terminal to clear itself (ESC [2J) and ring its bell; it must show as text instead.
    await waitForScreen('cmd', /more lines not shown/)
    const screen = tmux('capture-pane', '-p', '-J', '-t', 'cmd')
    expect(screen).toContain('Print hostile output')
    expect(screen).toMatch(/Ran node -e .* 300: exit 3 in \d/)
    expect(screen).toContain('│ \\x1b[2J\\x1b[31mRED\\x07 <script>alert(1)</script> \\u202eevil ``` | pipe')
    expect(screen).toContain('│ line 19 ')
    expect(screen).not.toContain('│ line 20 ')
    expect(screen).toMatch(/… \d+ more lines not shown; the timeline keeps the first \d+ of \d+ bytes/)
    tmux('send-keys', '-t', 'cmd', 'C-c')
    await waitForScreen('cmd', /EXIT=\d+/)
  }, 300_000)
})
