/**
 * Real loopback servers for tests: HTTP, HTTPS (certificates from ./certs.ts) and raw TCP, each on
 * 127.0.0.1 with a free port. `close()` destroys open connections, so a test never waits on a
 * keep-alive socket or a handler that never answers.
 */
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'

export interface RunningServer<S extends net.Server = net.Server> {
  server: S
  port: number
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT` (no trailing slash); `127.0.0.1:PORT` for TCP/TLS. */
  url: string
  close(): Promise<void>
}

async function listen<S extends net.Server>(server: S, scheme: string): Promise<RunningServer<S>> {
  const sockets = new Set<net.Socket>()
  server.on('connection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.on('secureConnection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const {port} = server.address() as net.AddressInfo
  return {
    server,
    port,
    url: scheme ? `${scheme}://127.0.0.1:${port}` : `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void

/** An HTTP server; the handler sees every request. */
export function startHttp(handler: Handler): Promise<RunningServer<http.Server>> {
  return listen(http.createServer(handler), 'http')
}

/** An HTTPS server with the given key and certificate chain (e.g. `{key, cert: issued.fullchain}`). */
export function startHttps(options: https.ServerOptions, handler: Handler): Promise<RunningServer<https.Server>> {
  return listen(https.createServer(options, handler), 'https')
}

/** A raw TCP server; `onConnection` gets each socket (errors on it are swallowed). */
export function startTcp(onConnection: (socket: net.Socket) => void): Promise<RunningServer<net.Server>> {
  return listen(
    net.createServer((socket) => {
      socket.on('error', () => socket.destroy())
      onConnection(socket)
    }),
    '',
  )
}

/** A TLS server (no HTTP on top); `onConnection` gets each secure socket. */
export function startTls(
  options: tls.TlsOptions,
  onConnection: (socket: tls.TLSSocket) => void = (s) => s.end(),
): Promise<RunningServer<tls.Server>> {
  const server = tls.createServer(options, (socket) => {
    socket.on('error', () => socket.destroy())
    onConnection(socket)
  })
  // Handshake failures (a client refusing the certificate) are expected in tests.
  server.on('tlsClientError', () => {})
  return listen(server, '')
}

/** A port on 127.0.0.1 that nothing listens on (bound, read, released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const {port} = s.address() as net.AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
