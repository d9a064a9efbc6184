import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {createCA, issueCert} from '../helpers/certs.js'
import {ROOT, tmpDir} from '../helpers/cli.js'
import {engine, runTool} from './engines.js'

const PROM = path.join(ROOT, 'deploy', 'prometheus')
const AM = path.join(ROOT, 'deploy', 'alertmanager')
const files = (dir: string, re: RegExp) =>
  fs
    .readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => path.join(dir, f))
const ruleFiles = files(path.join(PROM, 'rules'), /\.ya?ml$/)
const testFiles = files(path.join(PROM, 'tests'), /\.ya?ml$/)

interface Rule {
  alert?: string
  record?: string
  expr: string
}
const rules = ruleFiles.flatMap((f) =>
  (YAML.parse(fs.readFileSync(f, 'utf8')) as {groups: {rules: Rule[]}[]}).groups.flatMap((g) => g.rules),
)

describe('the shipped Prometheus rules (promtool)', () => {
  it('pass promtool check rules', async () => {
    expect(ruleFiles.length).toBeGreaterThanOrEqual(2)
    const r = await runTool(engine('promtool'), ['check', 'rules', ...ruleFiles])
    expect(r.stderr + r.stdout).toContain('SUCCESS')
    expect(r.code, r.stderr + r.stdout).toBe(0)
  })

  it('pass their promtool unit tests', async () => {
    const r = await runTool(engine('promtool'), ['test', 'rules', ...testFiles], {cwd: path.join(PROM, 'tests')})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout.match(/SUCCESS/g)).toHaveLength(testFiles.length)
  })

  it('every alert fires in some unit test and stays quiet in another; every recorded series is tested or used', () => {
    type Test = {alert_rule_test?: {alertname: string; exp_alerts?: unknown[]}[]; promql_expr_test?: {expr: string}[]}
    const tests = testFiles.flatMap((f) => (YAML.parse(fs.readFileSync(f, 'utf8')) as {tests: Test[]}).tests)
    const alertTests = tests.flatMap((t) => t.alert_rule_test ?? [])
    const exprs = tests.flatMap((t) => (t.promql_expr_test ?? []).map((e) => e.expr))
    for (const r of rules.filter((x) => x.alert)) {
      expect(
        alertTests.some((t) => t.alertname === r.alert && (t.exp_alerts ?? []).length > 0),
        `${r.alert} fires in a test`,
      ).toBe(true)
      expect(
        alertTests.some((t) => t.alertname === r.alert && (t.exp_alerts ?? []).length === 0),
        `${r.alert} is quiet in a test`,
      ).toBe(true)
    }

    for (const r of rules.filter((x) => x.record)) {
      const used = exprs.some((e) => e.includes(r.record!)) || rules.some((o) => o !== r && o.expr.includes(r.record!))
      expect(used, `${r.record} is tested or used`).toBe(true)
    }
  })
})

describe('the shipped Prometheus configs (promtool check config)', () => {
  it('central.yml is valid and loads the rules', async () => {
    const r = await runTool(engine('promtool'), ['check', 'config', path.join(PROM, 'central.yml')])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toContain(`SUCCESS: ${ruleFiles.length} rule files found`)
  })

  it('every agent-<vantage>.yml is a valid agent-mode config that remote_writes over TLS', async () => {
    const agents = files(PROM, /^agent-.+\.yml$/)
    expect(agents.length).toBeGreaterThanOrEqual(3)
    const nets = new Set<string>()
    for (const f of agents) {
      const r = await runTool(engine('promtool'), ['check', 'config', '--agent', f])
      expect(r.code, `${f}: ${r.stdout}${r.stderr}`).toBe(0)
      const doc = YAML.parse(fs.readFileSync(f, 'utf8')) as {
        global: {external_labels: Record<string, string>}
        remote_write: {url: string; tls_config: Record<string, string>}[]
      }
      expect(doc.global.external_labels.vantage).toBe(path.basename(f).replaceAll(/^agent-|\.yml$/g, ''))
      nets.add(doc.global.external_labels.net)
      for (const w of doc.remote_write) {
        expect(w.url).toMatch(/^https:\/\//)
        expect(Object.keys(w.tls_config)).toEqual(expect.arrayContaining(['ca_file', 'cert_file', 'key_file']))
      }
    }

    expect([...nets].sort()).toEqual(['hscn', 'internet'])
  })

  it('web.yml (TLS and client certificates on the remote-write receiver) passes promtool check web-config', async () => {
    const tmp = tmpDir('wk-webcfg-')
    try {
      const ca = await createCA('watchkeeper fleet test CA')
      const leaf = await issueCert({hosts: ['prometheus.soc.example.nhs.uk'], issuer: ca})
      const put = (name: string, text: string) => {
        fs.writeFileSync(path.join(tmp.dir, name), text)
        return path.join(tmp.dir, name)
      }

      const map: Record<string, string> = {
        '/etc/prometheus/tls/central.crt': put('central.crt', leaf.fullchain),
        '/etc/prometheus/tls/central.key': put('central.key', leaf.key),
        '/etc/prometheus/tls/fleet-ca.pem': put('fleet-ca.pem', ca.cert),
      }
      let text = fs.readFileSync(path.join(PROM, 'web.yml'), 'utf8')
      for (const [from, to] of Object.entries(map)) text = text.replaceAll(from, to)
      expect(text).not.toContain('/etc/prometheus')
      const r = await runTool(engine('promtool'), ['check', 'web-config', put('web.yml', text)])
      expect(r.code, r.stdout + r.stderr).toBe(0)
    } finally {
      tmp.cleanup()
    }
  })
})

describe('the shipped Alertmanager config (amtool)', () => {
  const config = path.join(AM, 'alertmanager.yml')

  it('passes amtool check-config', async () => {
    const r = await runTool(engine('amtool'), ['check-config', config])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toContain('SUCCESS')
  })

  it('routes fleet pages to the watchkeeper receiver (and the pager), vantage alerts to the vantage owner only', async () => {
    const route = async (...labels: string[]) =>
      (
        await runTool(engine('amtool'), ['config', 'routes', 'test', `--config.file=${config}`, ...labels])
      ).stdout.trim()
    expect(await route('alertname=ServiceDownByQuorum', 'check=nhs-app', 'severity=page', 'scope=fleet')).toBe(
      'watchkeeper-incidents,soc-page',
    )
    expect(
      await route(
        'alertname=PublicEdgeOnlyFailure',
        'check=nhs-app',
        'severity=page',
        'scope=fleet',
        'route=ddos-national-endpoint',
      ),
    ).toBe('watchkeeper-incidents,soc-page')
    expect(
      await route('alertname=CheckFailingAtVantage', 'check=nhs-app', 'vantage=a', 'severity=ticket', 'scope=vantage'),
    ).toBe('vantage-owner-ticket')
    expect(await route('alertname=VantageLostConnectivity', 'vantage=a', 'severity=ticket', 'scope=vantage')).toBe(
      'vantage-owner-ticket',
    )
  })

  it("sends to watch's /alertmanager with a bearer token from a file, resolved notifications included, and inhibits per-vantage alerts by check", () => {
    const doc = YAML.parse(fs.readFileSync(config, 'utf8')) as {
      receivers: {
        name: string
        webhook_configs?: {
          url: string
          send_resolved?: boolean
          http_config?: {authorization?: Record<string, string>}
        }[]
      }[]
      inhibit_rules: {source_matchers: string[]; target_matchers: string[]; equal: string[]}[]
    }
    const hook = doc.receivers.find((r) => r.name === 'watchkeeper-incidents')!.webhook_configs![0]
    expect(new URL(hook.url).pathname).toBe('/alertmanager')
    expect(hook.send_resolved).toBe(true)
    expect(hook.http_config?.authorization).toEqual({type: 'Bearer', credentials_file: expect.stringMatching(/^\//)})
    expect(doc.inhibit_rules[0]).toEqual({
      source_matchers: ['scope="fleet"', 'severity="page"'],
      target_matchers: ['scope="vantage"'],
      equal: ['check'],
    })
  })

  it('the three-node cluster example uses flags this Alertmanager has', async () => {
    const text = fs.readFileSync(path.join(AM, 'prometheus-alertmanager.default'), 'utf8')
    const flags = [...text.matchAll(/(--[a-z][a-z.-]+)=/g)].map((m) => m[1])
    expect(flags.filter((f) => f === '--cluster.peer')).toHaveLength(2)
    const help = await runTool(engine('prometheus-alertmanager'), ['--help-long'])
    for (const f of new Set(flags)) expect(help.stdout + help.stderr, f).toContain(`${f}=`)
  })
})
