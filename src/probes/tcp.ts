import net from 'node:net'

import type {Observation} from '../types.js'
import type {Probe} from './types.js'
import {type UserRegex, userRegex} from '../util/safe-regex.js'
import {describeNetError, resolveAddress, splitHostPort} from './net.js'
import {type TcpOptions, tcpSpec} from './tcp-spec.js'

type Timings = Observation['timings']

/** Connects the socket; resolves with the instant the connection was made. */
function connect(socket: net.Socket, host: string, port: number, signal: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'))
    const onError = (error: Error) => {
      signal.removeEventListener('abort', onAbort)
      reject(error)
    }

    signal.addEventListener('abort', onAbort, {once: true})
    socket.once('error', onError)
    socket.connect({host, port}, () => {
      const at = performance.now()
      signal.removeEventListener('abort', onAbort)
      socket.off('error', onError)
      resolve(at)
    })
  })
}

/**
 * Reads until the pattern matches, `max` bytes arrive, the server closes or the check times out. `at` is the
 * instant the banner was complete, 0 when it was cut short (time-out, reset after some bytes).
 */
function readBanner(
  socket: net.Socket,
  re: UserRegex,
  max: number,
  signal: AbortSignal,
): Promise<{banner: string; at: number}> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const done = (value: string) => {
      const at = performance.now()
      signal.removeEventListener('abort', onAbort)
      resolve({banner: value, at})
    }

    const onAbort = () => resolve({banner: buf, at: 0})
    signal.addEventListener('abort', onAbort, {once: true})
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1')
      if (re.test(buf) || buf.length >= max) done(buf.slice(0, max))
    })
    socket.once('end', () => done(buf))
    socket.once('error', (error) => {
      signal.removeEventListener('abort', onAbort)
      // A reset after some bytes still lets the banner be judged.
      if (buf.length > 0) resolve({banner: buf, at: 0})
      else reject(error)
    })
  })
}

interface Connected {
  socket: net.Socket
  target: string
  signal: AbortSignal
  timings: Timings & {connectMs: number}
  started: number
  connectDone: number
}

/** Sends the optional text and reports the connection alone (no banner asked for). */
async function connectedObservation(c: Connected, send: string | undefined): Promise<Observation> {
  if (send) await new Promise<void>((resolve) => c.socket.write(send, () => resolve()))
  return {
    status: 'ok',
    summary: `connected to ${c.target} in ${Math.round(c.timings.connectMs)} ms`,
    timings: {...c.timings, totalMs: (c.timings.dnsMs ?? 0) + c.timings.connectMs},
    findings: [],
    metrics: {connectMs: c.timings.connectMs},
  }
}

/** Sends the optional text, reads the banner and judges it against the pattern. */
async function bannerObservation(c: Connected, pattern: string, o: TcpOptions): Promise<Observation> {
  if (o.send) c.socket.write(o.send)
  const re = userRegex(pattern)
  const {banner, at} = await readBanner(c.socket, re, o.banner_bytes ?? 1024, c.signal)
  const {timings} = c
  const line = banner.split(/\r?\n/)[0].slice(0, 120)
  if (!re.test(banner)) {
    const why =
      banner.length === 0
        ? c.signal.aborted
          ? 'no banner before timeout'
          : 'no banner'
        : `banner "${line}" does not match /${pattern}/`
    return {
      status: 'crit',
      summary: why,
      timings: {...timings, totalMs: performance.now() - c.started},
      findings: [],
      metrics: {connectMs: timings.connectMs},
    }
  }

  // processing: connected to the banner read (blackbox_exporter's tcp prober times no phases; this is its query_response wait).
  timings.processingMs = (at || performance.now()) - c.connectDone
  return {
    status: 'ok',
    summary: `connected in ${Math.round(timings.connectMs)} ms, banner "${line}"`,
    timings: {...timings, totalMs: (timings.dnsMs ?? 0) + timings.connectMs + timings.processingMs},
    findings: [],
    metrics: {connectMs: timings.connectMs},
    details: {banner: line},
  }
}

/** TCP connect, with an optional banner read and regex match (SMTP, SSH…). */
export const tcpProbe: Probe = {
  ...tcpSpec,
  async run(target: string, options: TcpOptions, ctx): Promise<Observation> {
    const hp = splitHostPort(target)
    const started = performance.now()
    const timings: Timings = {}
    const fail = (status: 'crit' | 'unknown', summary: string): Observation => ({
      status,
      summary,
      timings: {...timings, totalMs: performance.now() - started},
      findings: [],
      metrics: {},
    })
    if (!hp) return fail('unknown', `bad target ${target}: expected host:port`)
    let addr
    try {
      addr = await resolveAddress(hp.host, hp.port, ctx.net, ctx.signal)
      timings.dnsMs = addr.dnsMs
    } catch (error) {
      return fail('crit', describeNetError(error))
    }

    const socket = new net.Socket()
    // Instants from the socket's own events: connect done, banner complete. Phases add up to totalMs.
    try {
      const connectStarted = performance.now()
      const connectDone = await connect(socket, addr.address, hp.port, ctx.signal)
      const connected = {
        socket,
        target,
        signal: ctx.signal,
        timings: Object.assign(timings, {connectMs: connectDone - connectStarted}),
        started,
        connectDone,
      }
      return await (options.banner
        ? bannerObservation(connected, options.banner, options)
        : connectedObservation(connected, options.send))
    } catch (error) {
      return fail('crit', describeNetError(error))
    } finally {
      socket.destroy()
    }
  },
}
