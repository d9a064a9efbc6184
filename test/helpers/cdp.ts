import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'

import {WebSocket} from 'undici'

export const CHROMIUM = '/usr/bin/chromium'

/** A page in headless Chromium driven over the DevTools protocol (loopback only), collecting console errors. */
export interface CdpPage {
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>
  /** Console errors, uncaught exceptions and failed loads seen so far. */
  errors: string[]
  /** Opens url at a viewport and colour scheme and waits for the load event. */
  open(url: string, opts: {width: number; height: number; scheme?: 'light' | 'dark'}): Promise<void>
  evaluate<T>(expression: string): Promise<T>
  /** A PNG of the whole page (or the viewport). */
  screenshot(fullPage?: boolean): Promise<Buffer>
  close(): Promise<void>
}

/** Starts headless Chromium with a fresh profile and nothing reaching out, and attaches to a blank page. */
export async function launchPage(profile: string): Promise<CdpPage> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is needed (scripts/deps.sh test installs it)`)
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    {stdio: ['ignore', 'ignore', 'pipe']},
  )
  const wsUrl = await new Promise<string>((resolve, reject) => {
    let err = ''
    const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${err.slice(-2000)}`)), 60_000)
    child.stderr!.on('data', (d) => {
      err += d
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.on('exit', (code) => reject(new Error(`Chromium exited ${code}: ${err.slice(-2000)}`)))
  })
  const ws = new WebSocket(wsUrl)
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve())
    ws.addEventListener('error', () => reject(new Error('DevTools socket failed')))
  })
  let nextId = 1
  const pending = new Map<number, {resolve: (v: unknown) => void; reject: (e: Error) => void}>()
  const listeners: ((method: string, params: Record<string, unknown>) => void)[] = []
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as {
      id?: number
      result?: unknown
      error?: {message: string}
      method?: string
      params?: Record<string, unknown>
    }
    if (msg.id !== undefined) {
      const p = pending.get(msg.id)
      pending.delete(msg.id)
      if (msg.error) p?.reject(new Error(msg.error.message))
      else p?.resolve(msg.result)
    } else if (msg.method) for (const l of listeners) l(msg.method, msg.params ?? {})
  })
  // eslint-disable-next-line prefer-const -- the default of raw()'s session, assigned after attach
  let sessionId: string | undefined
  const raw = <T>(method: string, params: Record<string, unknown> = {}, session = sessionId): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = nextId++
      pending.set(id, {resolve: resolve as (v: unknown) => void, reject})
      ws.send(JSON.stringify({id, method, params, ...(session ? {sessionId: session} : {})}))
    })
  const {targetId} = await raw<{targetId: string}>('Target.createTarget', {url: 'about:blank'}, undefined)
  sessionId = (await raw<{sessionId: string}>('Target.attachToTarget', {targetId, flatten: true}, undefined)).sessionId
  const errors: string[] = []
  let loaded: (() => void) | undefined
  listeners.push((method, params) => {
    if (method === 'Runtime.consoleAPICalled' && (params.type === 'error' || params.type === 'assert'))
      errors.push(`console: ${JSON.stringify(params.args)}`)
    if (method === 'Runtime.exceptionThrown') errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`)
    if (method === 'Log.entryAdded' && (params.entry as {level: string}).level === 'error')
      errors.push(
        `log: ${(params.entry as {text: string; url?: string}).text} ${(params.entry as {url?: string}).url ?? ''}`,
      )
    if (method === 'Page.loadEventFired') loaded?.()
  })
  await raw('Page.enable')
  await raw('Runtime.enable')
  await raw('Log.enable')
  const page: CdpPage = {
    send: (method, params) => raw(method, params),
    errors,
    async open(url, opts) {
      await raw('Emulation.setDeviceMetricsOverride', {
        width: opts.width,
        height: opts.height,
        deviceScaleFactor: 1,
        mobile: opts.width < 600,
      })
      await raw('Emulation.setEmulatedMedia', {
        features: [{name: 'prefers-color-scheme', value: opts.scheme ?? 'light'}],
      })
      const done = new Promise<void>((resolve) => (loaded = resolve))
      const nav = await raw<{errorText?: string}>('Page.navigate', {url})
      if (nav.errorText) throw new Error(`navigate ${url}: ${nav.errorText}`)
      await done
    },
    async evaluate<T>(expression: string) {
      const r = await raw<{result: {value: T}; exceptionDetails?: unknown}>('Runtime.evaluate', {
        expression,
        returnByValue: true,
      })
      if (r.exceptionDetails) throw new Error(`evaluate: ${JSON.stringify(r.exceptionDetails)}`)
      return r.result.value
    },
    async screenshot(fullPage = false) {
      const r = await raw<{data: string}>('Page.captureScreenshot', {format: 'png', captureBeyondViewport: fullPage})
      return Buffer.from(r.data, 'base64')
    },
    async close() {
      ws.close()
      child.kill('SIGTERM')
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)))
    },
  }
  return page
}
