/**
 * What the write path costs: the real insertResults (result blocks + hourly/daily rollups + outages in one
 * transaction) against the old layout's write (one `results` row each, with the same rollups) and the old
 * results insert alone, in batches as ResultWriter makes them.
 * Run by hand:  npx tsx bench/rollups/insert-overhead.ts [--checks 1000] [--minutes 60] [--batch 100]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {type DB, openDatabase} from '../../src/store/db.js'
import {insertResults, upsertChecks} from '../../src/store/results.js'
import {type CheckResult, STATUS_CODE} from '../../src/types.js'
import {insertOldResults, OLD_MIGRATIONS} from '../../test/store/old-layout.js'

const args = process.argv.slice(2)
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? Number(dflt) : Number(args[i + 1])
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
    results.push({
      checkId: ids[c],
      kind: 'http',
      target: 'https://x',
      status: crit ? 'crit' : 'ok',
      summary: crit ? 'HTTP 503' : 'HTTP 200 in 120 ms',
      timings: {dnsMs: 3, connectMs: 10, tlsMs: 20, ttfbMs: 100, totalMs: 120},
      findings: [],
      metrics: {httpStatus: 200},
      startedAt: start + m * 60_000 + c * 50,
      durationMs: 80 + ((c * 13 + m * 7) % 300),
      attempts: 1,
    })
  }
}

function setup(name: string, old = false): {db: DB; refs: Map<string, number>} {
  const db = openDatabase(path.join(dir, name), old ? {migrations: OLD_MIGRATIONS} : {})
  const refs = upsertChecks(
    db,
    ids.map((id) => ({id, kind: 'http', target: 'https://x'})),
    start,
  )
  return {db, refs}
}

/** The old layout's insert without the rollups: the baseline. */
function plainInsert(db: DB, refs: Map<string, number>, batch: readonly CheckResult[]): void {
  const insert =
    db.prepare(`INSERT INTO results (check_ref, run_id, ts, status, duration_ms, dns_ms, connect_ms, tls_ms, ttfb_ms, attempts, summary, details)
    VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  db.transaction(() => {
    for (const r of batch) {
      const t = r.timings
      insert.run(
        refs.get(r.checkId),
        r.startedAt,
        STATUS_CODE[r.status],
        Math.round(r.durationMs),
        t.dnsMs,
        t.connectMs,
        t.tlsMs,
        t.ttfbMs,
        r.attempts,
        r.summary,
        JSON.stringify({metrics: r.metrics}),
      )
    }
  })()
}

function time(label: string, fn: (batch: readonly CheckResult[]) => void): number {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < results.length; i += BATCH) fn(results.slice(i, i + BATCH))
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  console.log(
    `${label}: ${results.length} results in ${ms.toFixed(0)} ms = ${((ms * 1000) / results.length).toFixed(1)} µs/result`,
  )
  return ms
}

// A warm-up round (JIT, time-zone caches), then three alternating rounds to even out a busy machine.
const sums = {plain: 0, old: 0, blocks: 0}
const ROUNDS = 4
for (let round = 0; round < ROUNDS; round++) {
  const pa = setup(`plain-${round}.db`, true)
  const pb = setup(`old-${round}.db`, true)
  const pc = setup(`blocks-${round}.db`)
  const p = time(`round ${round} old results insert only    `, (batch) => plainInsert(pa.db, pa.refs, batch))
  const o = time(`round ${round} old results + rollups      `, (batch) => insertOldResults(pb.db, pb.refs, null, batch))
  const b = time(`round ${round} result blocks + rollups    `, (batch) => insertResults(pc.db, pc.refs, null, batch))
  if (round > 0) {
    sums.plain += p
    sums.old += o
    sums.blocks += b
  }

  for (const x of [pa, pb, pc]) x.db.close()
}

const us = (ms: number) => ((ms * 1000) / ((ROUNDS - 1) * results.length)).toFixed(1)
console.log(
  `rounds 1-3, batch ${BATCH}, ${CHECKS} checks: old insert only ${us(sums.plain)} µs/result, old + rollups ${us(sums.old)}, blocks + rollups ${us(sums.blocks)}`,
)
fs.rmSync(dir, {recursive: true, force: true})
