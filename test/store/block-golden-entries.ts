import type {BlockEntry} from '../../src/store/result-blocks.js'

/**
 * A fixed, varied list of block entries (shapes that change and come back, integer, tenth and float
 * metrics, summaries with and without numbers, findings, details, runs, retries, times out of order),
 * whose encoding is pinned in block-golden.json: the bytes the block layout of migration 7 defined.
 */
export function entriesForGolden(hour: number): BlockEntry[] {
  const t0 = hour * 3_600_000
  const out: BlockEntry[] = []
  let ts = t0 + 1234
  for (let i = 0; i < 120; i++) {
    ts += i % 17 === 5 ? -900 : 15_000 + ((i * 37) % 11) - 5
    const shape = i % 9
    const timings: BlockEntry['timings'] =
      shape === 4
        ? {}
        : {
            dnsMs: i % 3,
            connectMs: 1 + (i % 5),
            ...(shape % 2 ? {tlsMs: 20 + (i % 7)} : {}),
            processingMs: 30 + i,
            transferMs: i % 4,
            ttfbMs: 60 + i * 2,
          }
    const metrics: Record<string, number> =
      shape === 4
        ? {}
        : {httpStatus: i % 13 === 0 ? 503 : 200, redirects: i % 10 === 3 ? 1 : 0, bodyBytes: 17 + (i % 3) * 1000}
    if (shape === 2) metrics.certDaysLeft = 40.5 - i / 10
    if (shape === 6) metrics.ratio = 1 / (i + 3)
    if (shape === 7) metrics.big = 2 ** 50 + i
    const status = i % 13 === 0 ? 2 : i % 11 === 0 ? 1 : i % 29 === 0 ? 3 : 0
    const summary =
      status === 2
        ? `HTTP 503 (expected 200-299); HTTP 503 in ${100 + i} ms`
        : i % 8 === 0
          ? 'connection refused'
          : `HTTP 200 in ${3 + (i % 40)} ms`
    const findings =
      i % 15 === 0
        ? [{id: 'tls.cert.expiring', severity: 'warn' as const, message: `certificate expires in ${40 - i} days`}]
        : []
    const details = i % 12 === 0 ? {finalUrl: `https://example.test/${i % 2}`} : undefined
    out.push({
      ts,
      status,
      durationMs: 50 + ((i * 7919) % 400) - (i % 5 === 0 ? 49 : 0),
      timings,
      attempts: i % 19 === 0 ? 3 : 1,
      runId: i < 40 ? null : 1000 + Math.floor(i / 10),
      summary,
      metrics,
      findings,
      ...(details ? {details} : {}),
    })
  }

  return out
}
