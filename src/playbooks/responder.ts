import type {ClockState} from '../incidents/clocks.js'
import type {Playbook, Step, VariableType} from './model.js'

/** What every prompt carries, so a responder can show the step, its owner and the clocks. */
export interface PromptContext {
  /** Qualified step id (sub-playbook steps as `parent-step/step`). */
  step: string
  /** The step's id within its own playbook. */
  localStep: string
  def: Step
  /** Invocation number of this step run (unique in the walk). */
  inv: number
  /** 1 for the first time this step runs in the walk, 2 for the second (loops)… */
  occurrence: number
  flow: string
  owner?: {role: string; name: string; person?: string}
  clocks: ClockState[]
  now: number
  /** The step's assurance references for the walk's org_type (all of them while it is not known). */
  references: {org: string; text: string}[]
}

export interface TickPrompt extends PromptContext {
  item: number
  text: string
  of: number
}

export interface AskPrompt extends PromptContext {
  variable: string
  type: VariableType
  description?: string
  default?: string
  /** An answers file without an answer for it takes the default (the time a clock starts from, a value from the incident's check). */
  acceptDefault?: boolean
  /** Returns an error message for an unacceptable answer. */
  validate(answer: string): string | undefined
}

export interface ChoosePrompt extends PromptContext {
  /** Set when the choice answers a variable. */
  variable?: string
  message: string
  choices: {value: string; name?: string}[]
}

export interface ConfirmPrompt extends PromptContext {
  message: string
  /** For command steps: the exact program and arguments that will run. */
  command?: string[]
  /** Set when this command was started before but its result was never recorded. */
  interruptedAt?: number
}

export interface CommandRanReport extends PromptContext {
  /** The `command_run` event's data, as written to the timeline. */
  data: Record<string, unknown>
}

/**
 * How the engine talks to a person. Implementations: prompts in a terminal, an answers file, flags of
 * `incident step`. Throw WalkStop to leave the walk at this prompt; nothing already answered is lost.
 */
export interface Responder {
  tick(p: TickPrompt): Promise<boolean>
  ask(p: AskPrompt): Promise<string>
  choose(p: ChoosePrompt): Promise<string>
  confirm(p: ConfirmPrompt): Promise<boolean>
  /** Checks answers given up front against the playbook before the walk writes anything (throws UserError). */
  check?(playbook: Playbook): void
  /** Shown a command's result once it is on the timeline (optional: an answers file has no one to show it to). */
  commandRan?(p: CommandRanReport): void | Promise<void>
}

/** Why a walk stopped, as a code callers decide on (the message is for people). */
export type WalkStopCode = 'E_WALK_QUIT' | 'E_WALK_NO_ANSWER' | 'E_WALK_MOVED_ON' | 'E_STEP_NOT_OPEN'
export type WalkErrorCode = WalkStopCode | 'E_WALK_CONFLICT'

/** An error of the playbook engine, with a stable code. */
export class WalkError extends Error {
  constructor(
    message: string,
    readonly code: WalkErrorCode,
  ) {
    super(message)
    this.name = 'WalkError'
  }
}

const STOP_CODES = {quit: 'E_WALK_QUIT', 'no-answer': 'E_WALK_NO_ANSWER', 'other-step': 'E_WALK_MOVED_ON'} as const

/**
 * Leave the walk at the current prompt: the responder quit, has no answer for it, or the step asked for is
 * done or not open (other-step; code E_STEP_NOT_OPEN when the walk never reached it).
 */
export class WalkStop extends WalkError {
  declare readonly code: WalkStopCode

  constructor(
    message: string,
    readonly reason: 'quit' | 'no-answer' | 'other-step' = 'quit',
    code: WalkStopCode = STOP_CODES[reason],
  ) {
    super(message, code)
    this.name = 'WalkStop'
  }
}
