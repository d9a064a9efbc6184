/** Facilitation by hand: --manual releases each inject on Enter or on `exercise inject` from another terminal. */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/store/db.js'
import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'

let tmp: {dir: string; cleanup: () => void}
beforeEach(() => {
  tmp = tmpDir('wk-exm-')
})
afterEach(() => tmp.cleanup())

const SCENARIO = `format: watchkeeper-exercise/1
id: comms-test
title: Communications test
exercise_type: communications
playbook: ddos-national-endpoint
compression: 60
duration: PT1H
sources: [{title: NCSC – denial of service (DoS) guidance collection, url: "https://www.ncsc.gov.uk/collection/denial-service-dos-guidance-collection"}]
participants: [{name: Sam Facilitator, role: facilitator}, {name: Casey Comms, role: comms}]
estate: [{id: site, kind: website, name: NHS website, host: www.nhs.uk, opens_incident: false}]
injects:
  - {id: first, at: PT0M, kind: message, text: "Call the on-call director on the out-of-hours number."}
  - {id: second, at: PT10M, kind: question, to: [comms], text: "Who did you reach, and how long did it take?"}
  - {id: third, at: PT20M, kind: message, text: "End of the communications test."}
`

function released(db: string): string[] {
  const d = openDatabase(db, {readonly: true})
  try {
    return (
      d.prepare(`SELECT data FROM exercise_log WHERE type = 'inject_released' ORDER BY seq`).all() as {data: string}[]
    ).map((r) => String(JSON.parse(r.data).inject))
  } finally {
    d.close()
  }
}

async function until(what: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('exercise run --manual', () => {
  it('waits for each release, takes Enter and `exercise inject`, refuses an inject out of turn, and ends when told', async () => {
    const file = path.join(tmp.dir, 'comms-test.yaml')
    fs.writeFileSync(file, SCENARIO)
    const db = path.join(tmp.dir, 'drill.db')
    const env = {...process.env, NO_COLOR: '1', WATCHKEEPER_CHECKS: '', WATCHKEEPER_DB: db}
    const child = spawn(
      process.execPath,
      [BIN, 'exercise', 'run', file, '--manual', '--dir', path.join(tmp.dir, 'estate')],
      {cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe']},
    )
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      await until(() => out.includes('next: first'))
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(released(db)).toEqual([])
      child.stdin.write('\n')
      await until(() => released(db).length === 1)
      const wrong = await runCli(['exercise', 'inject', '1', 'third'], {env})
      expect(wrong.code).toBe(2)
      expect(wrong.stderr).toContain('Inject third is not the next one; the next is second')
      const ok = await runCli(['exercise', 'inject', '1', 'second', '--json'], {env})
      expect(ok.code, ok.stderr).toBe(0)
      expect(JSON.parse(ok.stdout)).toMatchObject({exercise: 1, inject: 'second'})
      await until(() => released(db).length === 2)
      const answer = await runCli(
        ['exercise', 'answer', '1', 'second', '--text', 'Reached the director in 4 minutes', '--actor', 'Casey Comms'],
        {env},
      )
      expect(answer.code, answer.stderr).toBe(0)
      child.stdin.write('\n')
      await until(() => released(db).length === 3)
      expect(released(db)).toEqual(['first', 'second', 'third'])
      child.kill('SIGINT')
      expect(await closed).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }

    expect(out).toContain('QUESTION second → comms: Who did you reach')
    expect(out).toContain('stopped by the facilitator')
    // Nothing failed, so the facilitator declared the incident at the end; the answer went with the rest onto its timeline.
    const rep = await runCli(['exercise', 'report', '1', '--format', 'json'], {env})
    const pack = JSON.parse(rep.stdout).exercise
    expect(pack.exercise.exerciseType).toBe('communications')
    expect(pack.injects.find((i: {id: string}) => i.id === 'second').responses).toMatchObject([
      {actor: 'Casey Comms', role: 'comms', text: 'Reached the director in 4 minutes'},
    ])
    expect(pack.detection).toMatchObject({realMs: null, met: null})
  }, 60_000)
})
