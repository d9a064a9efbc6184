import type http from 'node:http'

import {issueCert, rootCA} from '../helpers/certs.js'
import {type RunningServer, startHttp, startHttps} from '../helpers/servers.js'

/** What the loopback site answers; tests change it between runs. */
export interface SiteConfig {
  /** Headers of the page (an array sends the field several times). */
  headers: Record<string, string | string[]>
  body: string
  /** What http:// does: redirect to https on the same host, answer 200, or loop. */
  http: 'redirect' | 'plain' | 'loop' | 'off-host'
  /** security.txt: status, body, content type; `bytes` sends a raw buffer. */
  securityTxt: {status: number; body: string | Buffer; contentType: string}
  /** Answer to a CORS preflight. */
  cors: 'none' | 'reflect-credentials' | 'reflect' | 'wildcard'
  /** Bytes of a huge body, streamed instead of `body`. */
  hugeBody?: number
}

const YEAR_AHEAD = () => new Date(Date.now() + 200 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z')

export const GOOD_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

export function goodConfig(): SiteConfig {
  return {
    headers: {...GOOD_HEADERS},
    body: '<!doctype html><html><head><title>ok</title><script src="/app.js"></script></head><body>hello</body></html>',
    http: 'redirect',
    securityTxt: {
      status: 200,
      body: `Contact: mailto:security@site.test\nExpires: ${YEAR_AHEAD()}\nPreferred-Languages: en\n`,
      contentType: 'text/plain; charset=utf-8',
    },
    cors: 'none',
  }
}

export interface Site {
  config: SiteConfig
  https: RunningServer<http.Server>
  http: RunningServer<http.Server>
  /** https://site.test:PORT/ */
  url: string
  ca: string
  resolve: string[]
  close(): Promise<void>
}

/** An HTTPS site for `site.test` (certificate from the test root) and its plain-HTTP listener. */
export async function startSite(config: SiteConfig = goodConfig(), host = 'site.test'): Promise<Site> {
  const leaf = await issueCert({hosts: [host, 'other.test']})
  const ca = (await rootCA()).cert
  const site = {config} as Site
  site.https = await startHttps({key: leaf.key, cert: leaf.fullchain}, (req, res) => {
    const c = site.config
    if (req.method === 'OPTIONS') {
      const {origin} = req.headers
      if (c.cors === 'reflect-credentials' && origin) {
        res.setHeader('access-control-allow-origin', origin)
        res.setHeader('access-control-allow-credentials', 'true')
      }

      if (c.cors === 'reflect' && origin) res.setHeader('access-control-allow-origin', origin)
      if (c.cors === 'wildcard') res.setHeader('access-control-allow-origin', '*')
      res.writeHead(204).end()
      return
    }

    if (req.url === '/.well-known/security.txt') {
      res.writeHead(c.securityTxt.status, {'content-type': c.securityTxt.contentType}).end(c.securityTxt.body)
      return
    }

    for (const [k, v] of Object.entries(c.headers)) res.setHeader(k, v)
    if (c.hugeBody) {
      res.writeHead(200)
      const chunk = Buffer.alloc(64 * 1024, 'a')
      let sent = 0
      const pump = () => {
        while (sent < (c.hugeBody as number)) {
          sent += chunk.length
          if (!res.write(chunk)) return res.once('drain', pump)
        }

        res.end()
      }

      res.on('error', () => {})
      pump()
      return
    }

    res.writeHead(200).end(c.body)
  })
  site.http = await startHttp((req, res) => {
    const c = site.config
    switch (c.http) {
      case 'redirect': {
        res.writeHead(301, {location: `https://${host}:${site.https.port}${req.url}`}).end()
        break
      }

      case 'off-host': {
        res.writeHead(301, {location: `https://other.test:${site.https.port}/`}).end()
        break
      }

      case 'loop': {
        res.writeHead(302, {location: `http://${host}:${site.http.port}/a${req.url === '/' ? '' : ''}`}).end()
        break
      }

      default: {
        res.writeHead(200, {'content-type': 'text/html'}).end('plain')
      }
    }
  })
  site.url = `https://${host}:${site.https.port}/`
  site.ca = ca
  site.resolve = [
    `${host}:${site.https.port}:127.0.0.1`,
    `${host}:${site.http.port}:127.0.0.1`,
    `other.test:${site.https.port}:127.0.0.1`,
  ]
  site.close = async () => {
    await Promise.all([site.https.close(), site.http.close()])
  }

  return site
}
