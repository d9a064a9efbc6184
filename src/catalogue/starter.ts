import fs from 'node:fs'
import path from 'node:path'

import {DefinitionError, UserError} from '../errors.js'
import {buildWatchConfig} from '../monitor/watch-config.js'
import {PACKAGE_ROOT} from '../paths.js'
import {sortProblems} from '../util/yaml-schema.js'
import {validateCatalogue} from './load.js'
import {TIERS} from './tiers.js'

/** What `watchkeeper init` asks for: one service of your own, by its URL. */
export interface StarterOptions {
  url: string
  /** Human name of the check; default: the URL's host. */
  name?: string
  /** Check id; default: the host in lower case. */
  id?: string
  /** Service the checks belong to; default: the name. */
  service?: string
  tier?: (typeof TIERS)[number]
}

export interface StarterResult {
  file: string
  schema: string
  checks: {id: string; kind: string; target: string}[]
}

export const SHIPPED_CHECKS_SCHEMA = path.join(PACKAGE_ROOT, 'schemas', 'checks.schema.json')

const ID = /^[a-z0-9][a-z0-9._-]*$/

/** The URL as a target: http(s) only, with a host, no credentials (they would land in results). */
function parseTarget(raw: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new UserError(`--url ${raw}: not a URL`, {
      hint: 'Give the full address, e.g. --url https://service.example.nhs.uk/health',
      code: 'E_FLAG',
      exit: 2,
    })
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`--url ${raw}: expected an http:// or https:// URL, got ${url.protocol}`, {
      code: 'E_FLAG',
      exit: 2,
    })
  }

  if (url.username || url.password) {
    throw new UserError(`--url ${raw}: credentials in the URL would be stored with every result`, {
      hint: 'Leave them out; send a token with headers: and ${env:NAME} in the file instead.',
      code: 'E_FLAG',
      exit: 2,
    })
  }

  return url
}

function defaultId(host: string): string {
  const id = host
    .toLowerCase()
    .replaceAll(/^\[|\]$/g, '')
    .replaceAll(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
  return id === '' ? 'my-service' : id
}

/** The `$schema` reference: relative inside the package (as the shipped files have it), else absolute. */
function schemaRef(file: string): string {
  const rel = path.relative(path.dirname(path.resolve(file)), SHIPPED_CHECKS_SCHEMA)
  return path.resolve(file).startsWith(PACKAGE_ROOT + path.sep) ? rel.split(path.sep).join('/') : SHIPPED_CHECKS_SCHEMA
}

const q = (s: string) => JSON.stringify(s)

/** The text of a starter catalogue: an HTTP check of the URL, and a certificate check when it is https. */
export function starterText(o: StarterOptions, file: string): {text: string; checks: StarterResult['checks']} {
  const url = parseTarget(o.url)
  const host = url.hostname
  const id = o.id ?? defaultId(host)
  if (!ID.test(id))
    throw new UserError(`--id ${id}: expected lower-case letters, digits, . _ - (starting with a letter or digit)`, {
      code: 'E_FLAG',
      exit: 2,
    })
  const name = o.name ?? host.replaceAll(/^\[|\]$/g, '')
  const service = o.service ?? name
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  const checks: StarterResult['checks'] = [{id, kind: 'http', target: url.href}]
  if (url.protocol === 'https:') checks.push({id: `${id}-tls`, kind: 'tls', target: `${host}:${port}`})
  const shown = path.basename(file)
  const lines = [
    `# yaml-language-server: $schema=${schemaRef(file)}`,
    '#',
    `# A starter catalogue for ${name}, written by \`watchkeeper init\`. Try it, then make it yours:`,
    `#   watchkeeper check run --checks ${shown}        # once, now: exit 0 ok, 1 warn, 2 crit, 3 unknown`,
    `#   watchkeeper watch --checks ${shown}            # on the interval below, alerting on state changes`,
    `#   watchkeeper check validate --checks ${shown}   # after each edit: every problem, with line and column`,
    '# Every key is in the schema above (your editor completes them) and in `watchkeeper check schema`.',
    '',
    'defaults:',
    `  service: ${q(service)}`,
    ...(o.tier ? [`  tier: ${o.tier}`] : []),
    '  timeout: 10s',
    '  retries: 1       # one more attempt before a failure counts',
    '  interval: 1m     # how often `watch` runs each check',
    '',
    'checks:',
    `  - id: ${id}`,
    `    name: ${q(name)}`,
    '    kind: http',
    `    target: ${q(url.href)}`,
    '    latency: {warn: 2s, crit: 5s}',
    '    expect:',
    '      status: 200-299  # after redirects; add matches:, json: or headers: assertions here',
  ]
  if (url.protocol === 'https:') {
    lines.push(
      '',
      `  - id: ${id}-tls`,
      `    name: ${q(`TLS certificate of ${host}`)}`,
      '    kind: tls',
      `    target: ${q(`${host}:${port}`)}    # expiry (warn 30 days, crit 14), chain, host name, TLS 1.2+`,
    )
  }

  lines.push(
    '',
    '# Alerts from `watch`: uncomment, and set OPS_WEBHOOK_URL in the environment (never in this file).',
    '# notifiers:',
    '#   ops:',
    '#     type: webhook',
    '#     url: ${env:OPS_WEBHOOK_URL}',
    '',
  )
  return {text: lines.join('\n'), checks}
}

/**
 * Writes a starter catalogue to `file` after the real catalogue validator has passed it: written to a
 * temporary file beside it, validated, then renamed into place, so a failure leaves nothing behind.
 */
export function writeStarter(
  file: string,
  o: StarterOptions,
  opts: {force?: boolean; env?: NodeJS.ProcessEnv} = {},
): StarterResult {
  const {text, checks} = starterText(o, file)
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new UserError(
      `--out ${file} is a folder; give the file to write, e.g. ${path.join(file, 'my-service.yaml')}`,
      {code: 'E_FLAG', exit: 2},
    )
  }

  if (fs.existsSync(file) && !opts.force) {
    throw new UserError(`${file} exists; not overwriting it.`, {
      hint: 'Pass --force to replace it, or --out for another file.',
      code: 'E_EXISTS',
      exit: 2,
    })
  }

  const dir = path.dirname(path.resolve(file))
  if (!fs.existsSync(dir)) throw new UserError(`No folder ${dir} for --out ${file}`, {code: 'E_FLAG', exit: 2})
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp.yaml`)
  fs.writeFileSync(tmp, text, {mode: 0o644})
  try {
    // What `check validate` checks: the schema and the probes, then what only `watch` reads.
    const validated = validateCatalogue([tmp], {env: opts.env})
    const problems = validated.catalogue
      ? sortProblems(buildWatchConfig(validated.catalogue).problems)
      : validated.problems
    if (problems.length > 0)
      throw new DefinitionError(
        problems.map((p) => ({...p, file: p.file === tmp ? file : p.file})),
        'starter catalogue (nothing written)',
      )
    fs.renameSync(tmp, file)
  } finally {
    fs.rmSync(tmp, {force: true})
  }

  return {file, schema: schemaRef(file), checks}
}
