import {describe, expect, it} from 'vitest'

import type {ExercisePack} from '../../src/exercises/report.js'
import {packHtml, packMarkdown} from '../../src/exercises/pack-render.js'

const pack: ExercisePack = {
  format: 'watchkeeper-exercise-pack/1',
  exercise: {
    id: 3,
    scenario: 'ddos',
    scenarioSha256: 'a'.repeat(64),
    title: 'DDoS <b>',
    exerciseType: 'live',
    eprr: 'live exercise',
    playbook: 'pb',
    compression: 60,
    duration: 'PT6H',
    startedAt: '2027-01-01T10:00:00Z',
    endedAt: null,
    endReason: null,
    sources: [{title: 'NCSC', url: 'https://example.org/r'}],
    testChannels: [],
  },
  incident: {id: 7, title: 'EXERCISE t', openedAt: '2027-01-01T10:01:00Z', openedBy: 'check'},
  participants: [],
  detection: {
    realMs: 1500,
    scenarioMs: 90_000,
    expected: 'PT5M',
    met: true,
    faultAt: null,
    detectedAt: null,
    checkId: 'exercise.x.ping',
  },
  declaration: {
    realMs: null,
    scenarioMs: null,
    expected: null,
    met: null,
    from: null,
    declaredAt: null,
    by: null,
    how: null,
  },
  clocks: [],
  decisions: [],
  injects: [
    {
      id: 'i1',
      kind: 'fault',
      at: 'PT1M',
      releasedAt: null,
      text: null,
      to: ['ic'],
      target: 'api',
      fault: '5xx',
      expects: 'stuff',
      responses: [{actor: 'A', role: 'ic', at: '2027-01-01T10:02:00Z', text: 'ok'}],
    },
  ],
  actions: [],
  expectations: [],
  assurance: [],
}

describe('exercise evidence pack rendering', () => {
  it('Markdown: the summary rows, an inject with its responses, None. for every empty table, the sources', () => {
    const md = packMarkdown(pack, [], 'h')
    expect(md).toContain('| Compression | 60× (72 h of clock ran in 1h12m) |')
    expect(md).toContain('| Ran | 2027-01-01 10:00:00Z to - |')
    expect(md).toContain(
      '| Time to detect | 1.5s real, 1m30s in scenario time; expected within PT5M: met (check exercise.x.ping) |',
    )
    expect(md).toContain('| Time to declare | - real, - in scenario time |')
    expect(md).toContain('| Test channels | none (every notifier blocked) |')
    expect(md).toContain(
      '| i1 | fault (5xx on api) | PT1M | - | not released | ic | A (ic) at 2027-01-01 10:02:00Z: ok / A good answer covers: stuff |',
    )
    expect(md.match(/^None\.$/gm)).toHaveLength(6)
    expect(md).toContain('## Sources of the scenario\n\n- NCSC: https://example.org/r\n')
  })

  it('HTML: the same sections in the same order, every string escaped', () => {
    const html = packHtml(pack, [], 'h')
    const titles = [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1])
    expect(titles).toEqual([
      'Summary',
      'Participants and roles',
      'Expectations',
      'Clocks (compressed and real scale)',
      'Decisions',
      'Injects and responses',
      'Lessons-learned actions',
      'What this pack evidences',
      'Sources of the scenario',
      'Timeline',
    ])
    expect(html).toContain('DDoS &lt;b&gt;')
    expect(html).not.toContain('DDoS <b>')
  })
})
