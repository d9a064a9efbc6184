import {execFile} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'
import {describe, expect, it} from 'vitest'

import {ROOT, tmpDir} from '../helpers/cli.js'

const PROMTOOL = '/usr/bin/promtool'
const FILE = path.join(ROOT, 'deploy', 'grafana', 'watchkeeper.json')

interface Panel {
  id: number
  type: string
  title: string
  datasource?: {type: string; uid: string}
  gridPos: {x: number; y: number; w: number; h: number}
  targets?: {refId: string; expr: string; datasource?: {type: string; uid: string}}[]
  panels?: Panel[]
}

const dash = JSON.parse(fs.readFileSync(FILE, 'utf8')) as {uid: string; title: string; schemaVersion: number; panels: Panel[]; time: unknown
  templating: {list: {name: string; type: string; query: unknown; allValue?: string}[]}}

/** Metric names watch exports: its own source, and the fleet names another branch adds (docs/fleet-metrics.md). */
function exportedNames(): Set<string> {
  const src = fs.readFileSync(path.join(ROOT, 'src', 'metrics', 'watch-metrics.ts'), 'utf8')
  const names = new Set([...src.matchAll(/name: '([a-z_]+)'/g)].map((m) => m[1]))
  for (const n of ['watchkeeper_check_up', 'watchkeeper_check_interval_seconds', 'watchkeeper_check_timestamp_seconds']) names.add(n)
  return names
}

/** Grafana's variables replaced by values PromQL accepts, as Grafana would at query time. */
const expand = (expr: string) => expr.replaceAll(/\$__range\b/g, '1d').replaceAll(/\$__rate_interval\b/g, '5m').replaceAll(/\$__interval\b/g, '1m').replaceAll(/\$\{?(vantage|service|check)\}?/g, '.*')

describe('deploy/grafana/watchkeeper.json', () => {
  const panels = dash.panels.filter((p) => p.type !== 'row')

  it('is a dashboard in Grafana\'s model: schemaVersion, uid, time, unique ids, panels with a datasource, targets and a gridPos that do not overlap', () => {
    expect(dash.schemaVersion).toBeGreaterThanOrEqual(36)
    expect(dash.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/)
    expect(dash.time).toEqual({from: 'now-24h', to: 'now'})
    const ids = dash.panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(panels.length).toBeGreaterThanOrEqual(15)
    const known = new Set(['stat', 'state-timeline', 'bargauge', 'table', 'timeseries'])
    for (const p of panels) {
      expect(known.has(p.type), p.title).toBe(true)
      expect(p.datasource, p.title).toEqual({type: 'prometheus', uid: '${datasource}'})
      expect(p.targets?.length, p.title).toBeGreaterThan(0)
      for (const t of p.targets!) {
        expect(t.refId).toMatch(/^[A-Z]$/)
        expect(t.expr.length).toBeGreaterThan(0)
        expect(t.datasource).toEqual(p.datasource)
      }
    }

    for (const p of dash.panels) {
      const g = p.gridPos
      for (const v of [g.x, g.y, g.w, g.h]) expect(Number.isInteger(v), p.title).toBe(true)
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24)
      expect(g.w * g.h).toBeGreaterThan(0)
    }

    for (let i = 0; i < dash.panels.length; i++) {
      for (let j = i + 1; j < dash.panels.length; j++) {
        const a = dash.panels[i].gridPos
        const b = dash.panels[j].gridPos
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
        expect(overlap, `${dash.panels[i].title} overlaps ${dash.panels[j].title}`).toBe(false)
      }
    }
  })

  it('has datasource, vantage, service and check variables; every selector honours vantage', () => {
    expect(dash.templating.list.map((v) => v.name)).toEqual(['datasource', 'vantage', 'service', 'check'])
    expect(dash.templating.list[0]).toMatchObject({type: 'datasource', query: 'prometheus'})
    for (const v of dash.templating.list.slice(1)) expect(v).toMatchObject({type: 'query', allValue: '.*'})
    for (const p of panels) for (const t of p.targets!) expect(t.expr, p.title).toContain('vantage=~"$vantage"')
  })

  it('queries only metrics that watch exports', () => {
    const names = exportedNames()
    const used = new Set(panels.flatMap((p) => p.targets!.flatMap((t) => [...t.expr.matchAll(/\b((?:probe|watchkeeper)_[a-z_]+)\b/g)].map((m) => m[1].replace(/_bucket$/, '')))))
    for (const n of used) expect(names.has(n), n).toBe(true)
    for (const n of ['watchkeeper_check_state', 'probe_http_duration_seconds', 'probe_ssl_earliest_cert_expiry', 'watchkeeper_incidents_open', 'watchkeeper_incident_clock_seconds_left', 'probe_success']) expect(used.has(n), n).toBe(true)
  })

  it('has PromQL that promtool parses (every expression as a recording rule)', async () => {
    expect(fs.existsSync(PROMTOOL), `${PROMTOOL} is needed (scripts/deps.sh test installs prometheus)`).toBe(true)
    const tmp = tmpDir('wk-grafana-')
    try {
      const exprs = panels.flatMap((p) => p.targets!.map((t) => expand(t.expr)))
      for (const v of dash.templating.list.slice(1)) {
        const q = String((v.query as {query: string}).query)
        const m = /^label_values\((.*), *[a-z_]+\)$/.exec(q)
        expect(q).toMatch(/^label_values\((.*), *[a-z_]+\)$/)
        exprs.push(expand(m![1]))
      }

      const rules = {groups: [{name: 'grafana-dashboard', rules: exprs.map((expr, i) => ({record: `dashboard:expr_${i}`, expr}))}]}
      const file = path.join(tmp.dir, 'rules.json')
      fs.writeFileSync(file, JSON.stringify(rules))
      const {stdout} = await promisify(execFile)(PROMTOOL, ['check', 'rules', file])
      expect(stdout).toContain(`SUCCESS: ${exprs.length} rules found`)
      // And a broken expression is caught, so the check above means something.
      fs.writeFileSync(file, JSON.stringify({groups: [{name: 'g', rules: [{record: 'r', expr: 'sum by (check (probe_success)'}]}]}))
      await expect(promisify(execFile)(PROMTOOL, ['check', 'rules', file])).rejects.toThrow()
    } finally {
      tmp.cleanup()
    }
  })
})
