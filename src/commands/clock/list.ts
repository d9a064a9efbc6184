import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {clockRegistry, userClockPaths} from '../../incidents/clock-load.js'
import {clockLength, notInForce} from '../../incidents/clocks.js'
import {clocksFlag} from '../../incidents/terminal/flags.js'
import {toIsoDuration} from '../../incidents/time.js'
import {renderTable} from '../../ui/table.js'

export default class ClockList extends BaseCommand<typeof ClockList> {
  static override summary =
    'List the regulatory clocks: length, what each runs from, who must be told, and whether it is in force'
  static override usesDatabase = false
  static override examples = [
    '<%= config.bin %> clock list',
    '<%= config.bin %> clock list --clocks our-clocks.yaml --json',
  ]
  static override flags = {clocks: clocksFlag}

  async run(): Promise<{clocks: unknown[]}> {
    const now = Date.now()
    const defs = [...clockRegistry(userClockPaths(this.flags.clocks)).values()].sort(
      (a, b) =>
        Number(notInForce(a, now) !== undefined) - Number(notInForce(b, now) !== undefined) ||
        a.name.localeCompare(b.name),
    )
    const clocks = defs.map((d) => ({
      name: d.name,
      length: clockLength(d),
      startsFrom: d.startsFrom ?? 'declared',
      to: d.to ?? null,
      basis: d.basis ?? null,
      source: d.source ?? null,
      warnWhenRemaining: d.warnBeforeMs.map(toIsoDuration),
      restartable: d.restartable ?? false,
      inForce: notInForce(d, now) === undefined,
      effectiveFrom: d.effectiveFrom ?? null,
      effectiveUntil: d.effectiveUntil ?? null,
      note: d.note ?? null,
    }))
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['NAME', 'LENGTH', 'FROM', 'IN FORCE', 'TO', 'NOTE'],
          clocks.map((c) => [
            c.name,
            c.length + (c.restartable ? ' (restartable)' : ''),
            c.startsFrom,
            c.inForce ? chalk.green('yes') : chalk.yellow('no'),
            c.to ?? '',
            chalk.dim(c.note ?? ''),
          ]),
        ),
      )
    }

    return {clocks}
  }
}
