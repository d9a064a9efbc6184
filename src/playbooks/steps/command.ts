/** `command`: run a program with arguments (never through a shell) once the responder confirms the exact command. */
import type {Static} from '@sinclair/typebox'

import type {NewEvent} from '../../incidents/chain.js'
import type {StepRun, StepType} from './types.js'
import {commandRunOf, exitText, neutralise} from '../../incidents/command-output.js'
import {parseIsoDuration} from '../../incidents/time.js'
import {formatDuration, TIMEOUT_RANGE} from '../../util/duration.js'
import {interpolate, quoteArg, str, strings} from '../values.js'
import {flowEdge, nextEdge} from './flow.js'
import {type Builder, duration, stepId, stepSchema, VAR} from './schema-parts.js'

const schema = (T: Builder) =>
  stepSchema(
    T,
    'command',
    'run a program with arguments (never through a shell) after the responder confirms the exact command',
    {
      argv: T.Array(T.String(), {
        minItems: 1,
        description: 'program and arguments; ${var} is filled in from variables',
      }),
      timeout: T.Optional(duration(T, 'how long the command may run, 1ms to 24d', {durationRange: TIMEOUT_RANGE})),
      on_success: T.Optional(stepId(T, 'step after exit code 0 (default: next)')),
      on_failure: T.Optional(stepId(T, 'step after a non-zero exit, a timeout, or a declined run (default: next)')),
      exit_code_to: T.Optional(T.String({pattern: VAR, description: 'variable that receives the exit code'})),
      exercise_safe: T.Optional(
        T.Boolean({
          description:
            'true: the command may run during an exercise (otherwise an exercise records it as declined and takes on_failure)',
        }),
      ),
    },
  )

export type CommandStep = Static<ReturnType<typeof schema>>

/** How much of a command's output the timeline keeps. */
const OUTPUT_KEEP = 8192
const DEFAULT_TIMEOUT = 10 * 60_000
const VAR_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

const shown = (argv: unknown) => neutralise(strings(argv).map(quoteArg).join(' '))

async function runIt(step: CommandStep, run: StepRun, argv: string[]): Promise<void> {
  const {base, deps} = run
  run.append([{type: 'command_started', data: {...base, argv}}])
  const timeoutMs = step.timeout ? (parseIsoDuration(step.timeout) ?? DEFAULT_TIMEOUT) : DEFAULT_TIMEOUT
  const out = await deps.runCommand(argv, {timeoutMs})
  // Loaded here, not with the type: validating a playbook needs neither the hash nor the process helpers.
  const [{sha256Hex}, {utf8Prefix}] = await Promise.all([
    import('../../incidents/chain.js'),
    import('../run-command.js'),
  ])
  const kept = utf8Prefix(out.output, OUTPUT_KEEP)
  const ran: NewEvent = {
    type: 'command_run',
    data: {
      ...base,
      argv,
      exitCode: out.exitCode,
      signal: out.signal ?? undefined,
      timedOut: out.timedOut,
      durationMs: Math.round(out.durationMs),
      outputSha256: sha256Hex(out.output),
      outputBytes: out.output.length,
      output: kept.toString('utf8'),
      outputKeptBytes: kept.length,
      outputTruncated: out.output.length > kept.length,
      error: out.error,
    },
  }
  const extra: NewEvent[] = [ran]
  if (step.exit_code_to)
    extra.push({type: 'variable_recorded', data: {...base, name: step.exit_code_to, value: out.exitCode ?? -1}})
  const ok = out.exitCode === 0 && !out.timedOut
  // The result is a fact: it is written whatever another responder did meanwhile.
  await run.finish(
    run.nextOr(ok ? (step.on_success ?? step.next ?? run.implicit) : (step.on_failure ?? step.next ?? run.implicit)),
    extra,
    true,
  )
  await deps.responder.commandRan?.({...run.ctx, data: ran.data})
}

export const command: StepType<CommandStep> = {
  type: 'command',
  schema,
  fields: {argv: 'texts', timeout: 'text', on_success: 'edge', on_failure: 'edge', exit_code_to: 'text'},
  edges: (s, implicit) => [
    ...(s.on_success ? flowEdge(s.on_success, ['on_success']) : nextEdge(s, implicit)),
    ...(s.on_failure ? flowEdge(s.on_failure, ['on_failure']) : nextEdge(s, implicit)),
  ],
  check(s, c) {
    if (s.exit_code_to) c.variable(['exit_code_to'], s.exit_code_to)
    for (const [j, a] of s.argv.entries()) {
      for (const m of a.matchAll(VAR_REF)) c.variable(['argv', j], m[1])
    }
  },
  sets: (s) => (s.exit_code_to ? [s.exit_code_to] : []),
  async advance(step, run) {
    if (await run.askNext()) return
    const argv = step.argv.map((a) => interpolate(a, run.state.vars))
    const declined = run.nextOr(step.on_failure ?? step.next ?? run.implicit)
    if (run.deps.exercise && step.exercise_safe !== true) {
      // An exercise never runs a command against the real estate unless the playbook says it is safe to.
      return run.finish(declined, [
        {type: 'command_declined', data: {...run.base, argv, reason: 'exercise: the step is not marked exercise_safe'}},
      ])
    }

    const interrupted = run.flow.commandStartedAt
    const yes = await run.deps.responder.confirm({
      ...run.ctx,
      message: `Run ${argv.map(quoteArg).join(' ')} ?`,
      command: argv,
      ...(interrupted === undefined ? {} : {interruptedAt: interrupted}),
    })
    if (!yes) return run.finish(declined, [{type: 'command_declined', data: {...run.base, argv}}])
    await runIt(step, run, argv)
  },
  show: (s) => [`$ ${s.argv.join(' ')}`],
  cacao: {
    type: () => 'action',
    step: (s, c) => ({
      type: 'action',
      commands: [{type: 'bash', command: s.argv.map(quoteArg).join(' ')}],
      ...(s.timeout ? {timeout: parseIsoDuration(s.timeout)} : {}),
      on_success: c.ref(s.on_success ?? s.next ?? c.implicit),
      on_failure: c.ref(s.on_failure ?? s.next ?? c.implicit),
    }),
  },
  events: {
    command_started: {
      describe: (d) => `Started ${shown(d.argv)}`,
      reduce: ({flow, event}) => void (flow && (flow.commandStartedAt = event.occurredAt)),
    },
    command_run: {
      describe(d) {
        const r = commandRunOf(d)
        return (
          `Ran ${neutralise(r.argv.map(quoteArg).join(' '))}: ${exitText(r)}${r.durationMs === undefined ? '' : ` in ${formatDuration(r.durationMs)}`}, ` +
          `${r.outputBytes} bytes of output${r.bytesNotKept > 0 ? ` (first ${r.outputBytes - r.bytesNotKept} kept)` : ''}, sha256 ${str(r.outputSha256).slice(0, 16)}…`
        )
      },
      reduce: ({flow}) => void (flow && (flow.commandStartedAt = undefined)),
    },
    command_declined: {
      describe: (d) => `Declined to run ${shown(d.argv)}${d.reason ? ` (${str(d.reason)})` : ''}`,
      reduce: ({flow}) => void (flow && (flow.commandStartedAt = undefined)),
      decision: true,
    },
  },
}
