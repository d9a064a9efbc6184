import type http from 'node:http'
import {afterEach, beforeEach, expect} from 'vitest'

import type {Notification, NotifierConfig} from '../../../src/notify/types.js'
import {validateCatalogue} from '../../../src/catalogue/load.js'
import {loadNotifiers} from '../../../src/monitor/watch-config.js'
import {tmpDir} from '../../helpers/cli.js'
import {type RunningServer, startHttp} from '../../helpers/servers.js'
import {writeCatalogue} from '../../monitor/harness.js'

export const AT = Date.UTC(2026, 10, 25, 9, 30)
export const check = {
  id: 'nhs-login-authorize',
  name: 'NHS login authorize',
  service: 'NHS login',
  tier: 'platinum',
  target: 'https://auth.login.nhs.uk/authorize',
}
export const failing: Notification = {
  event: 'failing',
  severity: 'crit',
  at: AT,
  title: 'FAILING: NHS login authorize',
  instance: 'probe-leeds',
  text: 'failing after 3 failed results: HTTP 503 in 120 ms',
  check: {...check, state: 'failing', previous: 'ok'},
  resultId: 42,
  runbook: 'https://runbooks.example.nhs.uk/nhs-login',
}
export const recovered: Notification = {
  event: 'recovered',
  severity: 'ok',
  at: AT + 754_000,
  title: 'RECOVERED: NHS login authorize',
  instance: 'probe-leeds',
  text: 'recovered (was failing): HTTP 200 in 80 ms',
  check: {...check, state: 'ok', previous: 'failing'},
  outageMs: 754_000,
}
export const incident: Notification = {
  event: 'incident-opened',
  severity: 'crit',
  at: AT,
  title: 'Incident #7 opened: NHS login authorize failing',
  instance: 'probe-leeds',
  text: 'NHS login authorize has kept failing',
  check: {...check, state: 'failing'},
  incident: {id: 7, title: 'NHS login authorize failing', severity: 'SEV2'},
  respond: 'watchkeeper incident respond 7',
}

export interface Hit {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  raw: string
  body: Record<string, unknown>
}

/** A loopback HTTP receiver answering every request with `status`, recording what it got. */
export async function receiver(status = 202): Promise<RunningServer & {hits: Hit[]}> {
  const hits: Hit[] = []
  const srv = await startHttp((req, res) => {
    let raw = ''
    req.on('data', (d) => (raw += d))
    req.on('end', () => {
      hits.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        raw,
        body: JSON.parse(raw || '{}') as Record<string, unknown>,
      })
      res.writeHead(status, {'content-type': 'application/json'}).end('{"status":"success"}')
    })
  })
  return Object.assign(srv, {hits})
}

/**
 * Per-test temporary folder and servers (closed after each test), and notifiers as the loader builds them
 * from a catalogue file and an environment. Call once at the top of a test file.
 */
export function providerHarness() {
  let tmp: {dir: string; cleanup: () => void}
  const servers: {close(): Promise<void>}[] = []
  beforeEach(() => {
    tmp = tmpDir('wk-prov-')
  })
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
    tmp.cleanup()
  })

  function load(
    notifiers: string,
    env: NodeJS.ProcessEnv,
  ): {notifiers: Map<string, NotifierConfig>; problems: string[]} {
    const file = writeCatalogue(
      tmp.dir,
      `checks:\n  - {id: a, kind: tcp, target: "127.0.0.1:1"}\nnotifiers:\n${notifiers}`,
    )
    const {catalogue, problems} = validateCatalogue([file], {env})
    if (!catalogue)
      return {notifiers: new Map(), problems: problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)}
    const out = loadNotifiers(catalogue, env)
    return {notifiers: out.notifiers, problems: out.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`)}
  }

  function one(notifiers: string, env: NodeJS.ProcessEnv): NotifierConfig {
    const {notifiers: map, problems} = load(notifiers, env)
    expect(problems).toEqual([])
    return [...map.values()][0]
  }

  return {dir: () => tmp.dir, servers, load, one}
}
