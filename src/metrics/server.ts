import http from 'node:http'

import {UserError} from '../errors.js'

/** Parses `127.0.0.1:9464`, `[::1]:9464`, `:9464` or `9464` (all interfaces need an explicit 0.0.0.0). */
export function parseListenAddress(addr: string): {host: string; port: number} {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]*))?:?(\d{1,5})$/.exec(addr.trim())
  const port = m ? Number(m[3]) : NaN
  if (!m || port > 65535) {
    throw new UserError(`--metrics ${addr}: expected host:port, e.g. 127.0.0.1:9464`, {code: 'E_FLAG', exit: 2})
  }
  return {host: m[1] ?? (m[2] || '127.0.0.1'), port}
}

export interface MetricsServer {
  /** The bound address (port resolved when 0 was asked). */
  address: {host: string; port: number}
  close(): Promise<void>
}

/** Serves GET /metrics (Prometheus text) and GET /healthz (JSON) on the address. */
export async function startMetricsServer(addr: string, handlers: {
  metrics: () => Promise<{contentType: string; body: string}>
  health: () => {healthy: boolean; [k: string]: unknown}
}): Promise<MetricsServer> {
  const {host, port} = parseListenAddress(addr)
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {allow: 'GET, HEAD'}).end()
      return
    }
    if (path === '/metrics') {
      handlers.metrics().then(({contentType, body}) => {
        res.writeHead(200, {'content-type': contentType}).end(body)
      }, (error: Error) => {
        res.writeHead(500, {'content-type': 'text/plain'}).end(`metrics failed: ${error.message}\n`)
      })
      return
    }
    if (path === '/healthz') {
      const h = handlers.health()
      res.writeHead(h.healthy ? 200 : 503, {'content-type': 'application/json'}).end(JSON.stringify(h) + '\n')
      return
    }
    res.writeHead(404, {'content-type': 'text/plain'}).end('watchkeeper: try /metrics or /healthz\n')
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UserError(`Cannot listen on ${host}:${port} for metrics: ${error.code ?? error.message}`, {hint: 'Pick a free port with --metrics HOST:PORT.', code: 'E_LISTEN'})))
    server.listen(port, host, () => resolve())
  })
  const a = server.address() as {address: string; port: number}
  return {
    address: {host: a.address, port: a.port},
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
