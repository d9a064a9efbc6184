import type net from 'node:net'
import tls from 'node:tls'

import {type RunningServer, startTcp} from '../helpers/servers.js'

/**
 * A minimal SMTP server on loopback: 220 greeting, EHLO (advertising STARTTLS when given a key and
 * certificate), STARTTLS upgrade with a real TLS server socket, QUIT. Enough for a posture probe.
 */
export function startSmtp(
  opts: {
    tls?: {key: string; cert: string; minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion; ciphers?: string}
    greeting?: string
  } = {},
): Promise<RunningServer<net.Server>> {
  return startTcp((socket) => {
    socket.write(`${opts.greeting ?? '220 mx.test ESMTP ready'}\r\n`)
    let buf = ''
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('latin1')
      let i: number
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 2)
        const verb = line.split(' ')[0].toUpperCase()
        if (verb === 'EHLO')
          socket.write(
            `250-mx.test greets you\r\n250-SIZE 10240000\r\n${opts.tls ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`,
          )
        else if (verb === 'STARTTLS' && opts.tls) {
          socket.off('data', onData)
          socket.write('220 go ahead\r\n', () => {
            const secure = new tls.TLSSocket(socket, {
              isServer: true,
              key: opts.tls?.key,
              cert: opts.tls?.cert,
              minVersion: opts.tls?.minVersion,
              maxVersion: opts.tls?.maxVersion,
              ciphers: opts.tls?.ciphers,
            })
            secure.on('error', () => socket.destroy())
            secure.on('data', () => secure.end('221 bye\r\n'))
          })
          return
        } else if (verb === 'QUIT') socket.end('221 bye\r\n')
        else socket.write('502 not implemented\r\n')
      }
    }

    socket.on('data', onData)
  })
}
