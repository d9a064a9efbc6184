import tls from 'node:tls'

/**
 * Shared TLS secure contexts. Building one with extra CAs loads Node's ~140 public roots again (about
 * 13 ms of CPU on an idle core, per connection); a posture sweep makes a dozen. One context per
 * (ca, versions, ciphers) is built once and reused; connections still verify and report as before.
 */

export interface ContextOptions {
  /** PEM of extra trusted CAs, added to Node's public roots. */
  ca?: string
  minVersion?: tls.SecureVersion
  maxVersion?: tls.SecureVersion
  ciphers?: string
}

const MAX = 64
const cache = new Map<string, tls.SecureContext>()

/** The shared context for these options (throws as tls.createSecureContext does, e.g. ERR_SSL_NO_CIPHER_MATCH). */
export function secureContext(o: ContextOptions): tls.SecureContext {
  const key = `${o.ca ?? ''}\u0000${o.minVersion ?? ''}\u0000${o.maxVersion ?? ''}\u0000${o.ciphers ?? ''}`
  let ctx = cache.get(key)
  if (ctx) {
    // Most recently used last, so the oldest goes first when the cache is full.
    cache.delete(key)
    cache.set(key, ctx)
    return ctx
  }

  ctx = tls.createSecureContext({
    ...(o.ca ? {ca: [...tls.rootCertificates, o.ca]} : {}),
    ...(o.minVersion ? {minVersion: o.minVersion} : {}),
    ...(o.maxVersion ? {maxVersion: o.maxVersion} : {}),
    ...(o.ciphers ? {ciphers: o.ciphers} : {}),
  })
  const oldest = cache.keys().next()
  if (cache.size >= MAX && !oldest.done) cache.delete(oldest.value)
  cache.set(key, ctx)
  return ctx
}
