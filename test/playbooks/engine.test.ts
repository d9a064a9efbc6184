import fs from 'node:fs'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {CommandOutcome} from '../../src/playbooks/engine.js'
import type {
  AskPrompt,
  ChoosePrompt,
  ConfirmPrompt,
  PromptContext,
  Responder,
  TickPrompt,
} from '../../src/playbooks/responder.js'
import {verifyChain} from '../../src/incidents/chain.js'
import {openIncident} from '../../src/incidents/service.js'
import {respond} from '../../src/incidents/walk.js'
import {type Answers, answersFrom, AnswersResponder, readAnswers} from '../../src/playbooks/answers.js'
import {loadPlaybookRef} from '../../src/playbooks/load.js'
import {WalkStop} from '../../src/playbooks/responder.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {eventsOf} from '../../src/store/incidents.js'
import {ROOT, tmpDir} from '../helpers/cli.js'

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'playbooks', 'walk', 'main.yaml')

const FULL_STEPS = {
  start: {},
  'branch-a': {},
  'branch-a2': {},
  'branch-b': {confirm: true},
  pick: 'left',
  update: [{finished: false}, {finished: true}],
  'sub/tell': {},
  pause: {choice: 'continue'},
}

/** What a walk did, without times: [type, step] of every walk event. */
function trace(db: DB, id: number): string[] {
  return eventsOf(db, id)
    .filter((e) => !['incident_opened', 'playbook_attached'].includes(e.type))
    .map((e) =>
      e.type.startsWith('clock')
        ? `${e.type} ${String(e.data.name)}`
        : `${e.type}${e.data.step ? ' ' + String(e.data.step) : ''}${e.data.item === undefined ? '' : '#' + String(e.data.item)}`,
    )
}

describe('playbook engine', () => {
  let tmp: ReturnType<typeof tmpDir>
  let file: string
  let db: DB
  let notePath: string
  let runs: string[][]
  const runCommand = async (argv: string[]): Promise<CommandOutcome> => {
    runs.push(argv)
    return {exitCode: 0, timedOut: false, durationMs: 1, output: Buffer.from(`ran ${argv.join(' ')}\n`)}
  }

  const open = () =>
    openIncident({db, actor: 'tester', now: Date.now()}, {title: 'Engine', playbook: loadPlaybookRef(FIXTURE)}).id
  const answers = (extra: Record<string, unknown> = {}): Answers =>
    answersFrom({
      steps: Object.fromEntries(Object.entries({...FULL_STEPS, ...extra}).filter(([, v]) => v !== undefined)),
      vars: {path: notePath},
    })

  beforeEach(() => {
    tmp = tmpDir()
    file = path.join(tmp.dir, 'db.sqlite')
    db = openDatabase(file)
    notePath = path.join(tmp.dir, 'note.txt')
    fs.writeFileSync(notePath, 'evidence')
    runs = []
  })
  afterEach(() => {
    db.close()
    tmp.cleanup()
  })

  it('walks parallel branches, a decision, a loop, a command, a sub-playbook and a wait to the end', async () => {
    const id = open()
    const r = await respond(db, id, {actor: 'tester', responder: new AnswersResponder(answers()), runCommand})
    expect(r.status, r.reason).toBe('ended')
    expect(runs).toEqual([['sha256sum', notePath]])
    const t = trace(db, id)
    expect(t.filter((x) => x.startsWith('step_started')).map((x) => x.split(' ')[1])).toEqual([
      'start',
      'fan-out',
      'branch-a',
      'branch-a2',
      'branch-b',
      'pick',
      'repeat',
      'update',
      'update',
      'sub',
      'sub/tell',
      'sub/finish',
      'pause',
      'done',
    ])
    expect(t.indexOf('clock_started alert_48h')).toBe(t.indexOf('step_started start') + 1)
    expect(t.indexOf('clock_stopped alert_48h')).toBe(t.indexOf('step_completed sub') - 1)
    expect(t.filter((x) => x.startsWith('loop_iteration'))).toHaveLength(2)
    expect(t.at(-1)).toBe('walk_completed')
    expect(verifyChain(eventsOf(db, id), id).ok).toBe(true)
  })

  it('resumes at the exact prompt it stopped at, inside parallel branches and loop iterations', async () => {
    const id = open()
    const full = trace.bind(null, db, id)
    // Stop at the second item of branch-a (no answer for it), with branch-b still open.
    const stop1 = await respond(db, id, {
      actor: 'a',
      responder: new AnswersResponder(answers({'branch-a': {tick: [true]}, 'branch-b': undefined})),
      runCommand,
    })
    expect(stop1.status).toBe('stopped')
    expect(stop1.at).toEqual(['branch-a', 'branch-b'])
    const partial = full()
    // Resume with a second responder: stop inside the second loop iteration.
    const stop2 = await respond(db, id, {
      actor: 'b',
      responder: new AnswersResponder(answers({update: [{finished: false}]})),
      runCommand,
    })
    expect(stop2.status).toBe('stopped')
    expect(stop2.at).toEqual(['update'])
    const trace2 = full()
    expect(trace2.slice(0, partial.length)).toEqual(partial)
    expect(trace2.filter((x) => x.startsWith('checklist_ticked branch-a#0'))).toHaveLength(1)
    // Finish.
    const done = await respond(db, id, {
      actor: 'c',
      responder: new AnswersResponder(
        answersFrom({steps: {update: {finished: true}, 'sub/tell': {}, pause: {choice: 'continue'}}}),
      ),
      runCommand,
    })
    expect(done.status).toBe('ended')
    const t = full()
    expect(t.filter((x) => x.startsWith('loop_iteration'))).toHaveLength(2)
    expect(t.filter((x) => x === 'step_started update')).toHaveLength(2)
    expect(runs).toHaveLength(1)
    expect(verifyChain(eventsOf(db, id), id).ok).toBe(true)
  })

  it('never re-runs a command on resume without a new confirmation, and says it may have run', async () => {
    const id = open()
    const dying = async (argv: string[]): Promise<CommandOutcome> => {
      runs.push(argv)
      throw new Error('terminal died mid-command')
    }

    await expect(
      respond(db, id, {actor: 'a', responder: new AnswersResponder(answers()), runCommand: dying}),
    ).rejects.toThrow('terminal died')
    expect(trace(db, id)).toContain('command_started branch-b')
    expect(trace(db, id)).not.toContain('command_run branch-b')
    const prompts: ConfirmPrompt[] = []
    const declining: Responder = {
      tick: async () => true,
      ask: async (p: AskPrompt) => (p.variable === 'path' ? notePath : 'x'),
      async choose(p: ChoosePrompt) {
        if (p.variable === 'choice') return 'right'
        return 'continue'
      },
      async confirm(p: ConfirmPrompt) {
        prompts.push(p)
        return false
      },
    }
    const r = await respond(db, id, {actor: 'b', responder: declining, runCommand})
    expect(r.status).toBe('ended')
    expect(prompts).toHaveLength(1)
    expect(prompts[0].interruptedAt).toBeTypeOf('number')
    expect(prompts[0].command).toEqual(['sha256sum', notePath])
    expect(runs).toHaveLength(1)
    expect(trace(db, id)).toContain('command_declined branch-b')
  })

  it('a second responder answering the same prompt first wins; the first is asked the next thing', async () => {
    const id = open()
    const other = openDatabase(file)
    const asked: string[] = []
    let raced = false
    const first: Responder = {
      async tick(p: TickPrompt) {
        asked.push(`${p.step}#${p.item}`)
        if (!raced) {
          raced = true
          // Meanwhile, on another connection, someone ticks item 0 and stops at item 1.
          const r = await respond(other, id, {
            actor: 'other',
            responder: new AnswersResponder({steps: {start: {tick: [true]}}, vars: {}}),
            runCommand,
          })
          expect(r.status).toBe('stopped')
        }

        throw new WalkStop('enough', 'quit')
      },
      ask: async () => 'x',
      choose: async () => 'continue',
      confirm: async () => false,
    }
    const r1 = await respond(db, id, {actor: 'first', responder: first, runCommand})
    expect(r1.status).toBe('stopped')
    other.close()
    const ticks = eventsOf(db, id).filter((e) => e.type === 'checklist_ticked')
    expect(ticks.map((e) => [e.actor, e.data.item])).toEqual([['other', 0]])
    expect(asked).toEqual(['start#0'])
    const again: string[] = []
    const second: Responder = {
      ...first,
      async tick(p: TickPrompt) {
        again.push(`${p.step}#${p.item}`)
        throw new WalkStop('enough', 'quit')
      },
    }
    await respond(db, id, {actor: 'first', responder: second, runCommand})
    expect(again).toEqual(['start#1'])
  })

  it('retries a conflicting answer instead of writing it twice', async () => {
    const id = open()
    const other = openDatabase(file)
    let first = true
    const racing: Responder = {
      async tick(p: TickPrompt) {
        if (first) {
          first = false
          await respond(other, id, {
            actor: 'other',
            responder: new AnswersResponder({steps: {start: {tick: [true]}}, vars: {}}),
            runCommand,
          })
          return true
        }

        if (p.item === 1) return true
        throw new WalkStop('stop', 'quit')
      },
      ask: async () => 'x',
      choose: async () => 'continue',
      confirm: async () => false,
    }
    const r = await respond(db, id, {actor: 'me', responder: racing, runCommand, prefer: 'start'})
    other.close()
    expect(r.conflicts).toBe(1)
    const ticks = eventsOf(db, id)
      .filter((e) => e.type === 'checklist_ticked')
      .map((e) => [e.actor, e.data.item])
    expect(ticks).toEqual([
      ['other', 0],
      ['me', 1],
    ])
  })
})

describe('shipped playbooks walked from answers files', () => {
  const ANSWERS = path.join(ROOT, 'test', 'fixtures', 'playbooks', 'answers')
  let tmp: ReturnType<typeof tmpDir>
  let db: DB
  beforeEach(() => {
    tmp = tmpDir()
    db = openDatabase(path.join(tmp.dir, 'db.sqlite'))
  })
  afterEach(() => {
    db.close()
    tmp.cleanup()
  })
  // Commands are answered by a stand-in: nothing leaves the machine.
  const runCommand = async (): Promise<CommandOutcome> => ({
    exitCode: 0,
    timedOut: false,
    durationMs: 1,
    output: Buffer.from('ok\n'),
  })

  // ransomware-nhs-trust is walked through the CLI in test/incidents/walk-export.test.ts.
  for (const file of fs
    .readdirSync(ANSWERS)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    it(`${file} reaches the end, through every step it answers`, async () => {
      const playbook = loadPlaybookRef(path.join(ROOT, 'playbooks', `${file.split('.')[0]}.yaml`))
      const answers = readAnswers(path.join(ANSWERS, file))
      const seen: PromptContext[] = []
      const inner = new AnswersResponder(answers)
      const responder: Responder = {
        tick: async (p) => (seen.push(p), inner.tick(p)),
        ask: async (p) => (seen.push(p), inner.ask(p)),
        choose: async (p) => (seen.push(p), inner.choose(p)),
        confirm: async (p) => (seen.push(p), inner.confirm(p)),
      }
      const {id} = openIncident({db, actor: 'tester', now: Date.now()}, {title: file, playbook})
      const r = await respond(db, id, {actor: 'tester', responder, runCommand})
      expect(r.status, r.reason).toBe('ended')
      const t = trace(db, id)
      for (const step of Object.keys(answers.steps)) {
        expect(t, step).toContain(`step_started ${step}`)
        expect(t, step).toContain(`step_completed ${step}`)
      }

      expect(t.at(-1)).toBe('walk_completed')
      expect(
        t
          .filter((x) => x.startsWith('clock_started'))
          .map((x) => x.replace('started', 'stopped'))
          .sort(),
      ).toEqual(t.filter((x) => x.startsWith('clock_stopped')).sort())
      expect(verifyChain(eventsOf(db, id), id).ok).toBe(true)
      // Every prompt carries the references for the playbook's org_type (its default here).
      const org = String(playbook.variables.org_type?.value)
      for (const p of seen) for (const ref of p.references) expect([org, 'default']).toContain(ref.org)
      const withRefs = seen.find((p) => p.def.references !== undefined)
      if (withRefs) expect(withRefs.references).toHaveLength(1)
    })
  }
})
