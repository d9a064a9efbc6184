import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

import type * as Undici from 'undici'

import {requireBundle} from './code-cache.js'

/**
 * undici loaded on first use: about 110 modules that commands which never make a request (check list,
 * check validate, …) should not pay for at start-up. Import these instead of 'undici'. The build's one-file
 * copy (scripts/oclif-pack.mjs) goes through V8's code cache when it is the installed version.
 */
let loaded: typeof Undici | undefined
function undici(): typeof Undici {
  loaded ??= (requireBundle(fileURLToPath(new URL('../vendor/undici.cjs', import.meta.url)), 'undici') ??
    createRequire(import.meta.url)('undici')) as typeof Undici
  return loaded
}

export function buildConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  return undici().buildConnector(options)
}

// eslint-disable-next-line @typescript-eslint/no-namespace -- merges with the function's declaration, as undici's types do
export declare namespace buildConnector {
  type BuildOptions = Undici.buildConnector.BuildOptions
  type connector = Undici.buildConnector.connector
}

export type Client = Undici.Client
/** undici's Client class (a constructor that builds the real one on first use). */
export const Client = function (...args: ConstructorParameters<typeof Undici.Client>) {
  return new (undici().Client)(...args)
} as unknown as typeof Undici.Client

export const request: typeof Undici.request = (...args) => undici().request(...args)

/** undici's header-list parser (raw [name, value, …] buffers into a headers object). */
export function parseHeaders(raw: Buffer[]): Record<string, string | string[]> {
  return undici().util.parseHeaders(raw) as Record<string, string | string[]>
}
