import net from 'node:net'

import type {Observation} from '../types.js'
import type {Probe} from './types.js'
import {userRegex} from '../util/safe-regex.js'
import {describeNetError, resolveAddress, splitHostPort} from './net.js'
import {tcpSpec} from './tcp-spec.js'

interface TcpOptions {
  banner?: string
  send?: string
  banner_bytes?: number
}

/** TCP connect, with an optional banner read and regex match (SMTP, SSH…). */
export const tcpProbe: Probe = {
  ...tcpSpec,
  async run(target, options, ctx): Promise<Observation> {
    const o = options as TcpOptions
    const hp = splitHostPort(target)
    const started = performance.now()
    const timings: Observation['timings'] = {}
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
    let connectDone = 0
    const phases = (extra = 0) => ({...timings, totalMs: (timings.dnsMs ?? 0) + (timings.connectMs ?? 0) + extra})
    try {
      const connectStarted = performance.now()
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(ctx.signal.reason ?? new Error('aborted'))
        const onError = (error: Error) => {
          ctx.signal.removeEventListener('abort', onAbort)
          reject(error)
        }

        ctx.signal.addEventListener('abort', onAbort, {once: true})
        socket.once('error', onError)
        socket.connect({host: addr.address, port: hp.port}, () => {
          connectDone = performance.now()
          ctx.signal.removeEventListener('abort', onAbort)
          socket.off('error', onError)
          resolve()
        })
      })
      timings.connectMs = connectDone - connectStarted
      if (!o.banner) {
        if (o.send) await new Promise<void>((resolve) => socket.write(o.send as string, () => resolve()))
        return {
          status: 'ok',
          summary: `connected to ${target} in ${Math.round(timings.connectMs)} ms`,
          timings: phases(),
          findings: [],
          metrics: {connectMs: timings.connectMs},
        }
      }

      if (o.send) socket.write(o.send)
      const max = o.banner_bytes ?? 1024
      const re = userRegex(o.banner)
      let bannerAt = 0
      const banner = await new Promise<string>((resolve, reject) => {
        let buf = ''
        const done = (value: string) => {
          bannerAt = performance.now()
          ctx.signal.removeEventListener('abort', onAbort)
          resolve(value)
        }

        const onAbort = () => resolve(buf)
        ctx.signal.addEventListener('abort', onAbort, {once: true})
        socket.on('data', (chunk: Buffer) => {
          buf += chunk.toString('latin1')
          if (re.test(buf) || buf.length >= max) done(buf.slice(0, max))
        })
        socket.once('end', () => done(buf))
        socket.once('error', (error) => {
          ctx.signal.removeEventListener('abort', onAbort)
          // A reset after some bytes still lets the banner be judged.
          if (buf.length > 0) resolve(buf)
          else reject(error)
        })
      })
      const line = banner.split(/\r?\n/)[0].slice(0, 120)
      if (!re.test(banner)) {
        const why =
          banner.length === 0
            ? ctx.signal.aborted
              ? 'no banner before timeout'
              : 'no banner'
            : `banner "${line}" does not match /${o.banner}/`
        return {
          status: 'crit',
          summary: why,
          timings: {...timings, totalMs: performance.now() - started},
          findings: [],
          metrics: {connectMs: timings.connectMs},
        }
      }

      // processing: connected to the banner read (blackbox_exporter's tcp prober times no phases; this is its query_response wait).
      timings.processingMs = (bannerAt || performance.now()) - connectDone
      return {
        status: 'ok',
        summary: `connected in ${Math.round(timings.connectMs)} ms, banner "${line}"`,
        timings: phases(timings.processingMs),
        findings: [],
        metrics: {connectMs: timings.connectMs},
        details: {banner: line},
      }
    } catch (error) {
      return fail('crit', describeNetError(error))
    } finally {
      socket.destroy()
    }
  },
}
