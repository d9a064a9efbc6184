/** Edge code of the incidents wing: oclif flags shared by the incident commands. */
import {Flags} from '@oclif/core'
import os from 'node:os'

export const actorFlag = Flags.string({
  description: 'who is acting, recorded on every event [default: $WATCHKEEPER_ACTOR or the OS user name]',
})

export function actorName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag && flag.trim()) return flag.trim()
  if (env.WATCHKEEPER_ACTOR && env.WATCHKEEPER_ACTOR.trim()) return env.WATCHKEEPER_ACTOR.trim()
  try {
    return os.userInfo().username
  } catch {
    return 'unknown'
  }
}

export {parseWhen} from '../../util/when.js'

export const clocksFlag = Flags.string({
  description:
    'your own clock definition file or folder, beside the shipped clocks/ (repeatable) [env: WATCHKEEPER_CLOCKS]',
  multiple: true,
})
