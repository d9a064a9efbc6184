import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {validateCatalogue} from '../../src/catalogue/load.js'
import {buildWatchConfig} from '../../src/monitor/watch-config.js'
import {tmpDir} from '../helpers/cli.js'
import {writeCatalogue} from './harness.js'

let tmp: {dir: string; cleanup: () => void}
beforeEach(() => {
  tmp = tmpDir('wk-cfg-')
})
afterEach(() => tmp.cleanup())

function build(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const file = writeCatalogue(tmp.dir, yaml)
  const {catalogue, problems} = validateCatalogue([file], {env})
  if (!catalogue) return {problems: problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)}
  const r = buildWatchConfig(catalogue, env)
  return {config: r.config, problems: r.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)}
}

describe('watch configuration from the catalogue', () => {
  it('takes triggers, thresholds and notifiers from defaults, checks and watch:', () => {
    const {config, problems} = build(
      `
defaults:
  interval: 30s
  thresholds: {failure: 5}
checks:
  - {id: a, kind: tcp, target: "127.0.0.1:1"}
  - {id: b, kind: tcp, target: "127.0.0.1:1", schedule: "*/5 * * * *", timezone: Europe/Paris, notify: [pager], incident: {after: 5m, severity: SEV2}}
  - {id: c, kind: tcp, target: "127.0.0.1:1", incident: {after: 4}, thresholds: {recovery: 4}}
notifiers:
  chat: {type: slack, url: "\${env:SLACK}"}
  pager: {type: teams, url: "\${env:TEAMS}", events: [failing, recovered], min_interval: 10m}
watch:
  concurrency: 8
  thresholds: {recovery: 3}
  canary: {target: "10.0.0.1:443"}
`,
      {SLACK: 'https://hooks.example/T/B/secret', TEAMS: 'https://example.logic.azure.com/workflows/x'},
    )
    expect(problems).toEqual([])
    const [a, b, c] = config!.checks
    expect(a.trigger).toEqual({kind: 'interval', everyMs: 30_000})
    expect(a.thresholds).toEqual({failure: 5, recovery: 3})
    expect(a.notify).toEqual(['chat', 'pager'])
    expect(b.trigger).toEqual({kind: 'cron', expression: '*/5 * * * *', timezone: 'Europe/Paris'})
    expect(b.notify).toEqual(['pager'])
    expect(b.incident).toEqual({afterMs: 300_000, severity: 'SEV2', playbook: undefined, title: undefined})
    expect(c.incident?.afterFailures).toBe(4)
    // A check's thresholds: replaces the defaults' as a whole; keys it leaves out come from watch.thresholds.
    expect(c.thresholds).toEqual({failure: 3, recovery: 4})
    expect(config!.notifiers.get('pager')).toMatchObject({
      type: 'teams',
      from: '${env:TEAMS}',
      minIntervalMs: 600_000,
      events: new Set(['failing', 'recovered']),
    })
    expect(config!.settings).toMatchObject({concurrency: 8, canary: {target: '10.0.0.1:443', ratio: 0.5, minChecks: 3}})
  })

  it('reports what the schema cannot see, located, with did-you-mean', () => {
    const {problems} = build(`
checks:
  - {id: a, kind: tcp, target: "127.0.0.1:1", schedule: "61 * * * *"}
  - {id: b, kind: tcp, target: "127.0.0.1:1", schedule: "* * * * *", timezone: Europe/Londn}
  - {id: c, kind: tcp, target: "127.0.0.1:1", notify: [chta]}
notifiers:
  chat: {type: slack, url: "\${env:SLACK_URL}"}
maintenance:
  - {name: x, start: "22:00"}
  - {name: y, start: "2026-12-01T22:00", end: "2026-12-01T21:00"}
watch:
  canary: {check: aa}
`)
    expect(problems).toEqual([
      '3:57 checks[0].schedule: minute: 61 is a invalid expression for minute (check a)',
      '4:80 checks[1].timezone: unknown time zone "Europe/Londn" (expected an IANA name such as Europe/London) (check b)',
      '5:56 checks[2].notify[0]: no notifier named "chta"; did you mean "chat"?',
      '7:28 notifiers.chat.url: environment variable SLACK_URL is not set (the URL of notifier "chat")',
      '9:22 maintenance[0].start: a one-off window starts at a date and time such as 2026-12-01T22:00 (a time of day alone needs every:)',
      '10:47 maintenance[1].end: the window ends before it starts',
      '12:19 watch.canary.check: no check with id "aa"; did you mean "a"?',
    ])
  })

  it('rejects a notifier URL written into the file, through the schema', () => {
    const {problems} = build(`
checks:
  - {id: a, kind: tcp, target: "127.0.0.1:1"}
notifiers:
  chat: {type: slack, url: "https://hooks.slack.com/services/T/B/secret"}
`)
    expect(problems.length).toBe(1)
    expect(problems[0]).toMatch(
      /^5:\d+ notifiers\.chat\.url: expected the incoming-webhook URL, only as \$\{env:NAME\}/,
    )
  })
})
