import type http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {issueCert, rootCA} from '../helpers/certs.js'
import {runCli, tmpDir} from '../helpers/cli.js'
import {type RunningServer, startHttp, startTcp, startTls} from '../helpers/servers.js'

/*
 * A reader of plugin output written from the Nagios plugin development guidelines
 * (nagios-plugins.org/doc/guidelines.html), independent of the renderer:
 *   first line   SERVICE STATUS: text | perfdata
 *   long output  lines of text; a second `|` starts more perfdata, which runs to the end
 *   perfdata     'label'=value[UOM];[warn];[crit];[min];[max], space separated, trailing ; optional
 *   label        any characters but = and '; quoted with ' when it has spaces; '' is a quote
 *   value, min, max  [-0-9.] only; UOM one of none, s, ms, us, %, B, KB, MB, TB, c
 *   warn, crit   ranges [@]start:end — start and : left out when start is 0, end left out for
 *                infinity, ~ for negative infinity; an alert is raised outside the range (inside with @)
 */

interface Range {
  inside: boolean
  start: number
  end: number
}

interface Perf {
  label: string
  value: number
  uom: string
  warn?: Range
  crit?: Range
  min?: number
  max?: number
}

interface PluginOutput {
  service: string
  status: string
  text: string
  long: string[]
  perf: Perf[]
}

const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)$/
const UOMS = new Set(['', 's', 'ms', 'us', '%', 'B', 'KB', 'MB', 'TB', 'c'])

function parseNumber(s: string, what: string): number {
  if (!NUMBER.test(s)) throw new Error(`${what} "${s}" is not a plain decimal number`)
  return Number(s)
}

function parseRange(s: string, what: string): Range | undefined {
  if (s === '') return undefined
  const m = /^(@?)(?:(~|[^:]*):)?([^:]*)$/.exec(s)
  if (!m) throw new Error(`${what} "${s}" is not a range`)
  const start = m[2] === undefined || m[2] === '' ? 0 : m[2] === '~' ? -Infinity : parseNumber(m[2], `${what} start`)
  const end = m[3] === '' ? (m[2] === undefined ? Number.NaN : Infinity) : parseNumber(m[3], `${what} end`)
  if (Number.isNaN(end)) throw new Error(`${what} "${s}" is empty`)
  if (start > end) throw new Error(`${what} "${s}" starts after it ends`)
  return {inside: m[1] === '@', start, end}
}

/** Whether a value raises the alert of a range. */
function alerts(r: Range | undefined, x: number): boolean {
  if (!r) return false
  const within = x >= r.start && x <= r.end
  return r.inside ? within : !within
}

function parsePerfdata(s: string): Perf[] {
  const out: Perf[] = []
  const item = /\s*('(?:[^']|'')+'|[^'=\s]+)=(\S*)/y
  let rest = s.trim()
  while (rest !== '') {
    item.lastIndex = 0
    const m = item.exec(rest)
    if (!m) throw new Error(`cannot read perfdata at "${rest}"`)
    rest = rest.slice(item.lastIndex).trimStart()
    const label = m[1].startsWith("'") ? m[1].slice(1, -1).replaceAll("''", "'") : m[1]
    if (label.includes('=')) throw new Error(`label ${label} has an =`)
    const fields = m[2].split(';')
    if (fields.length > 5) throw new Error(`perfdata ${m[0]} has more than 5 fields`)
    const vm = /^(-?[\d.]+)(.*)$/.exec(fields[0])
    if (!vm) throw new Error(`perfdata ${m[0]} has no value`)
    if (!UOMS.has(vm[2])) throw new Error(`perfdata ${m[0]}: UOM "${vm[2]}" is not one the guidelines allow`)
    out.push({
      label,
      value: parseNumber(vm[1], `value of ${label}`),
      uom: vm[2],
      warn: parseRange(fields[1] ?? '', `warn of ${label}`),
      crit: parseRange(fields[2] ?? '', `crit of ${label}`),
      ...(fields[3] ? {min: parseNumber(fields[3], `min of ${label}`)} : {}),
      ...(fields[4] ? {max: parseNumber(fields[4], `max of ${label}`)} : {}),
    })
  }

  return out
}

function parsePluginOutput(stdout: string): PluginOutput {
  const lines = stdout.replace(/\n$/, '').split('\n')
  const head = /^(\S+) (OK|WARNING|CRITICAL|UNKNOWN): ([^|]+?)(?: \| (.*))?$/.exec(lines[0])
  if (!head) throw new Error(`first line is not "SERVICE STATUS: text | perfdata": ${lines[0]}`)
  const perf = head[4] ? parsePerfdata(head[4]) : []
  const long: string[] = []
  let i = 1
  for (; i < lines.length; i++) {
    const bar = lines[i].indexOf('|')
    if (bar === -1) {
      long.push(lines[i])
      continue
    }

    if (bar > 0) long.push(lines[i].slice(0, bar).trimEnd())
    perf.push(...parsePerfdata(lines[i].slice(bar + 1)))
    break
  }

  for (i++; i < lines.length; i++) perf.push(...parsePerfdata(lines[i]))
  const labels = perf.map((p) => p.label)
  if (new Set(labels).size !== labels.length) throw new Error(`duplicate labels: ${labels.join(' ')}`)
  return {service: head[1], status: head[2], text: head[3], long, perf}
}

const EXIT: Record<string, number> = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}

describe('check run --format nagios follows the plugin guidelines (real CLI against loopback servers)', () => {
  const servers: RunningServer[] = []
  let web: RunningServer<http.Server>
  let tmp: ReturnType<typeof tmpDir>
  let file: string
  let db: string

  beforeAll(async () => {
    tmp = tmpDir('wk-nagios-')
    const ca = await rootCA()
    fs.writeFileSync(path.join(tmp.dir, 'ca.pem'), ca.cert)
    web = await startHttp((req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('slow'), 120)
      res.end('x'.repeat(2048))
    })
    const expiring = await issueCert({hosts: ['digital.nhs.uk'], days: 20})
    const tlsSite = await startTls({key: expiring.key, cert: expiring.fullchain})
    const closed = await startTcp(() => {})
    await closed.close()
    servers.push(web, tlsSite)
    file = path.join(tmp.dir, 'nagios.yaml')
    fs.writeFileSync(
      file,
      [
        'defaults: {timeout: 3s}',
        'checks:',
        `  - {id: site, kind: http, target: "${web.url}/", latency: {warn: 800ms, crit: 3s}}`,
        `  - {id: slow, kind: http, target: "${web.url}/slow", latency: {warn: 50ms, crit: 2s}}`,
        `  - {id: cert, kind: tls, target: "digital.nhs.uk:${tlsSite.port}", ca: ca.pem, resolve: ["digital.nhs.uk:${tlsSite.port}:127.0.0.1"]}`,
        `  - {id: mail.closed, kind: tcp, target: "${closed.url}"}`,
        '',
      ].join('\n'),
    )
    db = path.join(tmp.dir, 'n.db')
  })
  afterAll(async () => {
    for (const s of servers) await s.close()
    tmp.cleanup()
  })

  const run = async (...args: string[]) => {
    const res = await runCli(['check', 'run', '--checks', file, '--format', 'nagios', '--db', db, ...args])
    const out = parsePluginOutput(res.stdout)
    expect(res.code).toBe(EXIT[out.status])
    return {res, out}
  }

  it('a certificate with 20 days left warns, and its perfdata says so in range syntax (30: and 14:)', async () => {
    const {out} = await run('--id', 'cert')
    expect(out.service).toBe('cert')
    expect(out.status).toBe('WARNING')
    const days = out.perf.find((p) => p.label === 'certDaysLeft')!
    expect(days.uom).toBe('')
    expect(days.value).toBeGreaterThan(19)
    expect(days.value).toBeLessThan(20)
    expect(days.warn).toEqual({inside: false, start: 30, end: Infinity})
    expect(days.crit).toEqual({inside: false, start: 14, end: Infinity})
    expect(alerts(days.warn, days.value)).toBe(true)
    expect(alerts(days.crit, days.value)).toBe(false)
    // The finding behind the status is long output.
    expect(out.long).toEqual([expect.stringMatching(/^warn tls\.cert\.expiring: certificate expires in 19 days/)])
    const time = out.perf.find((p) => p.label === 'time')!
    expect(time).toMatchObject({uom: 's', min: 0})
  })

  it('a healthy page: time in seconds inside its latency range, size in bytes', async () => {
    const {out} = await run('--id', 'site')
    expect(out).toMatchObject({service: 'site', status: 'OK', long: []})
    const byLabel = Object.fromEntries(out.perf.map((p) => [p.label, p]))
    expect(byLabel.time).toMatchObject({
      uom: 's',
      warn: {inside: false, start: 0, end: 0.8},
      crit: {inside: false, start: 0, end: 3},
      min: 0,
    })
    expect(byLabel.time.value).toBeLessThan(0.8)
    expect(alerts(byLabel.time.warn, byLabel.time.value)).toBe(false)
    expect(byLabel.size).toMatchObject({value: 2048, uom: 'B', min: 0})
    expect(byLabel.httpStatus).toMatchObject({value: 200, uom: ''})
    expect(Object.keys(byLabel).filter((l) => l.endsWith('Ms'))).toEqual([])
  })

  it('a slow page warns and its time is outside the warn range', async () => {
    const {out} = await run('--id', 'slow')
    expect(out.status).toBe('WARNING')
    const time = out.perf.find((p) => p.label === 'time')!
    expect(alerts(time.warn, time.value)).toBe(true)
    expect(alerts(time.crit, time.value)).toBe(false)
  })

  it('several checks: counts on the first line, one long line per check worst first, all perfdata readable', async () => {
    const {res, out} = await run()
    expect(res.code).toBe(2)
    expect(out).toMatchObject({
      service: 'WATCHKEEPER',
      status: 'CRITICAL',
      text: '4 checks: 1 critical, 2 warning, 0 unknown, 1 ok',
    })
    const checkLines = out.long.filter((l) => !l.startsWith('  '))
    expect(checkLines.map((l) => l.split(':')[0])).toEqual([
      'CRITICAL mail.closed',
      'WARNING slow',
      'WARNING cert',
      'OK site',
    ])
    expect(out.long).toContainEqual(expect.stringMatching(/^ {2}warn tls\.cert\.expiring: /))
    const labels = out.perf.map((p) => p.label)
    expect(labels.slice(0, 4)).toEqual(['site_time', 'slow_time', 'cert_time', 'mail.closed_time'])
    expect(labels).toEqual(expect.arrayContaining(['cert_certDaysLeft', 'site_size', 'site_httpStatus']))
    const days = out.perf.find((p) => p.label === 'cert_certDaysLeft')!
    expect(alerts(days.warn, days.value)).toBe(true)
  })

  it('anything that stops the run is an UNKNOWN line on stdout and exit 3', async () => {
    const missing = await runCli([
      'check',
      'run',
      '--checks',
      path.join(tmp.dir, 'absent.yaml'),
      '--format',
      'nagios',
      '--db',
      db,
    ])
    expect(missing.code).toBe(3)
    const out = parsePluginOutput(missing.stdout)
    expect(out).toMatchObject({service: 'WATCHKEEPER', status: 'UNKNOWN', perf: []})
    expect(out.text).toContain('Check catalogue not found')

    const badFlag = await runCli([
      'check',
      'run',
      '--checks',
      file,
      '-f',
      'nagios',
      '--concurrency',
      'many',
      '--db',
      db,
    ])
    expect(badFlag.code).toBe(3)
    expect(parsePluginOutput(badFlag.stdout)).toMatchObject({status: 'UNKNOWN'})

    const bad = path.join(tmp.dir, 'bad.yaml')
    fs.writeFileSync(bad, 'checks:\n  - {id: x, kind: tcp}\n  - {id: y, kind: tcp, target: "h:1", alerst: 1}\n')
    const badDef = await runCli(['check', 'run', '--checks', bad, '--format=nagios', '--db', db])
    expect(badDef.code).toBe(3)
    const def = parsePluginOutput(badDef.stdout)
    expect(def.status).toBe('UNKNOWN')
    expect(def.long.join('\n')).toContain(`${bad}:3:`)
  })

  it('the reader rejects what the guidelines do not allow', () => {
    expect(() => parsePluginOutput("OK - x | 'a'=1ms")).toThrow(/first line/)
    expect(() => parsePluginOutput("x OK: fine | 'a'=1d")).toThrow(/UOM "d"/)
    expect(() => parsePluginOutput("x OK: fine | 'a'=1e-7s")).toThrow(/UOM|decimal/)
    expect(() => parsePluginOutput("x OK: fine | 'a'=1;30:;20")).not.toThrow()
    expect(() => parsePluginOutput("x OK: fine | 'a'=1;30:10")).toThrow(/starts after/)
  })
})
