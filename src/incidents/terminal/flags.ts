/** Edge code of the incidents wing: oclif flags shared by the incident commands. */
import {Flags} from '@oclif/core'
import os from 'node:os'

import {UserError} from '../../errors.js'
import {parseDuration} from '../../util/duration.js'

export const actorFlag = Flags.string({description: 'who is acting, recorded on every event [default: $WATCHKEEPER_ACTOR or the OS user name]'})

export function actorName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag && flag.trim()) return flag.trim()
  if (env.WATCHKEEPER_ACTOR && env.WATCHKEEPER_ACTOR.trim()) return env.WATCHKEEPER_ACTOR.trim()
  try {
    return os.userInfo().username
  } catch {
    return 'unknown'
  }
}

/** An ISO 8601 date-time, or a duration ago such as `15m` / `2h30m`. */
export function parseWhen(text: string, now: number, flag: string): number {
  const ago = parseDuration(text.replace(/\s*ago$/, ''))
  if (ago !== undefined) return now - ago
  const t = Date.parse(text)
  if (Number.isNaN(t)) throw new UserError(`${flag} ${text}: expected an ISO 8601 time (2026-05-06T14:03:00Z) or a duration ago (15m, 2h).`, {code: 'E_USAGE', exit: 2})
  return t
}

export const clocksFlag = Flags.string({description: 'your own clock definition file or folder, beside the shipped clocks/ (repeatable) [env: WATCHKEEPER_CLOCKS]', multiple: true})
