import net from 'node:net'
import tls from 'node:tls'

import type {NetOptions} from './types.js'
import {errorMessage} from './errors.js'
import {describeNetError, resolveAddress} from './net.js'
import {secureContext} from './tls-context.js'

/**
 * STARTTLS on one MX host: connect, read the 220 greeting, EHLO, look for STARTTLS, upgrade, and report
 * the negotiated protocol and whether the certificate verifies for the MX name. A connection that cannot
 * be made at all is "unreachable" (outbound port 25 is often blocked), never a failure of the host.
 */

export type StarttlsOutcome =
  | {kind: 'unreachable'; reason: string}
  | {kind: 'no_starttls'; banner: string; capabilities: string[]}
  | {kind: 'failed'; reason: string}
  | {kind: 'ok'; protocol: string | null; cipher?: string; authorized: boolean; authorizationError?: string}

/** Reads one SMTP reply (all continuation lines), bounded in size. */
function readReply(socket: net.Socket, signal: AbortSignal): Promise<{code: number; lines: string[]}> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const cleanup = () => {
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('close', onClose)
      signal.removeEventListener('abort', onAbort)
    }

    const onData = (chunk: Buffer) => {
      buf += chunk.toString('latin1')
      if (buf.length > 16_384) {
        cleanup()
        reject(new Error('SMTP reply longer than 16 KiB'))
        return
      }

      const lines = buf.split(/\r?\n/)
      const complete = lines.slice(0, -1)
      const last = complete.findIndex((l) => /^\d{3}(\s|$)/.test(l))
      if (last !== -1) {
        cleanup()
        const reply = complete.slice(0, last + 1)
        resolve({code: Number(reply[last].slice(0, 3)), lines: reply.map((l) => l.slice(4))})
      } else if (complete.some((l) => !/^\d{3}-/.test(l))) {
        cleanup()
        reject(new Error(`not an SMTP reply: "${complete[0].slice(0, 60)}"`))
      }
    }

    const onError = (e: Error) => {
      cleanup()
      reject(e)
    }

    const onClose = () => {
      cleanup()
      reject(new Error('connection closed by the server'))
    }

    const onAbort = () => {
      cleanup()
      reject(new Error('timed out'))
    }

    socket.on('data', onData)
    socket.once('error', onError)
    socket.once('close', onClose)
    signal.addEventListener('abort', onAbort, {once: true})
  })
}

function connect(socket: net.Socket, address: string, port: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(new Error('connection timed out'))
    signal.addEventListener('abort', onAbort, {once: true})
    socket.once('error', reject)
    socket.connect({host: address, port}, () => {
      signal.removeEventListener('abort', onAbort)
      socket.off('error', reject)
      resolve()
    })
  })
}

/** The TLS handshake over the connection once the server said 220 to STARTTLS. */
function upgrade(socket: net.Socket, host: string, netOpts: NetOptions, signal: AbortSignal): Promise<StarttlsOutcome> {
  return new Promise<StarttlsOutcome>((resolve) => {
    const t = tls.connect({
      socket,
      servername: net.isIP(host) ? undefined : host,
      rejectUnauthorized: false,
      ...(netOpts.ca ? {secureContext: secureContext({ca: netOpts.ca})} : {}),
    })
    const onAbort = () => {
      t.destroy()
      resolve({kind: 'failed', reason: 'TLS handshake timed out'})
    }

    signal.addEventListener('abort', onAbort, {once: true})
    t.once('secureConnect', () => {
      signal.removeEventListener('abort', onAbort)
      const out: StarttlsOutcome = {
        kind: 'ok',
        protocol: t.getProtocol(),
        cipher: t.getCipher()?.name,
        authorized: t.authorized,
        ...(t.authorizationError ? {authorizationError: String(t.authorizationError)} : {}),
      }
      t.end('QUIT\r\n')
      t.destroy()
      resolve(out)
    })
    t.once('error', (e) => {
      signal.removeEventListener('abort', onAbort)
      resolve({kind: 'failed', reason: `TLS handshake failed: ${e.message}`})
    })
  })
}

/** Greeting, EHLO and STARTTLS on a connected socket, then the upgrade. */
async function converse(
  socket: net.Socket,
  host: string,
  netOpts: NetOptions,
  signal: AbortSignal,
): Promise<StarttlsOutcome> {
  let banner: {code: number; lines: string[]}
  try {
    banner = await readReply(socket, signal)
  } catch (error) {
    return {kind: 'unreachable', reason: `no SMTP greeting: ${errorMessage(error)}`}
  }

  if (banner.code !== 220) return {kind: 'failed', reason: `greeting ${banner.code} ${banner.lines[0] ?? ''}`.trim()}
  socket.write('EHLO watchkeeper.invalid\r\n')
  const ehlo = await readReply(socket, signal)
  if (ehlo.code !== 250) return {kind: 'failed', reason: `EHLO answered ${ehlo.code}`}
  const caps = ehlo.lines.slice(1).map((l) => l.trim().toUpperCase())
  if (!caps.some((c) => c === 'STARTTLS' || c.startsWith('STARTTLS '))) {
    socket.write('QUIT\r\n')
    return {kind: 'no_starttls', banner: banner.lines[0] ?? '', capabilities: caps}
  }

  socket.write('STARTTLS\r\n')
  const go = await readReply(socket, signal)
  if (go.code !== 220) return {kind: 'failed', reason: `STARTTLS answered ${go.code} ${go.lines[0] ?? ''}`.trim()}
  return upgrade(socket, host, netOpts, signal)
}

export async function probeStarttls(
  host: string,
  port: number,
  netOpts: NetOptions,
  signal: AbortSignal,
): Promise<StarttlsOutcome> {
  let address: string
  try {
    address = (await resolveAddress(host, port, netOpts, signal)).address
  } catch (error) {
    return {kind: 'unreachable', reason: describeNetError(error, `${host}:${port}`)}
  }

  const socket = new net.Socket()
  socket.on('error', () => {})
  try {
    try {
      await connect(socket, address, port, signal)
    } catch (error) {
      return {kind: 'unreachable', reason: describeNetError(error, `${host}:${port}`)}
    }

    return await converse(socket, host, netOpts, signal)
  } catch (error) {
    return {kind: 'failed', reason: errorMessage(error)}
  } finally {
    socket.destroy()
  }
}
