import {execFile} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {CheckResult, Status} from '../../src/types.js'
import {appendEvents} from '../../src/incidents/service.js'
import {openDatabase} from '../../src/store/db.js'
import {insertResults, recentResults, startRun, upsertChecks} from '../../src/store/results.js'
import {ROOT, runCli, tmpDir} from '../helpers/cli.js'
import {decodePng} from '../helpers/png.js'

const CHROMIUM = '/usr/bin/chromium'
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'playbooks', 'views', 'command-output.yaml')
const ESC = '\u001B'
const BEL = '\u0007'

/** Headless Chromium with a fresh profile and nothing reaching out. */
async function chromium(profile: string, args: string[]): Promise<string> {
  const {stdout} = await promisify(execFile)(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--hide-scrollbars',
      ...args,
    ],
    {timeout: 90_000, maxBuffer: 20 * 1024 * 1024},
  )
  return stdout
}

interface Box {
  x: number
  y: number
  w: number
  h: number
  text?: string
  cls?: string | null
}
interface Layout {
  width: number
  height: number
  from: number
  to: number
  texts: Box[]
  plots: Box[]
  status: Box[]
  points: [number, number][][]
  marks: Box[]
}

const overlap = (a: Box, b: Box) =>
  Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x) > 0.5 && Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y) > 0.5

describe('what responders see of a command step, and the exports of a walked incident', () => {
  const tmp = tmpDir()
  const db = path.join(tmp.dir, 'wk.sqlite')
  const work = path.join(tmp.dir, 'work')
  const out = path.join(tmp.dir, 'out')
  const playbook = path.join(tmp.dir, 'playbooks', 'command-output.yaml')
  const cli = (args: string[]) => runCli([...args, '--db', db], {env: {WATCHKEEPER_ACTOR: 'ic-on-call'}, cwd: work})
  const t0 = Date.now() - 40 * 60_000
  const statusAt = (i: number): Status => (i < 15 ? 'ok' : i % 3 === 0 ? 'warn' : 'crit')
  let id = 0
  const files: Record<string, string> = {}

  beforeAll(() => {
    fs.mkdirSync(work)
    fs.mkdirSync(out)
    fs.mkdirSync(path.dirname(playbook))
    fs.copyFileSync(FIXTURE, playbook)
    const store = openDatabase(db)
    const target = 'https://127.0.0.1:8443/health'
    const refs = upsertChecks(store, [{id: 'epr-web', kind: 'http', target, service: 'EPR'}], t0)
    const run = startRun(store, 'test', t0)
    const results: CheckResult[] = Array.from({length: 40}, (_, i) => ({
      checkId: 'epr-web',
      kind: 'http',
      target,
      status: statusAt(i),
      summary: i < 15 ? 'HTTP 200' : 'HTTP 503',
      timings: {totalMs: 80 + ((i * 137) % 820)},
      findings: [],
      metrics: {},
      startedAt: t0 + i * 60_000,
      durationMs: 80 + ((i * 137) % 820),
      attempts: 1,
    }))
    insertResults(store, refs, run, results)
    store.close()
    fs.writeFileSync(path.join(work, 'answers.yaml'), 'noisy: {confirm: true}\nprobe: {confirm: true}\n')
  })
  afterAll(() => tmp.cleanup())

  it('walks a command step: exit code, output kept up to the cap, host and port taken from the check', async () => {
    const open = await cli([
      'incident',
      'open',
      '--title',
      'EPR <script>x</script> \u001B[31mdown',
      '--severity',
      'SEV2',
      '--from-check',
      'epr-web',
      '--playbook',
      playbook,
      '--json',
    ])
    expect(open.code, open.stderr).toBe(0)
    id = (JSON.parse(open.stdout) as {id: number}).id
    // As `watch` does, more failing results attached as evidence.
    const store = openDatabase(db)
    const failing = recentResults(store, 'epr-web', {limit: 4}).slice(1)
    appendEvents(
      store,
      id,
      'watchkeeper watch',
      Date.now(),
      failing.map((r) => ({
        type: 'evidence_attached',
        occurredAt: r.ts,
        data: {
          kind: 'check_result',
          checkId: r.checkId,
          resultId: r.resultId,
          status: r.status,
          summary: r.summary,
          target: r.target,
          durationMs: r.durationMs,
          findings: [],
        },
      })),
    )
    store.close()

    const walk = await cli(['incident', 'respond', String(id), '--answers', 'answers.yaml', '--json'])
    expect(walk.code, walk.stderr).toBe(0)
    expect(JSON.parse(walk.stdout)).toMatchObject({status: 'ended'})
    // A walk from an answers file shows each command's result on stderr too.
    expect(walk.stderr).toMatch(/Ran node -e .* 300: exit 3 in \d/)
    expect(walk.stderr).toContain('│ would connect to 127.0.0.1:8443')
    expect(walk.stderr).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F\u202E]/)

    const shown = JSON.parse((await cli(['incident', 'show', String(id), '--json'])).stdout) as {
      events: {seq: number; type: string; data: Record<string, any>}[]
    }
    const prefilled = shown.events
      .filter((e) => e.type === 'variable_recorded' && e.data.from === 'check')
      .map((e) => [e.data.name, e.data.value, e.data.checkId])
    expect(prefilled).toEqual([
      ['hostname', '127.0.0.1', 'epr-web'],
      ['port', 8443, 'epr-web'],
    ])
    const [noisy, probe] = shown.events.filter((e) => e.type === 'command_run')
    expect(noisy.data).toMatchObject({step: 'noisy', exitCode: 3, timedOut: false, outputTruncated: true})
    expect(noisy.data.outputBytes).toBeGreaterThan(8192)
    expect(noisy.data.outputKeptBytes).toBeLessThanOrEqual(8192)
    expect(Buffer.byteLength(noisy.data.output as string)).toBe(noisy.data.outputKeptBytes)
    expect(noisy.data.output).toContain(`${ESC}[2J${ESC}[31mRED${BEL} <script>alert(1)</script>`)
    expect(probe.data).toMatchObject({
      step: 'probe',
      exitCode: 0,
      argv: ['node', '-e', expect.any(String), '127.0.0.1:8443'],
      output: 'would connect to 127.0.0.1:8443\n',
    })

    // incident show: the exit code and the output, control bytes shown as escapes, the cut said.
    const text = await cli(['incident', 'show', String(id)])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('Command output')
    expect(text.stdout).toMatch(/Ran node -e .* 300: exit 3 in \d/)
    expect(text.stdout).toContain('│ \\x1b[2J\\x1b[31mRED\\x07 <script>alert(1)</script> \\u202eevil ``` | pipe')
    expect(text.stdout).toContain('│ line 19 ')
    expect(text.stdout).not.toContain('│ line 20 ')
    expect(text.stdout).toMatch(
      /… \d+ more lines not shown; the timeline keeps the first \d+ of \d+ bytes \(\d+ cut; the SHA-256 covers all of them\)/,
    )
    expect(text.stdout).toContain('│ would connect to 127.0.0.1:8443')
    expect(text.stdout).toContain('hostname = 127.0.0.1 (the host of check epr-web)')
    expect(text.stdout).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F\u202E]/)
  }, 300_000)

  it('exports every format without a local path, the md without repeating itself, the output escaped', async () => {
    expect((await cli(['incident', 'status', String(id), 'active'])).code).toBe(0)
    expect((await cli(['incident', 'resolve', String(id)])).code).toBe(0)
    for (const f of ['md', 'json', 'csv', 'html', 'cacao']) {
      files[f] = path.join(out, `incident.${f}`)
      const r = await cli(['incident', 'export', String(id), '--format', f, '--out', files[f]])
      expect(r.code, `${f}: ${r.stderr}`).toBe(0)
    }

    const text = Object.fromEntries(Object.entries(files).map(([f, p]) => [f, fs.readFileSync(p, 'utf8')]))
    for (const [f, t] of Object.entries(text)) {
      for (const local of [tmp.dir, fs.realpathSync(tmp.dir), work, ROOT, process.cwd()])
        expect(t.includes(local), `${f} carries ${local}`).toBe(false)
      expect(t, f).not.toMatch(/"\/(tmp|work|home|root|Users)\//)
    }

    const attached = (JSON.parse(text.json) as {events: {type: string; data: Record<string, unknown>}[]}).events.find(
      (e) => e.type === 'playbook_attached',
    )
    expect(attached?.data.file).toBe('command-output.yaml')

    const {md} = text
    expect(md).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F\u202E]/)
    // The command's output sits in a fence longer than any backtick run inside it, so nothing in it is read as Markdown or HTML.
    const block = /^### .* at step noisy\n\n(`{4,})text\n([\s\S]*?)\n\1\n\n(.*)$/m.exec(md)
    expect(block, md).not.toBeNull()
    const [, , body, result] = block!
    expect(body.split('\n')[0]).toMatch(/^\$ node -e 'const n = /)
    expect(body.split('\n')[1]).toBe('\\x1b[2J\\x1b[31mRED\\x07 <script>alert(1)</script> \\u202eevil ``` | pipe')
    expect(result).toMatch(
      /^\*\*exit 3\*\* in \d.*; \d+ bytes of output, SHA-256 `[0-9a-f]{64}`\. Output cut: .*the timeline keeps the first \d+ of \d+ bytes/,
    )
    // The md shows all the timeline kept (its last kept line, cut mid-way by the byte cap, included).
    expect(result).not.toContain('more lines not shown')
    const shownLines = body.split('\n')
    const whole = /^line (\d+) x{30}$/.exec(shownLines.at(-2) as string)
    expect(whole).not.toBeNull()
    expect(`line ${Number(whole![1]) + 1} ${'x'.repeat(30)}`.startsWith(shownLines.at(-1) as string)).toBe(true)
    expect(md.replace(block![0], '')).not.toContain('<script>')
    expect(md).toMatch(
      /```text\n\$ node -e 'console.log\("would connect to " \+ process.argv\[1\]\)' 127\.0\.0\.1:8443\nwould connect to 127\.0\.0\.1:8443\n```\n\n\*\*exit 0\*\*/,
    )
    // No repetition: the first evidence is named once, "Evidence:" is not doubled, and no line outside the timeline table comes twice.
    expect(md.match(/First evidence/g)).toHaveLength(1)
    expect(md).toMatch(
      /First evidence: check epr-web was (crit|warn) at .*: HTTP 503\. 3 more results were attached as evidence/,
    )
    expect(md).not.toContain('Evidence: Evidence')
    // Each timeline row gives the London time beside the UTC one, repeating the date only where it differs.
    const rows = md.split('\n').filter((l) => /^\| \d{4}-\d\d-\d\d /.test(l))
    expect(rows.length).toBeGreaterThan(10)
    for (const r of rows) {
      const [utc, london] = r.slice(2).split(' | ')
      expect(london).toMatch(/^(\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d (GMT|BST)$/)
      if (/^\d{4}/.test(london)) expect(london.slice(0, 10)).not.toBe(utc.slice(0, 10))
    }

    const prose = md.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('|'))
    const twice = prose.filter((l, i) => prose.indexOf(l) !== i)
    expect(twice).toEqual([])

    const {html} = text
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/i)
    expect(html).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F\u202E]/)
    expect(html).toContain('\\x1b[2J\\x1b[31mRED\\x07 &lt;script&gt;alert(1)&lt;/script&gt; \\u202eevil ``` | pipe')
    expect(html).toMatch(/<span class="bad">exit 3<\/span>/)
    const {csv} = text
    expect(csv).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/)

    const dom = await chromium(path.join(tmp.dir, 'profile-dom'), ['--dump-dom', `file://${files.html}`])
    expect(dom).not.toMatch(/<script/i)
    const pre = /<pre class="output">([\s\S]*?)<\/pre>/.exec(dom)
    expect(pre?.[1]).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(dom).toContain('Output cut: ')
  }, 300_000)

  it('fits the chart to the incident window, with a time axis, a latency scale and labels that do not overlap (measured in Chromium)', async () => {
    const html = fs.readFileSync(files.html, 'utf8')
    const svg = /<svg id="chart"[\s\S]*?<\/svg>/.exec(html)?.[0]
    expect(svg).toBeDefined()
    // The chart alone, 1 px a unit, with a script that measures what Chromium laid out.
    const probe = path.join(tmp.dir, 'chart-probe.html')
    fs.writeFileSync(
      probe,
      `<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0;background:#fff}svg{display:block;width:900px}</style></head><body>
${svg}
<pre id="layout"></pre>
<script>
const svg = document.getElementById('chart')
const box = (el) => { const b = el.getBBox(); return {x: b.x, y: b.y, w: b.width, h: b.height, text: el.textContent, cls: el.getAttribute('class')} }
const vb = svg.viewBox.baseVal
document.getElementById('layout').textContent = JSON.stringify({
  width: vb.width, height: vb.height, from: Number(svg.dataset.from), to: Number(svg.dataset.to),
  texts: [...svg.querySelectorAll('text')].map(box),
  plots: [...svg.querySelectorAll('rect.plot')].map(box),
  status: [...svg.querySelectorAll('rect.status')].map(box),
  points: [...svg.querySelectorAll('polyline.latency')].map((p) => [...p.points].map((q) => [q.x, q.y])),
  marks: [...svg.querySelectorAll('.marks line')].map(box),
})
document.getElementById('layout').style.display = 'none'
</script></body></html>`,
    )
    const dom = await chromium(path.join(tmp.dir, 'profile-probe'), ['--dump-dom', `file://${probe}`])
    const json = /<pre id="layout"[^>]*>([\s\S]*?)<\/pre>/.exec(dom)?.[1]
    expect(json, dom.slice(-2000)).toMatch(/^\{[\s\S]*\}$/)
    const L = JSON.parse(
      json!.replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&'),
    ) as Layout

    // The window: from before the check's failing run began (result 15) to the resolution; no earlier result is drawn.
    const onset = t0 + 15 * 60_000
    expect(L.from).toBeLessThan(onset)
    expect(L.from).toBeGreaterThan(t0)
    expect(L.to).toBeGreaterThan(t0 + 39 * 60_000)
    const inWindow = Array.from({length: 40}, (_, i) => t0 + i * 60_000).filter((t) => t >= L.from && t <= L.to)
    expect(inWindow.length).toBeLessThan(40)
    expect(L.status).toHaveLength(inWindow.length)
    expect(L.points).toHaveLength(1)
    expect(L.points[0]).toHaveLength(inWindow.length)

    // Every label inside the picture, and no two labels overlap.
    for (const t of L.texts) {
      expect(t.w, t.text).toBeGreaterThan(0)
      expect(t.x, t.text).toBeGreaterThanOrEqual(0)
      expect(t.x + t.w, t.text).toBeLessThanOrEqual(L.width)
      expect(t.y, t.text).toBeGreaterThanOrEqual(0)
      expect(t.y + t.h, t.text).toBeLessThanOrEqual(L.height)
    }

    for (let i = 0; i < L.texts.length; i++) {
      for (let j = i + 1; j < L.texts.length; j++)
        expect(overlap(L.texts[i], L.texts[j]), `"${L.texts[i].text}" overlaps "${L.texts[j].text}"`).toBe(false)
    }

    // The data points and status ticks lie inside the plot.
    const [plot] = L.plots
    for (const [x, y] of L.points[0]) {
      expect(x).toBeGreaterThanOrEqual(plot.x)
      expect(x).toBeLessThanOrEqual(plot.x + plot.w)
      expect(y).toBeGreaterThanOrEqual(plot.y)
      expect(y).toBeLessThanOrEqual(plot.y + plot.h)
    }

    for (const s of L.status) {
      expect(s.x + s.w / 2).toBeGreaterThanOrEqual(plot.x - 0.01)
      expect(s.x + s.w / 2).toBeLessThanOrEqual(plot.x + plot.w + 0.01)
      expect(s.y).toBeGreaterThan(plot.y + plot.h)
    }

    const xs = L.points[0].map(([x]) => x)
    expect(xs).toEqual([...xs].sort((a, b) => a - b))

    // The time axis: at least four ticks, left to right, each labelled with the UTC time at its place.
    const ticks = L.texts.filter((t) => t.cls === 'tick-label')
    expect(ticks.length).toBeGreaterThanOrEqual(4)
    const timeAt = (x: number) => L.from + ((x - plot.x) / plot.w) * (L.to - L.from)
    for (const t of ticks) {
      const at = new Date(timeAt(t.x + t.w / 2))
      // "HH:MM", or "DD/MM HH:MM" where the window crosses midnight.
      const parts = /^(?:(\d\d)\/(\d\d) )?(\d\d):(\d\d)$/.exec(t.text as string)
      expect(parts, `tick label ${t.text}`).not.toBeNull()
      const [, day, month, h, m] = parts!
      const label = Date.UTC(
        at.getUTCFullYear(),
        month ? Number(month) - 1 : at.getUTCMonth(),
        day ? Number(day) : at.getUTCDate(),
        Number(h),
        Number(m),
      )
      expect(Math.abs(label - at.getTime()), `${t.text} at ${at.toISOString()}`).toBeLessThan(60_000)
    }

    expect(L.texts.some((t) => t.cls === 'axis-title' && /^time \(UTC\)/.test(t.text as string))).toBe(true)

    // The latency scale: round values from 0 upwards, going up the plot, the top at or above the slowest result.
    const scale = L.texts.filter((t) => t.cls === 'y-label')
    const values = scale.map((t) => Number(t.text))
    expect(values[0]).toBe(0)
    expect(values).toEqual([...values].sort((a, b) => a - b))
    expect(scale.map((t) => t.y)).toEqual(scale.map((t) => t.y).sort((a, b) => b - a))
    const slowest = Math.max(
      ...Array.from({length: 40}, (_, i) => i)
        .filter((i) => inWindow.includes(t0 + i * 60_000))
        .map((i) => 80 + ((i * 137) % 820)),
    )
    expect(values.at(-1)).toBeGreaterThanOrEqual(slowest)
    expect(values.length).toBeGreaterThanOrEqual(3)

    // Opened and resolved are marked, inside the window.
    expect(L.texts.filter((t) => t.cls === 'mark-label').map((t) => (t.text as string).split(' ')[0])).toEqual([
      'opened',
      'resolved',
    ])
    for (const m of L.marks) expect(m.x).toBeGreaterThanOrEqual(plot.x)

    // The screenshot: latency-blue pixels only inside the plot, status colours only in the band under it.
    const shot = path.join(tmp.dir, 'chart.png')
    await chromium(path.join(tmp.dir, 'profile-shot'), [
      '--window-size=900,' + Math.ceil(L.height),
      `--screenshot=${shot}`,
      `file://${probe}`,
    ])
    const png = decodePng(fs.readFileSync(shot))
    expect([png.width, png.height]).toEqual([900, Math.ceil(L.height)])
    const near = (p: number[], c: number[], d = 40) =>
      Math.abs(p[0] - c[0]) + Math.abs(p[1] - c[1]) + Math.abs(p[2] - c[2]) < d
    const blue: [number, number][] = []
    const band: [number, number][] = []
    const axisY = Math.max(...L.texts.filter((t) => t.cls === 'tick-label').map((t) => t.y)) - 8
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const p = png.at(x, y)
        if (near(p, [0x15, 0x65, 0xc0])) blue.push([x, y])
        if (y < axisY && (near(p, [0xc6, 0x28, 0x28]) || near(p, [0xf9, 0xa8, 0x25]))) band.push([x, y])
      }
    }

    expect(blue.length).toBeGreaterThan(100)
    for (const [x, y] of blue) {
      expect(x).toBeGreaterThanOrEqual(Math.floor(plot.x) - 2)
      expect(x).toBeLessThanOrEqual(Math.ceil(plot.x + plot.w) + 2)
      expect(y).toBeGreaterThanOrEqual(Math.floor(plot.y) - 2)
      expect(y).toBeLessThanOrEqual(Math.ceil(plot.y + plot.h) + 2)
    }

    const bandTop = Math.min(...L.status.map((s) => s.y))
    const bandBottom = Math.max(...L.status.map((s) => s.y + s.h))
    expect(band.length).toBeGreaterThan(25 * 4 * 10)
    for (const [, y] of band) {
      expect(y).toBeGreaterThanOrEqual(Math.floor(bandTop) - 1)
      expect(y).toBeLessThanOrEqual(Math.ceil(bandBottom) + 1)
    }

    // And the export as a reader opens it: a full-page screenshot of the real file.
    const page = path.join(tmp.dir, 'export.png')
    await chromium(path.join(tmp.dir, 'profile-page'), [
      '--window-size=1200,1400',
      `--screenshot=${page}`,
      `file://${files.html}`,
    ])
    const full = decodePng(fs.readFileSync(page))
    expect([full.width, full.height]).toEqual([1200, 1400])
    let bluePage = 0
    for (let y = 0; y < full.height; y += 1)
      for (let x = 0; x < full.width; x += 1) if (near(full.at(x, y), [0x15, 0x65, 0xc0])) bluePage++
    expect(bluePage).toBeGreaterThan(100)
    if (process.env.WK_KEEP_SCREENSHOTS)
      for (const f of [shot, page]) fs.copyFileSync(f, path.join(process.env.WK_KEEP_SCREENSHOTS, path.basename(f)))
  }, 300_000)
})

describe('shipped playbooks take the URL, host and port from the check an incident came from', () => {
  const tmp = tmpDir()
  const db = path.join(tmp.dir, 'wk.sqlite')
  const cli = (args: string[]) => runCli([...args, '--db', db])
  afterAll(() => tmp.cleanup())

  it("pre-fills the TLS playbook's host and port and the DDoS playbook's URL when the walk starts", async () => {
    const store = openDatabase(db)
    const now = Date.now()
    const checks = [
      {id: 'tls-epr', kind: 'tls', target: '127.0.0.1:8443'},
      {id: 'web-epr', kind: 'http', target: 'https://127.0.0.1:9443/login'},
    ]
    const refs = upsertChecks(store, checks, now - 60_000)
    insertResults(
      store,
      refs,
      startRun(store, 'test', now - 60_000),
      checks.map((c) => ({
        checkId: c.id,
        kind: c.kind,
        target: c.target,
        status: 'crit' as const,
        summary: 'failing',
        timings: {},
        findings: [],
        metrics: {},
        startedAt: now - 60_000,
        durationMs: 10,
        attempts: 1,
      })),
    )
    store.close()
    fs.writeFileSync(path.join(tmp.dir, 'none.yaml'), 'steps: {}\n')
    const prefilled: Record<string, unknown[]> = {}
    for (const [playbook, check] of [
      ['tls-certificate-incident', 'tls-epr'],
      ['ddos-national-endpoint', 'web-epr'],
    ]) {
      const open = await cli([
        'incident',
        'open',
        '--title',
        playbook,
        '--from-check',
        check,
        '--playbook',
        playbook,
        '--json',
      ])
      expect(open.code, open.stderr).toBe(0)
      const {id} = JSON.parse(open.stdout) as {id: number}
      // No answers: the walk starts, records what the check gives, and stops at the first prompt.
      const walk = await cli(['incident', 'respond', String(id), '--answers', path.join(tmp.dir, 'none.yaml')])
      expect(walk.code, walk.stderr).toBe(1)
      const {events} = JSON.parse((await cli(['incident', 'show', String(id), '--json'])).stdout) as {
        events: {type: string; data: Record<string, unknown>}[]
      }
      prefilled[playbook] = events
        .filter((e) => e.type === 'variable_recorded' && e.data.from === 'check')
        .map((e) => [e.data.name, e.data.value])
    }

    expect(prefilled['tls-certificate-incident']).toEqual([
      ['hostname', '127.0.0.1'],
      ['port', 8443],
    ])
    expect(prefilled['ddos-national-endpoint']).toEqual([['endpoint_url', 'https://127.0.0.1:9443/login']])
    // incident step, for scripts, shows the command's result on stderr as the walk does.
    const drill = await cli([
      'incident',
      'open',
      '--title',
      'step drill',
      '--from-check',
      'tls-epr',
      '--playbook',
      FIXTURE,
      '--json',
    ])
    const drillId = (JSON.parse(drill.stdout) as {id: number}).id
    const step = await cli(['incident', 'step', String(drillId), 'noisy', '--confirm'])
    expect(step.code, step.stderr).toBe(0)
    expect(step.stderr).toMatch(/Ran node -e .* 300: exit 3 in \d/)
    expect(step.stderr).toContain(String.raw`│ \x1b[2J\x1b[31mRED\x07`)
    const probe = await cli(['incident', 'step', String(drillId), 'probe', '--confirm'])
    expect(probe.stderr).toContain('│ would connect to 127.0.0.1:8443')
    // No shipped playbook hard-codes a port in a command.
    for (const f of fs.readdirSync(path.join(ROOT, 'playbooks')))
      expect(fs.readFileSync(path.join(ROOT, 'playbooks', f), 'utf8'), f).not.toMatch(/argv:.*:443\b/)
  }, 120_000)
})
