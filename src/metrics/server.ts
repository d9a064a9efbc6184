import http from 'node:http'

import {UserError} from '../errors.js'

/** Parses `127.0.0.1:9464`, `[::1]:9464`, `:9464` or `9464` (all interfaces need an explicit 0.0.0.0). */
export function parseListenAddress(addr: string): {host: string; port: number} {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]*))?:?(\d{1,5})$/.exec(addr.trim())
  const port = m ? Number(m[3]) : Number.NaN
  if (!m || port > 65_535) {
    throw new UserError(`--metrics ${addr}: expected host:port, e.g. 127.0.0.1:9464`, {code: 'E_FLAG', exit: 2})
  }

  return {host: m[1] ?? (m[2] || '127.0.0.1'), port}
}

export interface MetricsServer {
  /** The bound address (port resolved when 0 was asked). */
  address: {host: string; port: number}
  close(): Promise<void>
}

/** A route on watch's HTTP listener, added by a feature module (fleet entry points, status pages, the read API). */
export interface Route {
  method: 'GET' | 'POST'
  /** An exact path (`/sd`) or a prefix ending in `/` (`/badge/`). */
  path: string
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void | Promise<void>
}

function matches(route: Route, path: string): boolean {
  return route.path.endsWith('/') && route.path.length > 1 ? path.startsWith(route.path) : path === route.path
}

/** What the server serves: metrics (absent on a listener that serves only its routes), health and extra routes. */
interface ServerHandlers {
  /** Absent on a listener that serves only its routes (watch --status-listen). */
  metrics?: () => Promise<{contentType: string; body: string}>
  health: () => {healthy: boolean; [k: string]: unknown}
  routes?: readonly Route[]
}

/** GET /metrics (when there are metrics), GET /healthz, then the extra routes. */
function serverRoutes(handlers: ServerHandlers): Route[] {
  const {metrics} = handlers
  return [
    ...(metrics
      ? [
          {
            method: 'GET' as const,
            path: '/metrics',
            async handle(_req: http.IncomingMessage, res: http.ServerResponse) {
              try {
                const {contentType, body} = await metrics()
                res.writeHead(200, {'content-type': contentType}).end(body)
              } catch (error) {
                const message = error instanceof Error ? error.message : String(error)
                res.writeHead(500, {'content-type': 'text/plain'}).end(`metrics failed: ${message}\n`)
              }
            },
          },
        ]
      : []),
    {
      method: 'GET',
      path: '/healthz',
      handle(_req, res) {
        const h = handlers.health()
        res.writeHead(h.healthy ? 200 : 503, {'content-type': 'application/json'}).end(JSON.stringify(h) + '\n')
      },
    },
    ...(handlers.routes ?? []),
  ]
}

/** A request listener that sends each request to its route: 400 on a bad URL, 404 off every path, 405 on a wrong method. */
function dispatch(routes: readonly Route[]): http.RequestListener {
  return (req, res) => {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://watchkeeper.invalid')
    } catch {
      res.writeHead(400, {'content-type': 'text/plain'}).end('bad request\n')
      return
    }

    const onPath = routes.filter((r) => matches(r, url.pathname))
    if (onPath.length === 0) {
      res.writeHead(404, {'content-type': 'text/plain'}).end('watchkeeper: try /metrics or /healthz\n')
      return
    }

    const method = req.method === 'HEAD' ? 'GET' : req.method
    const route = onPath.find((r) => r.method === method)
    if (!route) {
      res
        .writeHead(405, {
          allow: [...new Set(onPath.map((r) => (r.method === 'GET' ? 'GET, HEAD' : r.method)))].join(', '),
        })
        .end()
      return
    }

    Promise.resolve()
      .then(() => route.handle(req, res, url))
      .catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, {'content-type': 'text/plain'})
        res.end(`failed: ${error.message}\n`)
      })
  }
}

/** Listens on host:port; a failure is a UserError naming the address. Resolves to the address bound. */
async function listen(server: http.Server, host: string, port: number): Promise<{host: string; port: number}> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new UserError(`Cannot listen on ${host}:${port} for metrics: ${error.code ?? error.message}`, {
          hint: 'Pick a free port with --metrics HOST:PORT.',
          code: 'E_LISTEN',
        }),
      ),
    )
    server.listen(port, host, () => resolve())
  })
  const a = server.address()
  if (a === null || typeof a === 'string') throw new Error(`metrics server is not on a TCP address: ${a}`)
  return {host: a.address, port: a.port}
}

/** Serves GET /metrics (Prometheus text), GET /healthz (JSON) and any extra routes on the address. */
export async function startMetricsServer(addr: string, handlers: ServerHandlers): Promise<MetricsServer> {
  const {host, port} = parseListenAddress(addr)
  const server = http.createServer(dispatch(serverRoutes(handlers)))
  // Slow or stalled clients are cut off rather than holding sockets open.
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  server.keepAliveTimeout = 65_000
  const address = await listen(server, host, port)
  return {
    address,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
