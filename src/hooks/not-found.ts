import type {Hook} from '@oclif/core'

import {didYouMean} from '../util/suggest.js'

/**
 * A mistyped command without a terminal (scripts, cron, CI logs): name the closest command on stderr.
 * In a terminal @oclif/plugin-not-found asks "Did you mean …?" itself, and in both cases it ends the run (exit 127).
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  if (process.stdin.isTTY) return
  const ids = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const guess =
    didYouMean(opts.id, ids) ??
    didYouMean(
      opts.id.replaceAll(':', ' '),
      ids.map((id) => id.replaceAll(':', ' ')),
    )?.replace(/ /g, ':')
  if (guess) process.stderr.write(`Did you mean: ${opts.config.bin} ${guess.replaceAll(':', ' ')}\n`)
}

export default hook
