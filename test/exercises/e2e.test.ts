/**
 * Each shipped scenario end to end at high compression: the real CLI runs the exercise (estate on loopback,
 * the real checks, the real watch), a participant walks the playbook from an answers file in another process,
 * and the evidence pack is made and verified. Receivers configured as real channels must hear nothing.
 */
import {spawn} from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {ExercisePack} from '../../src/exercises/report.js'
import {openDatabase} from '../../src/store/db.js'
import {BIN, ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {webhookReceiver} from '../monitor/harness.js'

let tmp: {dir: string; cleanup: () => void}
let real: Awaited<ReturnType<typeof webhookReceiver>>
let test: Awaited<ReturnType<typeof webhookReceiver>>

beforeEach(async () => {
  tmp = tmpDir('wk-ex-')
  real = await webhookReceiver()
  test = await webhookReceiver()
})

afterEach(async () => {
  await Promise.all([real.close(), test.close()])
  tmp.cleanup()
})

/** The trust's catalogue: a real on-call channel and an exercise test channel, both loopback receivers. */
function notifiers(): string {
  const file = path.join(tmp.dir, 'notifiers.yaml')
  fs.writeFileSync(
    file,
    `checks: []
notifiers:
  real-oncall: {type: webhook, url: "\${env:REAL_ONCALL_URL}", min_interval: 1s}
  exercise-channel: {type: webhook, url: "\${env:EXERCISE_CHANNEL_URL}", min_interval: 1s}
`,
  )
  return file
}

interface Started {
  done: Promise<{code: number | null; stdout: string; stderr: string}>
}

/** `exercise run` in the background, as a facilitator's terminal would run it. */
function startExercise(args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [BIN, 'exercise', 'run', ...args], {
    cwd: ROOT,
    env: {...process.env, NO_COLOR: '1', WATCHKEEPER_CHECKS: '', ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 75_000)
  return {
    done: new Promise((resolve) =>
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({code, stdout, stderr})
      }),
    ),
  }
}

/** Waits until the exercise's incident opens; returns its id. */
async function incidentOf(db: string, within = 30_000): Promise<number> {
  const until = Date.now() + within
  while (Date.now() < until) {
    if (fs.existsSync(db)) {
      try {
        const d = openDatabase(db, {readonly: true})
        try {
          const r = d.prepare('SELECT incident_id AS i FROM exercises ORDER BY id DESC LIMIT 1').get() as
            {i: number | null} | undefined
          if (r?.i) return r.i
        } finally {
          d.close()
        }
      } catch {
        // not created or migrated yet
      }
    }

    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  throw new Error('the exercise incident did not open')
}

interface Case {
  scenario: string
  compression: number
  actor: string
  questions: Record<string, string>
  /** Use a copy of the shipped scenario that names the exercise test channel. */
  testChannel?: boolean
  sealed?: boolean
}

async function rehearse(c: Case): Promise<{
  pack: ExercisePack
  db: string
  env: NodeJS.ProcessEnv
  packFile: string
  run: {code: number | null; stdout: string; stderr: string}
}> {
  const db = path.join(tmp.dir, 'exercise.db')
  const env: NodeJS.ProcessEnv = {
    WATCHKEEPER_DB: db,
    REAL_ONCALL_URL: `${real.url}/oncall`,
    EXERCISE_CHANNEL_URL: `${test.url}/exercise`,
  }
  if (c.sealed) {
    const {privateKey, publicKey} = crypto.generateKeyPairSync('ed25519')
    fs.writeFileSync(path.join(tmp.dir, 'seal.pem'), privateKey.export({type: 'pkcs8', format: 'pem'}), {mode: 0o600})
    fs.writeFileSync(path.join(tmp.dir, 'seal.pub.pem'), publicKey.export({type: 'spki', format: 'pem'}))
    env.WATCHKEEPER_SIGNING_KEY = path.join(tmp.dir, 'seal.pem')
  }

  let {scenario} = c
  if (c.testChannel) {
    scenario = path.join(tmp.dir, `${c.scenario}.yaml`)
    const text = fs
      .readFileSync(path.join(ROOT, 'exercises', `${c.scenario}.yaml`), 'utf8')
      .replace(/^playbook: /m, 'notify: [exercise-channel]\nplaybook: ')
    fs.writeFileSync(scenario, text)
  }

  const started = startExercise(
    [scenario, '--compression', String(c.compression), '--checks', notifiers(), '--dir', path.join(tmp.dir, 'estate')],
    env,
  )
  const incident = await incidentOf(db)
  const walk = await runCli(
    [
      'incident',
      'respond',
      String(incident),
      '--answers',
      path.join(ROOT, 'test', 'exercises', 'answers', `${c.scenario}.yaml`),
      '--actor',
      c.actor,
    ],
    {env},
  )
  expect(walk.code, walk.stderr).toBe(0)
  const run = await started.done
  expect(run.code, run.stderr + run.stdout).toBe(0)
  for (const [inject, text] of Object.entries(c.questions)) {
    const a = await runCli(['exercise', 'answer', '1', inject, '--text', text, '--actor', c.actor], {env})
    expect(a.code, a.stderr).toBe(0)
  }

  for (const [text, owner, due] of [
    ['Add the national status page to the watched catalogue', 'Priya Engineer', '2027-01-31'],
    ['Rehearse the out-of-hours call tree', c.actor, '2027-03-31'],
  ]) {
    const a = await runCli(
      ['exercise', 'action', '1', '--text', text, '--owner', owner, '--due', due, '--actor', 'Sam Facilitator'],
      {env},
    )
    expect(a.code, a.stderr).toBe(0)
  }

  const packFile = path.join(tmp.dir, 'pack.json')
  const rep = await runCli(['exercise', 'report', '1', '--format', 'json', '--out', packFile], {env})
  expect(rep.code, rep.stderr).toBe(0)
  const doc = JSON.parse(fs.readFileSync(packFile, 'utf8')) as {exercise: ExercisePack}
  return {pack: doc.exercise, db, env, packFile, run}
}

/** What every scenario's run must show. */
async function commonChecks(c: Case, r: Awaited<ReturnType<typeof rehearse>>): Promise<void> {
  const {pack, db, env, packFile} = r
  const scenario = fs.readFileSync(path.join(ROOT, 'exercises', `${c.scenario}.yaml`), 'utf8')
  // Exactly one incident in the database, and it is the exercise's.
  const d = openDatabase(db, {readonly: true})
  try {
    const rows = d.prepare('SELECT id, title, exercise_id AS exercise FROM incidents').all() as {
      id: number
      title: string
      exercise: number | null
    }[]
    expect(rows).toHaveLength(1)
    expect(rows[0].exercise).toBe(1)
    expect(rows[0].title).toMatch(/^EXERCISE: /)
    const events = d.prepare('SELECT type, data FROM timeline_events WHERE incident_id = ?').all(rows[0].id) as {
      type: string
      data: string
    }[]
    for (const e of events) expect(JSON.parse(e.data).exercise, e.type).toBe(1)
  } finally {
    d.close()
  }

  // Hidden from the ordinary list, shown with --exercise.
  const plain = JSON.parse((await runCli(['incident', 'list', '--json'], {env})).stdout) as {incidents: unknown[]}
  expect(plain.incidents).toHaveLength(0)
  const ex = JSON.parse((await runCli(['incident', 'list', '--exercise', '--json'], {env})).stdout) as {
    incidents: {title: string}[]
  }
  expect(ex.incidents).toHaveLength(1)
  // No real notifier was called.
  expect(real.attempts).toBe(0)
  expect(real.received).toHaveLength(0)
  // Detection by the real checks within the scenario's expectation.
  expect(pack.detection.met, JSON.stringify(pack.detection)).toBe(true)
  expect(pack.detection.realMs).toBeLessThanOrEqual(30_000)
  expect(pack.detection.checkId).toMatch(/^exercise\./)
  // Every inject, released, with the answers given.
  const ids = [...scenario.matchAll(/^ {2}- id: (\S+)\n {4}at:/gm)].map((m) => m[1])
  expect(pack.injects.map((i) => i.id).sort()).toEqual(ids.sort())
  for (const i of pack.injects) expect(i.releasedAt, i.id).not.toBeNull()
  for (const [inject, text] of Object.entries(c.questions))
    expect(pack.injects.find((i) => i.id === inject)?.responses.map((x) => x.text)).toEqual([text])
  // Decisions with who and in which role.
  const taken = pack.decisions.filter((x) => x.type === 'decision_taken')
  expect(taken.length).toBeGreaterThan(0)
  for (const x of taken) expect([x.actor, x.role]).toEqual([c.actor, expect.any(String)])
  // Clocks: every expected outcome, and recorded at both scales.
  const wanted = Object.fromEntries(
    [...scenario.matchAll(/^ {4}(\w+): (on_time|not_required)$/gm)].map((m) => [m[1], m[2]]),
  )
  expect(Object.keys(wanted).length).toBeGreaterThan(0)
  for (const [name, outcome] of Object.entries(wanted)) {
    const clock = pack.clocks.find((x) => x.name === name)
    expect(clock?.outcome, name).toBe(outcome)
    expect(clock?.met).toBe(true)
    expect(clock?.compression).toBe(c.compression)
    expect(clock!.realDurationMs).toBe(clock!.durationMs * c.compression)
  }

  // Declaration measured against its expectation at scenario scale, consistently.
  const limitMs = pack.declaration.expected ? parseIso(pack.declaration.expected) : undefined
  expect(pack.declaration.scenarioMs).not.toBeNull()
  if (limitMs !== undefined) expect(pack.declaration.met).toBe((pack.declaration.scenarioMs as number) <= limitMs)
  expect(pack.actions.map((a) => [a.owner, a.due])).toEqual([
    ['Priya Engineer', '2027-01-31'],
    [c.actor, '2027-03-31'],
  ])
  expect(pack.assurance.map((a) => a.ref)).toEqual(['D1.c', 'D2.a', 'D2.b', pack.exercise.exerciseType])
  // The JSON verifies, both as a pack and as an incident export; one changed byte does not.
  const v = await runCli(['exercise', 'verify', packFile, '--json'], {env})
  expect(v.code, v.stdout).toBe(0)
  expect((await runCli(['incident', 'verify', '--file', packFile], {env})).code).toBe(0)
  const tampered = path.join(tmp.dir, 'tampered.json')
  fs.writeFileSync(tampered, fs.readFileSync(packFile, 'utf8').replace('"met": true', '"met": false'))
  expect((await runCli(['exercise', 'verify', tampered], {env})).code).toBe(1)
  // The Markdown pack for the debrief names every inject.
  const md = await runCli(['exercise', 'report', '1', '--format', 'md'], {env})
  expect(md.stdout).toMatch(/^# EXERCISE evidence pack: /)
  for (const id of ids) expect(md.stdout).toContain(`| ${id} |`)
}

function parseIso(text: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(text)!
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000
}

describe('shipped exercises, end to end', () => {
  it('national-endpoint-ddos: detected by the checks, one EXERCISE incident, only the test channel told, the probe command not run', async () => {
    const c: Case = {
      scenario: 'national-endpoint-ddos',
      compression: 1200,
      actor: 'Alex Commander',
      testChannel: true,
      questions: {
        press: 'No evidence of data access; holding statement on the status page',
        'oes-question': 'No: NHS England national services are not designated OESs',
      },
    }
    const r = await rehearse(c)
    await commonChecks(c, r)
    expect(test.received.length).toBeGreaterThan(0)
    for (const m of test.received) expect(String(m.body.title)).toMatch(/^EXERCISE 1: /)
    const {pack} = r
    expect(
      pack.decisions.some((x) => x.type === 'command_declined' && x.text.includes('not marked exercise_safe')),
    ).toBe(true)
    expect(r.run.stdout).toContain('FAULT down [hang on nhs-website]')
    expect(r.run.stdout).toMatch(/Alex Commander \(ic\) {2}Step declare completed/)
  }, 90_000)

  it('pathology-supplier-ransomware: two failing services, still one incident; ICO and NIS clocks on time', async () => {
    const c: Case = {
      scenario: 'pathology-supplier-ransomware',
      compression: 2400,
      actor: 'Alex Commander',
      questions: {
        'critical-incident': 'Declared a critical incident; ICB and regional on-call told',
        'data-claim': 'Assume exfiltration; ICO clock from awareness',
      },
    }
    const r = await rehearse(c)
    await commonChecks(c, r)
    const d = openDatabase(r.db, {readonly: true})
    try {
      const linked = d.prepare('SELECT check_id FROM incident_checks ORDER BY check_id').all() as {check_id: string}[]
      expect(linked.map((x) => x.check_id)).toEqual(
        expect.arrayContaining(['exercise.order-comms.http', 'exercise.pathology-results.ping']),
      )
    } finally {
      d.close()
    }
  }, 90_000)

  it('cyber-alert-48h: the alert opens the incident and starts the 48-hour clock at its issue; sealed pack verifies with the public key', async () => {
    const c: Case = {
      scenario: 'cyber-alert-48h',
      compression: 3600,
      actor: 'Lee Cyber',
      sealed: true,
      questions: {
        applicable: 'Yes: the SSL-VPN portal; recorded on the service',
        board: 'VPN and authentication logs before the alert; credential resets',
      },
    }
    const r = await rehearse(c)
    await commonChecks(c, r)
    const alert = r.pack.injects.find((i) => i.id === 'alert')!
    expect(r.pack.clocks.find((x) => x.name === 'nhs_alert_48h')?.startedAt).toBe(alert.releasedAt)
    expect(r.pack.incident.openedBy).toBe('exercise facilitator')
    const v = await runCli(['exercise', 'verify', r.packFile, '--public-key', path.join(tmp.dir, 'seal.pub.pem')], {
      env: r.env,
    })
    expect(v.code, v.stdout).toBe(0)
    expect(v.stdout).toContain('sealed')
  }, 90_000)
})
