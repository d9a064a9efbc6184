import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {privateTmux} from '../helpers/tmux.js'

const {tmux, waitForScreen, killServer} = privateTmux('assess', {join: true})

describe('assessment step at a real terminal', () => {
  const tmp = tmpDir()
  const db = path.join(tmp.dir, 'wk.sqlite')
  afterAll(() => {
    killServer()
    tmp.cleanup()
  })

  it('offers the grid with unverified labels marked, gates NIS on OES, and re-asks a bad count', async () => {
    const open = await runCli([
      'incident',
      'open',
      '--title',
      'Drill',
      '--playbook',
      path.join('test', 'fixtures', 'playbooks', 'assessment', 'both.yaml'),
      '--db',
      db,
      '--json',
    ])
    const {id} = JSON.parse(open.stdout) as {id: number}
    const step = await runCli(['incident', 'step', String(id), 'aware', '--done', '--var', 'aware_at=now', '--db', db])
    expect(step.code, step.stderr).toBe(0)
    const s = 'assess'
    tmux(
      'new-session',
      '-d',
      '-s',
      s,
      '-x',
      '220',
      '-y',
      '60',
      `cd ${ROOT} && node ${BIN} incident respond ${id} --db ${db}; echo "EXIT=$?"; sleep 60`,
    )
    const keys = (...k: string[]) => tmux('send-keys', '-t', s, ...k)
    const text = (t: string) => tmux('send-keys', '-t', s, '-l', t)

    let screen = await waitForScreen(s, /5 \(occurred, label unverified\)/)
    expect(screen).toContain('3 (likely)')
    expect(screen).toContain("unverified: the Guide's DHSC notification criterion")
    keys('Down', 'Down', 'Enter') // likelihood 3
    await waitForScreen(s, /impact \(severity of the adverse effect\)/)
    keys('Down', 'Enter') // impact 2
    await waitForScreen(s, /designated operator of essential services/)
    keys('Down', 'Enter') // not an OES
    await waitForScreen(s, /The reasoning behind these answers/)
    text('Minor disclosure; NHS England is not an OES')
    keys('Enter')
    await waitForScreen(s, /Nature of the personal data breach/)
    keys('Enter') // not known yet
    await waitForScreen(s, /Categories of data subjects/)
    text('patients')
    keys('Enter')
    await waitForScreen(s, /Approximate number of data subjects/)
    text('about ten')
    keys('Enter')
    screen = await waitForScreen(s, /expected a whole number/)
    for (let i = 0; i < 9; i++) keys('BSpace')
    text('10')
    keys('Enter')
    for (const label of [
      /Categories of personal data records/,
      /Approximate number of personal data records/,
      /Name and contact details of the DPO/,
      /Likely consequences/,
      /Measures taken or proposed/,
    ]) {
      await waitForScreen(s, label)
      keys('Enter')
    }

    screen = await waitForScreen(s, /Report to the ICO/)
    expect(screen).not.toContain('Significant impact on the continuity')
    keys('C-c')
    await waitForScreen(s, /EXIT=\d+/)

    const show = JSON.parse((await runCli(['incident', 'show', String(id), '--db', db, '--json'])).stdout) as {
      events: {type: string; data: Record<string, unknown>}[]
    }
    const vars = Object.fromEntries(
      show.events.filter((e) => e.type === 'variable_recorded').map((e) => [e.data.name, e.data.value]),
    )
    expect(vars).toMatchObject({
      dspt_likelihood: 3,
      dspt_impact: 2,
      nis_oes: false,
      breach_nature: null,
      data_subject_categories: 'patients',
      data_subjects_approx: 10,
      notification_decision: 'ico',
    })
    expect(vars).not.toHaveProperty('nis_significant_impact')
    const stop = show.events.find((e) => e.type === 'clock_stopped')
    expect(stop?.data).toMatchObject({name: 'nis_72h', outcome: 'not_required'})
    expect(String(stop?.data.reason)).toContain('not a designated operator of essential services (OES)')
  }, 180_000)
})
