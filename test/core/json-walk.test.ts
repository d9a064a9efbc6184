import fs from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp} from '../helpers/servers.js'
import {webhookReceiver} from '../monitor/harness.js'
import {type Site, startSite} from '../posture/site.js'

/*
 * Every command of the oclif manifest, run with --json against one database filled by real runs: stdout must
 * be exactly one JSON document, and every time in it ISO 8601 UTC with milliseconds. The commands come from
 * the manifest, so a new command is walked too; one with required arguments needs a line in RECIPES.
 */

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
/** Keys that hold a time (an instant), by name. Durations end in Ms/Seconds and are numbers. */
const TIME_KEY =
  /(At|^at|^ts|Ts|^since|^until|^lastRun|Since|Until|^date|Date|^time|Time|^when|^due|Due|^deadline|Deadline|^started|^finished|^opened|^closed|^resolved|^expires|Expires)$/
const DURATION_KEY = /(Ms|Seconds|Minutes|Hours|Days|Bytes|Rank|Bits)$/

interface Violation {
  path: string
  value: unknown
}

/** Times that are not ISO strings: numbers under a time key, date-like strings not in ISO-with-ms form. */
function timeViolations(value: unknown, at = '$'): Violation[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => timeViolations(v, `${at}[${i}]`))
  if (value === null || typeof value !== 'object') return []
  const out: Violation[] = []
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const here = `${at}.${k}`
    // metrics are named numbers by contract (certNotAfter is Unix seconds there, as Prometheus has it).
    if (k === 'metrics') continue
    if (typeof v === 'number' && TIME_KEY.test(k) && !DURATION_KEY.test(k)) out.push({path: here, value: v})
    else if (typeof v === 'number' && v > 1.5e12 && v < 2.5e12 && !DURATION_KEY.test(k))
      out.push({path: here, value: v})
    else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) && !ISO_MS.test(v))
      out.push({path: here, value: v})
    else if (
      typeof v === 'string' &&
      TIME_KEY.test(k) &&
      /^\d{4}-\d{2}-\d{2}/.test(v) &&
      !ISO_MS.test(v) &&
      !/^\d{4}-\d{2}-\d{2}$/.test(v)
    )
      out.push({path: here, value: v})
    else out.push(...timeViolations(v, here))
  }

  return out
}

let tmp: {dir: string; cleanup: () => void}
let api: RunningServer
let hook: Awaited<ReturnType<typeof webhookReceiver>>
let site: Site
let file: string
let db: string
let env: NodeJS.ProcessEnv

interface Recipe {
  args: string[]
  /** Runs after the others, in this order (mutations of the incident). */
  late?: number
  /** Expected exit code (default 0). */
  exit?: number
}

/** Arguments for commands that need them; `{file}`, `{dir}` are filled in. */
const RECIPES: Record<string, Recipe> = {
  'check:run': {args: ['--checks', '{file}'], exit: 2},
  'check:list': {args: ['--checks', '{file}']},
  'check:validate': {args: ['--checks', '{file}']},
  history: {args: ['api']},
  status: {args: ['--checks', '{file}']},
  watch: {args: ['--once', '--checks', '{file}']},
  'notify:list': {args: ['--checks', '{file}']},
  'notify:test': {args: ['ops', '--checks', '{file}']},
  'db:backup': {args: ['{dir}/backup.db']},
  init: {args: ['--url', 'http://127.0.0.1:9/health', '--out', '{dir}/starter.yaml']},
  'db:prune': {args: ['--dry-run']},
  'posture:diff': {args: ['--since', '1d']},
  'report:status-site': {args: ['--out', '{dir}/status-site', '--checks', '{file}']},
  'incident:open': {
    args: [
      '--title',
      'Patient API outage',
      '--severity',
      'SEV2',
      '--playbook',
      'ddos-national-endpoint',
      '--check',
      'api',
    ],
  },
  'incident:show': {args: ['1'], late: 4.5},
  'incident:export': {args: ['1', '--format', 'md'], late: 4.6},
  'incident:report': {args: ['1', '--for', 'ico'], late: 4.7},
  'incident:verify': {args: ['1'], late: 10},
  'incident:note': {args: ['1', 'Users report errors'], late: 1},
  'incident:assign': {args: ['1', 'ic', 'A. Responder'], late: 2},
  'incident:severity': {args: ['1', 'SEV1'], late: 3},
  'incident:clock': {args: ['1', 'start', 'nis_72h'], late: 4},
  'incident:step': {args: ['1', 'declare', '--done', '--var', 'endpoint_url=https://example.invalid/'], late: 5},
  'incident:respond': {args: ['1', '--answers', '{dir}/answers.yaml'], late: 6, exit: 1},
  'incident:status': {args: ['1', 'active'], late: 7},
  'incident:resolve': {args: ['1', '--reason', 'fixed'], late: 8},
  'incident:close': {args: ['1', '--reason', 'reviewed'], late: 9},
  'playbook:show': {args: ['ddos-national-endpoint']},
  // A whole exercise run is walked in test/exercises; here each exercise command answers in JSON, errors included.
  'exercise:run': {args: ['no-such-scenario'], exit: 2},
  'exercise:inject': {args: ['1'], exit: 2},
  'exercise:answer': {args: ['1', 'briefing', '--text', 'noted'], exit: 2},
  'exercise:action': {args: ['1', '--text', 'Fix it', '--owner', 'A. Responder', '--due', '2027-01-31'], exit: 2},
  'exercise:report': {args: ['1'], exit: 2},
  'exercise:verify': {args: ['{dir}/no-such-pack.json'], exit: 2},
  'playbook:validate': {args: [path.join(ROOT, 'playbooks', 'ddos-national-endpoint.yaml')]},
}

function manifestCommands(): {id: string; requiredArgs: string[]}[] {
  const m = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, {args?: Record<string, {required?: boolean}>}>
  }
  return Object.entries(m.commands).map(([id, c]) => ({
    id,
    requiredArgs: Object.entries(c.args ?? {})
      .filter(([, a]) => a.required)
      .map(([k]) => k),
  }))
}

beforeAll(async () => {
  tmp = tmpDir('wk-json-walk-')
  api = await startHttp((req, res) => res.writeHead(503).end('down'))
  hook = await webhookReceiver()
  site = await startSite()
  fs.writeFileSync(path.join(tmp.dir, 'ca.pem'), site.ca)
  db = path.join(tmp.dir, 'wk.db')
  file = path.join(tmp.dir, 'checks.yaml')
  fs.writeFileSync(
    file,
    `
defaults: {timeout: 2s}
checks:
  - {id: api, name: Patient API, kind: http, target: "${api.url}/", service: PDS, thresholds: {failure: 1}}
  - {id: site-posture, kind: web-security, target: "${site.url}", http_port: ${site.http.port}, ca: ca.pem, timeout: 10s, resolve: [${site.resolve.map((r) => `"${r}"`).join(', ')}]}
notifiers:
  ops: {type: webhook, url: "\${env:HOOK_URL}"}
`,
  )
  fs.writeFileSync(path.join(tmp.dir, 'answers.yaml'), 'declare: {checklist: [true, true]}\n')
  env = {HOOK_URL: `${hook.url}/hook`, WATCHKEEPER_DB: db}
}, 30_000)
afterAll(async () => {
  await Promise.all([api.close(), hook.close(), site.close()])
  tmp.cleanup()
})

describe('--json on every command', () => {
  it('the manifest lists commands, and every one with required arguments has a recipe', () => {
    const commands = manifestCommands()
    expect(commands.length).toBeGreaterThan(30)
    expect(commands.filter((c) => c.requiredArgs.length > 0 && !RECIPES[c.id]).map((c) => c.id)).toEqual([])
  })

  it('prints exactly one JSON document on stdout, with every time in ISO 8601 UTC with milliseconds', async () => {
    const commands = manifestCommands()
    // Fill the database first: results, watch state, an incident.
    const first = ['check:run', 'watch', 'incident:open']
    const order = [
      ...first,
      ...commands
        .map((c) => c.id)
        .filter((id) => !first.includes(id) && !RECIPES[id]?.late)
        .sort(),
      ...commands
        .map((c) => c.id)
        .filter((id) => RECIPES[id]?.late)
        .sort((a, b) => RECIPES[a].late! - RECIPES[b].late!),
    ]
    const failures: string[] = []
    for (const id of order) {
      const recipe = RECIPES[id] ?? {args: []}
      const args = recipe.args.map((a) => a.replace('{file}', file).replace('{dir}', tmp.dir))
      const res = await runCli([...id.split(':'), ...args, '--json', '--db', db], {env})
      let doc: unknown
      try {
        doc = JSON.parse(res.stdout)
      } catch {
        failures.push(
          `${id}: stdout is not one JSON document: ${JSON.stringify(res.stdout.slice(0, 200))} (stderr ${res.stderr.slice(0, 200)})`,
        )
        continue
      }

      const expected = recipe.exit ?? (id === 'check:run' ? 2 : 0)
      if (res.code !== expected)
        failures.push(`${id}: exit ${res.code}, expected ${expected}: ${res.stdout.slice(0, 300)}`)
      for (const v of timeViolations(doc))
        failures.push(`${id}: ${v.path} = ${JSON.stringify(v.value)} is not an ISO 8601 UTC time with milliseconds`)
    }

    expect(failures).toEqual([])
  }, 240_000)

  it('the checker itself finds epoch numbers and second-precision strings', () => {
    expect(
      timeViolations({
        startedAt: 1_795_597_200_000,
        a: [{ts: '2026-11-25T09:00:00Z'}],
        ok: {at: '2026-11-25T09:00:00.000Z', durationMs: 12},
        metrics: {certNotAfter: 1_797_886_547},
      }),
    ).toEqual([
      {path: '$.startedAt', value: 1_795_597_200_000},
      {path: '$.a[0].ts', value: '2026-11-25T09:00:00Z'},
    ])
  })
})
