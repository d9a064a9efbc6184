/**
 * Cross-check of watchkeeper's posture probes against the MDN HTTP Observatory and testssl.sh, on the
 * same loopback fixtures. Run by hand (not in CI):
 *   cd bench/crosscheck && npm install --ignore-scripts && cd ../.. && npx tsx bench/crosscheck/run.ts
 * Needs the apt package testssl.sh (`testssl` on PATH). Prints agreement tables and timings.
 */
import {execFile, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {tlsPosture} from '../../src/probes/tls-posture.js'
import {webSecurityProbe} from '../../src/probes/web-security.js'
import {issueCert, rootCA, WEAK_SERVER_OPTIONS} from '../../test/helpers/certs.js'
import {startTls} from '../../test/helpers/servers.js'
import {probeCtx} from '../../test/posture/ctx.js'
import {goodConfig, type SiteConfig, startSite} from '../../test/posture/site.js'

const run = promisify(execFile)

/**
 * Runs testssl.sh without blocking the event loop: the fixtures it scans are served by this process, so a
 * spawnSync here would leave them unable to answer until the time-out.
 */
async function testsslRun(args: string[], timeoutMs: number): Promise<void> {
  try {
    await run(testssl, args, {timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024})
  } catch {
    // testssl.sh exits non-zero when it finds problems; the JSON file is what is read
  }
}

const here = path.dirname(fileURLToPath(import.meta.url))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-crosscheck-'))
const caFile = path.join(tmp, 'ca.pem')
fs.writeFileSync(caFile, (await rootCA()).cert)
const ca = (await rootCA()).cert

const WEB: [string, (c: SiteConfig) => void][] = [
  ['good', () => {}],
  ['no-hsts', (c) => delete c.headers['strict-transport-security']],
  [
    'duplicate-hsts',
    (c) => (c.headers['strict-transport-security'] = ['max-age=63072000', 'max-age=63072000; includeSubDomains']),
  ],
  ['short-hsts', (c) => (c.headers['strict-transport-security'] = 'max-age=86400')],
  [
    'unsafe-csp',
    (c) =>
      (c.headers['content-security-policy'] = "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'"),
  ],
  [
    'no-csp-no-xfo',
    (c) => {
      delete c.headers['content-security-policy']
      delete c.headers['x-frame-options']
    },
  ],
  ['insecure-cookies', (c) => (c.headers['set-cookie'] = ['sessionid=abc; Path=/', 'csrftoken=x; Secure'])],
  ['reflected-cors', (c) => (c.cors = 'reflect-credentials')],
  ['no-redirect', (c) => (c.http = 'plain')],
  ['bad-referrer', (c) => (c.headers['referrer-policy'] = 'unsafe-url')],
]

const NAME: Record<string, string> = {
  CspOutput: 'content-security-policy',
  CookiesOutput: 'cookies',
  CorsOutput: 'cross-origin-resource-sharing',
  RedirectionOutput: 'redirection',
  ReferrerOutput: 'referrer-policy',
  StrictTransportSecurityOutput: 'strict-transport-security',
  SubresourceIntegrityOutput: 'subresource-integrity',
  XContentTypeOptionsOutput: 'x-content-type-options',
  XFrameOptionsOutput: 'x-frame-options',
  CrossOriginResourcePolicyOutput: 'cross-origin-resource-policy',
}

console.log('## MDN HTTP Observatory vs watchkeeper web-security\n')
console.log('| fixture | Observatory | watchkeeper | tests agreeing | disagreements |')
console.log('|---|---|---|---|---|')
for (const [name, mutate] of WEB) {
  const config = goodConfig()
  mutate(config)
  const site = await startSite(config, 'localhost')
  try {
    const wk = await webSecurityProbe.run(
      site.url,
      {target: site.url, http_port: site.http.port, cors_origin: 'https://http-observatory.security.mozilla.org'},
      probeCtx({ca, resolve: site.resolve}),
    )
    const {stdout} = await run(
      process.execPath,
      [path.join(here, 'observatory-scan.mjs'), 'localhost', String(site.http.port), String(site.https.port)],
      {env: {...process.env, NODE_EXTRA_CA_CERTS: caFile}},
    )
    const obs = JSON.parse(stdout) as {score: number; grade: string; tests: Record<string, {result: string}>}
    const mine = new Map((wk.details?.deductions as {test: string; result: string}[]).map((d) => [d.test, d.result]))
    const diffs: string[] = []
    let agree = 0
    for (const [cls, t] of Object.entries(obs.tests)) {
      const test = NAME[cls] ?? cls
      if (mine.get(test) === t.result) agree++
      else diffs.push(`${test}: Observatory ${t.result}, watchkeeper ${mine.get(test)}`)
    }

    console.log(
      `| ${name} | ${obs.grade} (${obs.score}) | ${wk.details?.grade} (${wk.details?.score}) | ${agree}/${Object.keys(obs.tests).length} | ${diffs.join('; ') || '-'} |`,
    )
  } catch (error) {
    console.log(`| ${name} | error: ${(error as Error).message.split('\n')[0]} | | | |`)
  } finally {
    await site.close()
  }
}

// CROSSCHECK_WEB_ONLY=1 runs the Observatory comparison alone (testssl.sh takes minutes per fixture).
const webOnly = process.env.CROSSCHECK_WEB_ONLY === '1'
const testssl = webOnly
  ? ''
  : spawnSync('sh', ['-c', 'command -v testssl || command -v testssl.sh']).stdout.toString().trim()
const TLS: [string, () => Promise<Record<string, unknown>>][] = [
  [
    'modern',
    async () => {
      const leaf = await issueCert({hosts: ['localhost'], key: 'rsa2048'})
      return {
        key: leaf.key,
        cert: leaf.fullchain,
        minVersion: 'TLSv1.2',
        ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305',
      }
    },
  ],
  [
    'tls1.0',
    async () => {
      const leaf = await issueCert({hosts: ['localhost'], key: 'rsa2048'})
      return {key: leaf.key, cert: leaf.fullchain, minVersion: 'TLSv1', ...WEAK_SERVER_OPTIONS}
    },
  ],
  [
    'rsa1024',
    async () => {
      const leaf = await issueCert({hosts: ['localhost'], key: 'rsa1024'})
      return {key: leaf.key, cert: leaf.fullchain, ...WEAK_SERVER_OPTIONS}
    },
  ],
  [
    'sha1',
    async () => {
      const leaf = await issueCert({hosts: ['localhost'], hash: 'SHA-1', key: 'rsa2048'})
      return {key: leaf.key, cert: leaf.fullchain, ...WEAK_SERVER_OPTIONS}
    },
  ],
  [
    'expired-intermediate',
    async () => {
      const leaf = await issueCert({hosts: ['localhost'], issuer: 'expired-intermediate', key: 'rsa2048'})
      return {key: leaf.key, cert: leaf.fullchain}
    },
  ],
]

interface SslFinding {
  id: string
  severity: string
  finding: string
}
console.log('\n## testssl.sh vs watchkeeper TLS posture\n')
if (webOnly) console.log('skipped (CROSSCHECK_WEB_ONLY=1)')
else if (testssl) {
  console.log('| fixture | item | testssl.sh | watchkeeper | agree |')
  console.log('|---|---|---|---|---|')
  for (const [name, make] of TLS) {
    const srv = await startTls((await make()) as Parameters<typeof startTls>[0])
    try {
      const ctx = probeCtx({ca, resolve: [`localhost:${srv.port}:127.0.0.1`], timeoutMs: 20_000})
      const wk = await tlsPosture('localhost', srv.port, ctx, {})
      const json = path.join(tmp, `${name}.json`)
      await testsslRun(
        [
          '--quiet',
          '--color',
          '0',
          '--warnings',
          'off',
          '--add-ca',
          caFile,
          '--ip',
          '127.0.0.1',
          '-p',
          '-S',
          '--jsonfile',
          json,
          `localhost:${srv.port}`,
        ],
        300_000,
      )
      const ssl: SslFinding[] = fs.existsSync(json) ? JSON.parse(fs.readFileSync(json, 'utf8')) : []
      const get = (id: string) => ssl.find((f) => f.id === id)?.finding ?? '?'
      const offered = (f: string) => f.startsWith('offered') && !/not offered/.test(f)
      const wkIds = new Set(wk.findings.map((f) => f.id))
      const rows: [string, string, string, boolean][] = [
        [
          'TLS 1.0 offered',
          get('TLS1'),
          String(wk.details.protocols.TLSv1),
          offered(get('TLS1')) === (wk.details.protocols.TLSv1 === 'accepted'),
        ],
        [
          'TLS 1.1 offered',
          get('TLS1_1'),
          String(wk.details.protocols['TLSv1.1']),
          offered(get('TLS1_1')) === (wk.details.protocols['TLSv1.1'] === 'accepted'),
        ],
        [
          'TLS 1.3 offered',
          get('TLS1_3'),
          String(wk.details.protocols['TLSv1.3']),
          offered(get('TLS1_3')) === (wk.details.protocols['TLSv1.3'] === 'accepted'),
        ],
        [
          'key size',
          get('cert_keySize'),
          String(wk.details.chain[0]?.keyBits),
          get('cert_keySize').includes(String(wk.details.chain[0]?.keyBits)),
        ],
        [
          'signature',
          get('cert_signatureAlgorithm'),
          String(wk.details.chain[0]?.signature),
          /SHA1/i.test(get('cert_signatureAlgorithm')) === wkIds.has('tls.sig.sha1'),
        ],
        [
          'chain',
          get('cert_chain_of_trust'),
          wkIds.has('tls.chain.expired') ? 'tls.chain.expired' : 'no expired certificate',
          /expired/i.test(get('cert_chain_of_trust') + get('intermediate_cert_expiration_1')) ===
            wkIds.has('tls.chain.expired'),
        ],
      ]
      for (const [item, a, b, ok] of rows)
        console.log(`| ${name} | ${item} | ${a.replaceAll('|', '/').slice(0, 70)} | ${b} | ${ok ? 'yes' : '**no**'} |`)
    } finally {
      await srv.close()
    }
  }
} else {
  console.log('testssl.sh not installed (apt-get install testssl.sh); skipped.')
}

// Timing: a full posture scan (web + TLS + security.txt) of one loopback host vs testssl.sh's default run.
if (webOnly) process.exit(0)
console.log('\n## Timing (one loopback host)\n')
const site = await startSite(goodConfig(), 'localhost')
try {
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    await webSecurityProbe.run(
      site.url,
      {target: site.url, http_port: site.http.port, tls: true},
      probeCtx({ca, resolve: site.resolve, timeoutMs: 20_000}),
    )
    times.push(performance.now() - t0)
  }

  times.sort((a, b) => a - b)
  console.log(
    `watchkeeper web-security with tls: true, 5 runs: median ${Math.round(times[2])} ms (min ${Math.round(times[0])}, max ${Math.round(times[4])})`,
  )
  if (testssl) {
    const t0 = performance.now()
    await testsslRun(
      [
        '--quiet',
        '--color',
        '0',
        '--warnings',
        'off',
        '--add-ca',
        caFile,
        '--ip',
        '127.0.0.1',
        `localhost:${site.https.port}`,
      ],
      900_000,
    )
    console.log(`testssl.sh default run on the same host: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
} finally {
  await site.close()
  fs.rmSync(tmp, {recursive: true, force: true})
}
