import {UserError} from '../errors.js'

/** Where a probe sees services from: stamped on metric series (and stored results) as labels. */
export interface Vantage {
  id: string
  /** internet, hscn or another network name. */
  net?: string
  region?: string
}

/** Whether `x` has a vantage's shape: a string id, and net and region strings when present. */
export function isVantage(x: unknown): x is Vantage {
  if (typeof x !== 'object' || x === null) return false
  const id = 'id' in x ? x.id : undefined
  const net = 'net' in x ? x.net : undefined
  const region = 'region' in x ? x.region : undefined
  return (
    typeof id === 'string' &&
    (net === undefined || typeof net === 'string') &&
    (region === undefined || typeof region === 'string')
  )
}

export const VANTAGE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
export const VANTAGE_NET_PATTERN = '^[a-z][a-z0-9_-]{0,31}$'
export const VANTAGE_REGION_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'

const ID = new RegExp(VANTAGE_ID_PATTERN)
const NET = new RegExp(VANTAGE_NET_PATTERN)
const REGION = new RegExp(VANTAGE_REGION_PATTERN)

function flagError(flag: string, value: string, expected: string): UserError {
  return new UserError(`${flag} ${value}: ${expected}`, {code: 'E_FLAG', exit: 2})
}

/**
 * The vantage of `--vantage ID[,net=NET][,region=R]`, with `--vantage-net` and `--vantage-region` as
 * separate flags; undefined when no --vantage was given. `usageExit` is the command's exit for bad flags.
 */
export function vantageFromFlags(
  flags: {vantage?: string; net?: string; region?: string},
  usageExit = 2,
): Vantage | undefined {
  const fail = (flag: string, value: string, expected: string) => {
    const e = flagError(flag, value, expected)
    return usageExit === 2 ? e : new UserError(e.message, {code: 'E_FLAG', exit: usageExit})
  }

  if (flags.vantage === undefined) {
    if (flags.net !== undefined) throw fail('--vantage-net', flags.net, 'needs --vantage ID')
    if (flags.region !== undefined) throw fail('--vantage-region', flags.region, 'needs --vantage ID')
    return undefined
  }

  const [id, ...rest] = flags.vantage.split(',')
  if (!ID.test(id))
    throw fail(
      '--vantage',
      flags.vantage,
      'expected an id of letters, digits, . _ - (up to 64), e.g. aws-lon-1,net=internet,region=eu-west-2',
    )
  const v: Vantage = {id}
  for (const part of rest) {
    const m = /^(net|region)=(.*)$/.exec(part)
    if (!m) throw fail('--vantage', flags.vantage, `unknown part "${part}" (expected net=NAME or region=NAME)`)
    if (m[1] === 'net') v.net = m[2]
    else v.region = m[2]
  }

  if (flags.net !== undefined) {
    if (v.net !== undefined) throw fail('--vantage-net', flags.net, 'net is already given in --vantage')
    v.net = flags.net
  }

  if (flags.region !== undefined) {
    if (v.region !== undefined) throw fail('--vantage-region', flags.region, 'region is already given in --vantage')
    v.region = flags.region
  }

  if (v.net !== undefined && !NET.test(v.net))
    throw fail('--vantage', flags.vantage, `net "${v.net}": expected internet, hscn or another lower-case name`)
  if (v.region !== undefined && !REGION.test(v.region))
    throw fail('--vantage', flags.vantage, `region "${v.region}": expected letters, digits, . _ -`)
  return v
}

/** The labels a vantage puts on every series: vantage, net, region (those set). */
export function vantageLabels(v: Vantage | undefined): Record<string, string> {
  if (!v) return {}
  return {vantage: v.id, ...(v.net ? {net: v.net} : {}), ...(v.region ? {region: v.region} : {})}
}
