/**
 * Bytes per stored result on the real write path. Run by hand:
 *   npx tsx bench/storage/run.ts [--results 100000] [--checks 1000] [--interval 60] [--dir .tmp/bench-storage]
 *
 * A catalogue of loopback checks in a realistic mix (HTTP ok with its metrics, HTTPS with certificate
 * metrics and TLS details, HTTP failures, a slow HTTP warn, TLS, DNS, TCP banner, web-security posture)
 * is run with the real probes (runCheck) for --probe-rounds rounds; each check's clock is set to a
 * watch-like schedule (every --interval seconds, staggered over the interval, a few ms of lag), so
 * results carry the times a real watch would give them. Later rounds replay a real result of the same
 * check picked at random (timings, summary, metrics, findings as probed), re-timed onto the schedule:
 * probing 100,000 results for real takes too long on a shared 2-core machine. Every result is written as `watch` writes it, through the real
 * ResultWriter (batches of 100 or 200 ms) into a real SQLite file, and the same results are written the
 * old way (one `results` row each, migration 6 schema) into a second file, and into a minimal
 * one-row-per-result table (the "floor" of a row layout) in a third. Sizes come from SQLite's dbstat.
 * Only loopback is contacted.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'

import type {CheckResult} from '../../src/types.js'
import {loadCatalogue} from '../../src/catalogue/load.js'
import {ResultWriter} from '../../src/monitor/result-writer.js'
import {runCheck} from '../../src/monitor/runner.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {startRun, upsertChecks} from '../../src/store/results.js'
import {issueCert, rootCA} from '../../test/helpers/certs.js'
import {startDnsServer} from '../../test/helpers/dns-server.js'
import {closedPort, type RunningServer, startHttp, startHttps, startTcp, startTls} from '../../test/helpers/servers.js'
import {insertOldResults, OLD_MIGRATIONS} from '../../test/store/old-layout.js'

const {values: args} = parseArgs({
  options: {
    results: {type: 'string', default: '100000'},
    checks: {type: 'string', default: '1000'},
    interval: {type: 'string', default: '60'},
    dir: {type: 'string', default: '.tmp/bench-storage'},
    'probe-rounds': {type: 'string', default: '3'},
  },
})
const N = Number(args.results)
const CHECKS = Number(args.checks)
const INTERVAL = Number(args.interval) * 1000
const DIR = path.resolve(args.dir!)
fs.rmSync(DIR, {recursive: true, force: true})
fs.mkdirSync(DIR, {recursive: true})

// ------------------------------------------------------------------------------------------------ servers
const servers: RunningServer[] = []
const ca = await rootCA()
fs.writeFileSync(path.join(DIR, 'ca.pem'), ca.cert)
const body = JSON.stringify({status: 'pass', revision: '7', checks: {db: 'ok', cache: 'ok'}})
const web = await startHttp((req, res) => {
  if (req.url === '/down') return void res.writeHead(503).end('down')
  res.writeHead(200, {'content-type': 'application/json'}).end(body)
})
const leaf = await issueCert({hosts: ['www.nhs.uk'], issuer: 'intermediate', days: 200})
const site = await startHttps({key: leaf.key, cert: leaf.fullchain}, (req, res) => {
  res.writeHead(200, {
    'content-type': 'text/html',
    'strict-transport-security': 'max-age=31536000',
    'x-content-type-options': 'nosniff',
  })
  res.end('<h1>NHS website</h1>')
})
const tlsLeaf = await issueCert({hosts: ['digital.nhs.uk'], days: 90})
const tlsSite = await startTls({key: tlsLeaf.key, cert: tlsLeaf.fullchain})
const smtp = await startTcp((s) => s.end('220 smtp.nhs.example.test ESMTP\r\n'))
servers.push(web, site, tlsSite, smtp)
const dns = await startDnsServer({
  'nhs.example.test': [{type: 'MX', data: {preference: 10, exchange: 'mx1.nhs.example.test'}}],
})
const refused = await closedPort()

// ---------------------------------------------------------------------------------------------- catalogue
/** [share of checks, YAML of one check given its index]. */
const MIX: [number, string, (i: number) => string][] = [
  [
    0.55,
    'http ok',
    (i) =>
      `{id: api-${i}, kind: http, service: S${i % 20}, target: "${web.url}/_ping?c=${i}", expect: {json: [{path: $.status, op: "==", value: pass}]}}`,
  ],
  [
    0.1,
    'https ok',
    (i) =>
      `{id: site-${i}, kind: http, service: S${i % 20}, target: "https://www.nhs.uk:${site.port}/p${i}", ca: ca.pem, resolve: ["www.nhs.uk:${site.port}:127.0.0.1"]}`,
  ],
  [0.03, 'http 503', (i) => `{id: down-${i}, kind: http, target: "${web.url}/down"}`],
  [0.02, 'http refused', (i) => `{id: gone-${i}, kind: http, target: "http://127.0.0.1:${refused}/x${i}"}`],
  [
    0.03,
    'http slow (warn)',
    (i) => `{id: slow-${i}, kind: http, target: "${web.url}/s${i}", latency: {warn: 1ms, crit: 5s}}`,
  ],
  [
    0.1,
    'tls',
    (i) =>
      `{id: tls-${i}, kind: tls, target: "digital.nhs.uk:${tlsSite.port}", ca: ca.pem, resolve: ["digital.nhs.uk:${tlsSite.port}:127.0.0.1"]}`,
  ],
  [0.1, 'dns', (i) => `{id: mx-${i}, kind: dns, target: nhs.example.test, type: MX, resolver: "${dns.server}"}`],
  [0.05, 'tcp banner', (i) => `{id: smtp-${i}, kind: tcp, target: "${smtp.url}", banner: "^220 "}`],
  [
    0.02,
    'web-security',
    (i) =>
      `{id: posture-${i}, kind: web-security, target: "https://www.nhs.uk:${site.port}/", ca: ca.pem, resolve: ["www.nhs.uk:${site.port}:127.0.0.1"]}`,
  ],
]
const lines = ['defaults:', '  timeout: 3s', 'checks:']
const kindOf: string[] = []
for (const [share, label, yaml] of MIX) {
  const n = Math.max(1, Math.round(share * CHECKS))
  for (let k = 0; k < n; k++) {
    lines.push(`  - ${yaml(kindOf.length)}`)
    kindOf.push(label)
  }
}

const catFile = path.join(DIR, 'checks.yaml')
fs.writeFileSync(catFile, lines.join('\n') + '\n')
const {checks} = loadCatalogue([catFile])
const rounds = Math.ceil(N / checks.length)
const PROBE_ROUNDS = Number(args['probe-rounds'])
const probed: CheckResult[][] = checks.map(() => [])

// ------------------------------------------------------------------------------------------------ stores
const T0 = Date.UTC(2026, 10, 2, 8, 7, 0)
const newFile = path.join(DIR, 'new.db')
const oldFile = path.join(DIR, 'old.db')
const floorFile = path.join(DIR, 'floor.db')
const db = openDatabase(newFile)
const old = openDatabase(oldFile, {migrations: OLD_MIGRATIONS})
const floor = openDatabase(floorFile, {migrations: []})
floor.exec(`CREATE TABLE texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
  CREATE TABLE floor (check_ref INTEGER NOT NULL, ts INTEGER NOT NULL, status INTEGER NOT NULL, duration INTEGER NOT NULL,
    dns INTEGER, connect INTEGER, tls INTEGER, processing INTEGER, transfer INTEGER, ttfb INTEGER, attempts INTEGER NOT NULL, run_id INTEGER,
    http_status INTEGER, redirects INTEGER, body_bytes INTEGER, cert_days10 INTEGER, summary INTEGER, extra INTEGER,
    PRIMARY KEY (check_ref, ts)) WITHOUT ROWID`)
const identities = checks.map((c) => ({
  id: c.id,
  kind: c.kind,
  target: c.target,
  name: c.name,
  service: c.service,
  tier: c.tier,
}))
const refs = upsertChecks(db, identities, T0)
const oldRefs = upsertChecks(old, identities, T0)
const runId = startRun(db, 'watch', T0)
const oldRun = startRun(old, 'watch', T0)
const writer = new ResultWriter(db, refs, runId, {batchSize: 100, flushMs: 200, keepIds: false})
const oldBatch: CheckResult[] = []
const floorBatch: CheckResult[] = []
const floorText = new Map<string, number>()
const addText = floor.prepare('INSERT INTO texts (text) VALUES (?)')
const textId = (t: string) => {
  let id = floorText.get(t)
  if (id === undefined) floorText.set(t, (id = Number(addText.run(t).lastInsertRowid)))
  return id
}

const putFloor = floor.prepare(
  'INSERT OR REPLACE INTO floor VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
)
const round = (v: number | undefined) => (v === undefined ? null : Math.round(v))
function flushFloor(): void {
  floor.transaction(() => {
    for (const r of floorBatch) {
      const {httpStatus, redirects, bodyBytes, certDaysLeft, ...otherMetrics} = r.metrics
      const extra =
        r.findings.length > 0 || r.details || Object.keys(otherMetrics).length > 0
          ? textId(JSON.stringify({findings: r.findings, details: r.details, metrics: otherMetrics}))
          : null
      const t = r.timings
      putFloor.run(
        refs.get(r.checkId),
        r.startedAt,
        ['ok', 'warn', 'crit', 'unknown'].indexOf(r.status),
        Math.round(r.durationMs),
        round(t.dnsMs),
        round(t.connectMs),
        round(t.tlsMs),
        round(t.processingMs),
        round(t.transferMs),
        round(t.ttfbMs),
        r.attempts,
        runId,
        httpStatus ?? null,
        redirects ?? null,
        bodyBytes ?? null,
        certDaysLeft === undefined ? null : Math.round(certDaysLeft * 10),
        textId(r.summary),
        extra,
      )
    }
  })()
  floorBatch.length = 0
}

function store(r: CheckResult): void {
  writer.add(r)
  oldBatch.push(r)
  floorBatch.push(r)
  if (oldBatch.length >= 100) {
    insertOldResults(old, oldRefs, oldRun, oldBatch)
    oldBatch.length = 0
  }

  if (floorBatch.length >= 100) flushFloor()
}

// ------------------------------------------------------------------------------------------------- run
const offsets = checks.map((_, i) => Math.floor((i / checks.length) * INTERVAL))
const started = performance.now()
let written = 0
const CONCURRENCY = 32
for (let r = 0; r < rounds && written < N; r++) {
  const start = T0 + r * INTERVAL
  let next = 0
  const worker = async () => {
    while (next < checks.length && written < N) {
      const i = next++
      const at = start + offsets[i] + Math.floor(Math.random() * 20)
      let result: CheckResult
      if (r < PROBE_ROUNDS) {
        result = await runCheck(checks[i], {clock: {now: () => at}})
        probed[i].push(result)
      } else {
        const sample = probed[i][Math.floor(Math.random() * probed[i].length)]
        result = {...sample, startedAt: at}
      }

      if (written >= N) return
      written++
      store(result)
    }
  }

  await Promise.all(Array.from({length: CONCURRENCY}, worker))
  if (r % 10 === 9)
    process.stderr.write(
      `round ${r + 1}/${rounds}: ${written} results, ${Math.round((performance.now() - started) / 1000)} s\n`,
    )
}

writer.flush()
if (oldBatch.length > 0) insertOldResults(old, oldRefs, oldRun, oldBatch)
flushFloor()
for (const s of servers) await s.close()
await dns.close()

// ---------------------------------------------------------------------------------------------- measure
function sizes(d: DB, names: readonly string[]): number {
  const rows = d
    .prepare(
      `SELECT coalesce(s.tbl_name, d.name) AS tbl, sum(d.pgsize) AS bytes FROM dbstat d LEFT JOIN sqlite_schema s ON s.name = d.name GROUP BY tbl`,
    )
    .all() as {tbl: string; bytes: number}[]
  return rows.filter((r) => names.includes(r.tbl)).reduce((a, r) => a + r.bytes, 0)
}

function fileBytes(d: DB, file: string): number {
  d.pragma('wal_checkpoint(TRUNCATE)')
  return fs.statSync(file).size
}

const count = db.prepare('SELECT sum(n) FROM result_blocks').pluck().get() as number
const oldCount = old.prepare('SELECT count(*) FROM results').pluck().get() as number
const floorCount = floor.prepare('SELECT count(*) FROM floor').pluck().get() as number
const payload = db.prepare('SELECT sum(length(data)) FROM result_blocks').pluck().get() as number
const blocks = db.prepare('SELECT count(*) FROM result_blocks').pluck().get() as number
const texts = db.prepare('SELECT count(*) FROM result_texts').pluck().get() as number
const per = (bytes: number, n: number) => (bytes / n).toFixed(1)
const table = [
  ['layout', 'results', 'results tables + indexes (B/result)', 'whole file (B/result)'],
  [
    'old: results rowid table + 3 indexes (migration 6)',
    String(oldCount),
    per(sizes(old, ['results']), oldCount),
    per(fileBytes(old, oldFile), oldCount),
  ],
  [
    'new: result_blocks + result_texts (migration 7)',
    String(count),
    per(sizes(db, ['result_blocks', 'result_texts']), count),
    per(fileBytes(db, newFile), count),
  ],
  [
    'floor: one WITHOUT ROWID row per result + texts',
    String(floorCount),
    per(sizes(floor, ['floor', 'texts']), floorCount),
    per(fileBytes(floor, floorFile), floorCount),
  ],
]
const mix = MIX.map(([share, label]) => `${label} ${Math.round(share * 100)}%`).join(', ')
console.log(
  `${new Date().toISOString()} · ${os.cpus().length} CPU ${os.cpus()[0]?.model ?? ''} · Node ${process.version} · load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
)
console.log(
  `${written} results of ${checks.length} checks (${mix}), every ${INTERVAL / 1000} s for ${rounds} rounds (${Math.min(rounds, PROBE_ROUNDS)} probed, the rest replayed); took ${Math.round((performance.now() - started) / 1000)} s`,
)
console.log(
  `new layout: ${blocks} blocks (${(count / blocks).toFixed(1)} results each), packed payload ${per(payload, count)} B/result, ${texts} dictionary texts`,
)
for (const row of table) console.log(`| ${row.join(' | ')} |`)
db.close()
old.close()
floor.close()
