/** Edge code of the incidents wing: the engine's Responder over @inquirer/prompts, with colour. */
import {input, select} from '@inquirer/prompts'
import chalk from 'chalk'

import type {
  AskPrompt,
  ChoosePrompt,
  CommandRanReport,
  ConfirmPrompt,
  PromptContext,
  Responder,
  TickPrompt,
} from '../../playbooks/responder.js'
import {WalkStop} from '../../playbooks/responder.js'
import {kindOf} from '../../playbooks/steps/index.js'
import {quoteArg} from '../../playbooks/values.js'
import {neutralise} from '../command-output.js'
import {clockText, commandResultLines} from './render.js'

const out = process.stderr

export class PromptResponder implements Responder {
  private shown = ''

  private header(p: PromptContext): void {
    const key = `${p.flow}:${p.inv}`
    if (key === this.shown) return
    this.shown = key
    const d = p.def
    const lines = [
      '',
      chalk.bold.cyan(`━━ ${d.name ?? p.localStep} `) +
        chalk.dim(`(${p.step}, ${d.type}${p.occurrence > 1 ? `, run ${p.occurrence}` : ''})`),
    ]
    if (p.owner)
      lines.push(
        `${chalk.dim('Owner')} ${p.owner.name}${p.owner.person ? ` — ${chalk.bold(p.owner.person)}` : chalk.dim(' (unassigned)')}`,
      )
    if (d.description) lines.push(chalk.dim(d.description.trim()))
    lines.push(...(kindOf(d).intro?.(d) ?? []).map((l) => chalk.dim(l)))
    for (const r of p.references) lines.push(`${chalk.dim(`Reference (${r.org})`)} ${r.text}`)
    const running = p.clocks.filter((c) => c.stoppedAt === undefined)
    if (running.length > 0)
      lines.push(chalk.dim('Clocks ') + running.map((c) => `${c.name} ${clockText(c, p.now)}`).join(chalk.dim(' · ')))
    out.write(lines.join('\n') + '\n')
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError'))
        throw new WalkStop('quit at the prompt (Ctrl-C)', 'quit')
      throw error
    }
  }

  async tick(p: TickPrompt): Promise<boolean> {
    this.header(p)
    return this.guard(() =>
      select(
        {
          message: `[${p.item + 1}/${p.of}] ${p.text}`,
          choices: [
            {name: 'Done', value: true},
            {name: 'Not done (record it as skipped)', value: false},
          ],
        },
        {output: out},
      ),
    )
  }

  async ask(p: AskPrompt): Promise<string> {
    this.header(p)
    return this.guard(() =>
      input(
        {
          message: `${p.description ?? p.variable} ${chalk.dim(`(${p.variable})`)}`,
          default: p.default,
          validate: (a) => p.validate(a) ?? true,
        },
        {output: out},
      ),
    )
  }

  async choose(p: ChoosePrompt): Promise<string> {
    this.header(p)
    return this.guard(() =>
      select(
        {
          message: p.message + (p.variable ? chalk.dim(` (${p.variable})`) : ''),
          choices: p.choices.map((c) => ({name: c.name ?? c.value, value: c.value})),
        },
        {output: out},
      ),
    )
  }

  async confirm(p: ConfirmPrompt): Promise<boolean> {
    this.header(p)
    if (p.interruptedAt !== undefined)
      out.write(
        chalk.yellow(
          `This command was started at ${new Date(p.interruptedAt).toISOString()} but its result was never recorded; it may have run.\n`,
        ),
      )
    if (p.command)
      out.write(`${chalk.bold('Command')} (no shell): ${chalk.yellow(neutralise(p.command.map(quoteArg).join(' ')))}\n`)
    const answer = await this.guard(() =>
      input(
        {
          message: 'Type "yes" to run it, or "no" to skip it',
          validate: (a) => /^(yes|no)$/i.test(a.trim()) || 'type yes or no',
        },
        {output: out},
      ),
    )
    return answer.trim().toLowerCase() === 'yes'
  }

  commandRan(p: CommandRanReport): void {
    out.write(commandResultLines(p.data).join('\n') + '\n')
  }
}
