import {afterEach, describe, expect, it} from 'vitest'

import {type MetricsServer, startMetricsServer} from '../../src/metrics/server.js'

let server: MetricsServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('watch listener routes', () => {
  it('dispatches extra routes by exact path and prefix, and answers 404 and 405', async () => {
    server = await startMetricsServer('127.0.0.1:0', {
      metrics: async () => ({contentType: 'text/plain', body: 'm 1\n'}),
      health: () => ({healthy: true}),
      routes: [
        {method: 'GET', path: '/sd', handle: (_req, res) => void res.writeHead(200).end('sd')},
        {method: 'GET', path: '/badge/', handle: (_req, res, url) => void res.writeHead(200).end(url.pathname)},
        {method: 'POST', path: '/hook', handle: (_req, res) => void res.writeHead(202).end()},
        {
          method: 'GET',
          path: '/boom',
          handle() {
            throw new Error('broken')
          },
        },
      ],
    })
    const base = `http://127.0.0.1:${server.address.port}`
    expect(await (await fetch(`${base}/metrics`)).text()).toBe('m 1\n')
    expect(await (await fetch(`${base}/sd?x=1`)).text()).toBe('sd')
    expect(await (await fetch(`${base}/badge/a/b.svg`)).text()).toBe('/badge/a/b.svg')
    expect((await fetch(`${base}/hook`, {method: 'POST'})).status).toBe(202)
    const wrong = await fetch(`${base}/hook`)
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
    expect((await fetch(`${base}/sd`, {method: 'POST'})).status).toBe(405)
    expect((await fetch(`${base}/nowhere`)).status).toBe(404)
    expect((await fetch(`${base}/badge`)).status).toBe(404)
    const boom = await fetch(`${base}/boom`)
    expect(boom.status).toBe(500)
    expect(await boom.text()).toContain('broken')
  })
})
