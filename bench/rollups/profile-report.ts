/** CPU time of the report core on the bench database (wall time is noisy on a shared machine). */
import {sloReport} from '../../src/reports/slo.js'
import {aggregateWindow, resolveWindow, uptimeReport} from '../../src/reports/uptime.js'
import {openDatabase} from '../../src/store/db.js'

const file = process.argv[2] ?? '.tmp/bench/rollups.db'
const db = openDatabase(file)
const now = Date.now()
function measure(label: string, fn: () => unknown): void {
  fn()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  fn()
  const cpu = process.cpuUsage(c0)
  console.log(
    `${label}: wall ${Math.round(performance.now() - t0)} ms, cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms`,
  )
}

const w30 = resolveWindow({period: '30d'}, now)
const w365 = resolveWindow({since: '365d'}, now)
measure('aggregateWindow 30d', () => aggregateWindow(db, w30.since, w30.until))
measure('uptimeReport 30d', () => uptimeReport(db, w30))
measure('aggregateWindow 365d', () => console.log(aggregateWindow(db, w365.since, w365.until).rows))
measure('uptimeReport 365d', () => uptimeReport(db, w365))
measure('sloReport 30d', () => sloReport(db, {objective: 99.9, windowMs: 30 * 86_400_000, until: now}))
