/**
 * The shape of a step type. Each type is one file under src/playbooks/steps/ holding one value of this
 * interface (its schema, its checks, what the engine does at it, how it reads in a terminal, in
 * `playbook show` and in CACAO, and the timeline events it writes), registered by one line in index.ts.
 */
import type {TObject} from '@sinclair/typebox'

import type {NewEvent, TimelineEvent} from '../../incidents/chain.js'
import type {ClockState} from '../../incidents/clocks.js'
import type {KeyPath} from '../../util/yaml-schema.js'
import type {Answers} from '../answers.js'
import type {EngineDeps} from '../engine.js'
import type {Playbook} from '../model.js'
import type {PromptContext} from '../responder.js'
import type {Flow, WalkState} from '../walk-state.js'
import type {Builder, StepBase} from './schema-parts.js'

/** A way on from a step: the main flow, the first step of a parallel branch, or the first step of a loop body. */
export interface Edge {
  to: string
  /** Where the edge is written (empty when it is the implicit next in the list). */
  key: KeyPath
  kind: 'flow' | 'branch' | 'body'
}

/** A flow a step opens inside the graph (a branch, a loop body): where it starts and the steps that end it. */
export interface Subflow {
  from: string
  stops: string[]
  context: 'branch' | 'body'
}

/** What a type's own checks report through, at key paths inside the step. */
export interface CheckContext {
  problem(key: KeyPath, message: string, isKey?: boolean): void
  /** Reports a variable the playbook does not declare. */
  variable(key: KeyPath, name: string): void
  /** Reports a condition that does not parse, or reads an undeclared variable. */
  condition(key: KeyPath, text: string): void
  /** Clocks known to the playbook (its own and the registry's). */
  clocks: ReadonlySet<string>
}

/** What the graph walk hands a type once the flows it opened have been walked. */
export interface FlowCheckContext {
  problem(key: KeyPath, message: string): void
  /** The steps each of its subflows reached, in the order of subflows(). */
  reached: ReadonlySet<string>[]
  /** The variables a step (by id) asks for, records or sets. */
  writes(id: string): string[]
  /** The variables a condition reads, or undefined when it does not parse (reported elsewhere). */
  conditionVars(text: string): string[] | undefined
}

/** One run of a step, as the engine sees it while the step is open. */
export interface StepRun {
  deps: EngineDeps
  /** The playbook (or sub-playbook) the step belongs to. */
  pb: Playbook
  flow: Flow
  state: WalkState
  /** flow, inv and qualified step id: the data every event of the step carries. */
  base: {flow: string; inv: number | undefined; step: string}
  ctx: PromptContext
  now: number
  clocks: Map<string, ClockState>
  /** The next step in the list. */
  implicit: string | undefined
  /** A target step, or null when it ends the flow (a join, a loop, another branch). */
  nextOr(to: string | undefined): string | null
  /** Appends events, refused if another responder wrote meanwhile (unless force: facts such as a command's result). */
  append(events: NewEvent[], force?: boolean): void
  /** Asks the next of the step's ask/record variables and records it; false once all are answered. */
  askNext(): Promise<boolean>
  /** Completes the step: `extra`, then clock stops and restarts, then step_completed (and walk_completed at an end). */
  finish(next: string | null, extra?: NewEvent[], force?: boolean): Promise<void>
}

/** What a type's CACAO step may use from the exporter. */
export interface CacaoContext {
  playbook: Playbook
  /** The CACAO id of a step, by step id. */
  ref(id: string | undefined): string | undefined
  implicit: string | undefined
  /** The keys every CACAO step gets (name, agent, out_args, clock extensions). */
  common: Record<string, unknown>
  /** A playbook condition in CACAO's comparison form. */
  condition(text: string): string
  uuid(name: string): string
  /** Adds a further workflow step (e.g. the decision after an assessment). */
  add(id: string, step: Record<string, unknown>): void
}

/** A timeline event a type writes: its one line of text, and what it changes in the walk's state on replay. */
export interface StepEvent {
  describe(data: Record<string, unknown>, event: TimelineEvent): string
  reduce?(r: {
    state: WalkState
    flow: Flow | undefined
    data: Record<string, unknown>
    event: TimelineEvent
    newFlow(id: string, pb: string[], at: string, stops: string[], parent?: string): void
  }): void
  /** Listed among the decisions of a review. */
  decision?: true
}

/** Keys of a type read by the graph checks, by shape; a wrong value is dropped before a playbook that failed its schema is checked. */
export type FieldShape = 'text' | 'texts' | 'edge' | 'edges' | 'cases'

export interface StepType<S extends StepBase & {type: string}> {
  type: S['type']
  /** The schema of the step (the TypeBox builder is handed in; see schema-parts.ts). */
  schema(T: Builder): TObject
  fields: Record<string, FieldShape>
  edges(step: S, implicitNext: string | undefined): Edge[]
  subflows?(step: S): Subflow[]
  /** Checks the schema cannot express. */
  check?(step: S, c: CheckContext): void
  /** Checks once its subflows have been walked (a loop whose body cannot change its condition). */
  checkFlows?(step: S, c: FlowCheckContext): void
  /** Variables it sets besides ask and record. */
  sets?(step: S): string[]
  /** The walk (or sub-playbook) ends here. */
  ends?: true
  /** Another playbook it runs, by the reference written at `key`. */
  includes?(step: S): {ref: string; key: KeyPath} | undefined
  /** Variables a playbook with a step of this type gets declared; returns the clashes with the author's. */
  declareVariables?(p: Playbook): {key: KeyPath; message: string}[]
  /** Checks answers given up front for steps of this type (throws UserError). */
  checkAnswers?(steps: {qualified: string; step: S}[], answers: Answers, label: string): void
  /** One move of the engine at an open step: one prompt, or one automatic move, and its events. */
  advance(step: S, run: StepRun): Promise<void>
  /** Lines (plain text) that introduce the step to a responder. */
  intro?(step: S): string[]
  /** Lines (plain text) under the step in `playbook show`. */
  show?(step: S): string[]
  cacao: {
    /** The CACAO step type its id is prefixed with. */
    type(step: S): string
    step(step: S, c: CacaoContext): Record<string, unknown>
  }
  events?: Record<string, StepEvent>
}
