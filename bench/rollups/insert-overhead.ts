/**
 * What keeping rollups costs on the write path: the real insertResults (results + hourly/daily rollups +
 * outages in one transaction) against the same results insert alone, in batches as ResultWriter makes them.
 * Run by hand:  npx tsx bench/rollups/insert-overhead.ts [--checks 1000] [--minutes 60] [--batch 100]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {type DB, openDatabase} from '../../src/store/db.js'
import {insertResults, upsertChecks} from '../../src/store/results.js'
import {STATUS_CODE, type CheckResult} from '../../src/types.js'

const args = process.argv.slice(2)
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : Number(dflt)
}
const CHECKS = arg('checks', '1000')
const MINUTES = arg('minutes', '60')
const BATCH = arg('batch', '100')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-insert-bench-'))
const start = Date.UTC(2026, 10, 1)
const ids = Array.from({length: CHECKS}, (_, i) => `check-${i}`)
const results: CheckResult[] = []
for (let m = 0; m < MINUTES; m++) {
  for (let c = 0; c < CHECKS; c++) {
    const crit = (c * 7 + m) % 500 === 0
    results.push({checkId: ids[c], kind: 'http', target: 'https://x', status: crit ? 'crit' : 'ok', summary: crit ? 'HTTP 503' : 'HTTP 200 in 120 ms',
      timings: {dnsMs: 3, connectMs: 10, tlsMs: 20, ttfbMs: 100, totalMs: 120}, findings: [], metrics: {httpStatus: 200},
      startedAt: start + m * 60_000 + c * 50, durationMs: 80 + ((c * 13 + m * 7) % 300), attempts: 1})
  }
}

function setup(name: string): {db: DB; refs: Map<string, number>} {
  const db = openDatabase(path.join(dir, name))
  const refs = upsertChecks(db, ids.map((id) => ({id, kind: 'http', target: 'https://x'})), start)
  return {db, refs}
}

/** The insert of insertResults without the rollups: the baseline. */
function plainInsert(db: DB, refs: Map<string, number>, batch: readonly CheckResult[]): void {
  const insert = db.prepare(`INSERT INTO results (check_ref, run_id, ts, status, duration_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, attempts, summary, details)
    VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  db.transaction(() => {
    for (const r of batch) {
      const t = r.timings
      insert.run(refs.get(r.checkId), r.startedAt, STATUS_CODE[r.status], Math.round(r.durationMs), t.dnsMs, t.connectMs, t.tlsMs, t.ttfbMs, r.attempts, r.summary,
        JSON.stringify({metrics: r.metrics}))
    }
  })()
}

function time(label: string, fn: (batch: readonly CheckResult[]) => void): number {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < results.length; i += BATCH) fn(results.slice(i, i + BATCH))
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  console.log(`${label}: ${results.length} results in ${ms.toFixed(0)} ms = ${((ms * 1000) / results.length).toFixed(1)} µs/result`)
  return ms
}

// A warm-up round (JIT, time-zone caches), then three alternating rounds to even out a busy machine.
let plain = 0
let rolled = 0
const ROUNDS = 4
for (let round = 0; round < ROUNDS; round++) {
  const pa = setup(`plain-${round}.db`)
  const pb = setup(`rollups-${round}.db`)
  const p = time(`round ${round} results only        `, (batch) => plainInsert(pa.db, pa.refs, batch))
  const r = time(`round ${round} results + rollups    `, (batch) => insertResults(pb.db, pb.refs, null, batch))
  if (round > 0) {
    plain += p
    rolled += r
  }
  pa.db.close()
  pb.db.close()
}
console.log(`overhead of rollups (rounds 1-3): ${(((rolled - plain) / plain) * 100).toFixed(0)}% (${(((rolled - plain) * 1000) / ((ROUNDS - 1) * results.length)).toFixed(1)} µs per result), batch ${BATCH}, ${CHECKS} checks`)
fs.rmSync(dir, {recursive: true, force: true})
