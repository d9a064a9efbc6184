/** The step types, one line each. A new type is one file beside this one and one line here. */
import type {Answers} from '../answers.js'
import type {Playbook} from '../model.js'
import type {StepEvent, StepType} from './types.js'
import {assessment} from './assessment.js'
import {command} from './command.js'
import {decision} from './decision.js'
import {end} from './end.js'
import {loop} from './loop.js'
import {manual} from './manual.js'
import {parallel} from './parallel.js'
import {playbook} from './playbook.js'
import {wait} from './wait.js'

// Getters: the registry reads no type before it is used, so any type's file may be imported first (the
// assessment's rules import the registry to walk sub-playbooks).
export const STEP_KINDS = {
  get manual() {
    return manual
  },
  get decision() {
    return decision
  },
  get command() {
    return command
  },
  get parallel() {
    return parallel
  },
  get loop() {
    return loop
  },
  get wait() {
    return wait
  },
  get playbook() {
    return playbook
  },
  get end() {
    return end
  },
  get assessment() {
    return assessment
  },
}

type Kinds = typeof STEP_KINDS
type StepOf<K> = K extends StepType<infer S> ? S : never

/** A step of any type, as its schema describes it. */
export type Step = {[K in keyof Kinds]: StepOf<Kinds[K]>}[keyof Kinds]
export type StepKind = Step['type']

const isKind = (name: string): name is StepKind => Object.hasOwn(STEP_KINDS, name)

/** The step type names, in the order the schema lists them. */
export const STEP_TYPE_NAMES: readonly StepKind[] = Object.keys(STEP_KINDS).filter(isKind)

let byName: Map<string, StepType<Step>> | undefined
let events: Map<string, StepEvent> | undefined

// Method parameters are bivariant, so each entry is a StepType<Step>; a step only ever reaches its own type's entry.
const registry = () => (byName ??= new Map<string, StepType<Step>>(Object.values(STEP_KINDS).map((k) => [k.type, k])))

/** The type of a step. A step of an unknown type, only ever read from a file that failed its schema, is read as one that goes on to the next. */
export function kindOf(step: Step): StepType<Step> {
  return registry().get(step.type) ?? {...manual, fields: {}}
}

/** The type by name, for a step read from a file that failed its schema (undefined for an unknown type). */
export function kindNamed(type: unknown): StepType<Step> | undefined {
  return typeof type === 'string' ? registry().get(type) : undefined
}

/** The events step types write, by event type. */
export function stepEvents(): ReadonlyMap<string, StepEvent> {
  return (events ??= new Map(
    Object.values(STEP_KINDS).flatMap((k): [string, StepEvent][] => Object.entries(k.events ?? {})),
  ))
}

/** Every step of a playbook and of the playbooks it runs, with its qualified id (sub-playbook steps as parent/step). */
export function qualifiedSteps(p: Playbook, prefix: string[] = []): {qualified: string; step: Step}[] {
  return p.steps.flatMap((step) => {
    const sub = kindOf(step).includes?.(step)
    const inner = sub && p.subs[sub.ref] ? qualifiedSteps(p.subs[sub.ref], [...prefix, step.id]) : []
    return [{qualified: [...prefix, step.id].join('/'), step}, ...inner]
  })
}

/** Checks answers given up front against every step type (each sees its own steps, perhaps none); throws UserError. */
export function checkAnswers(p: Playbook, answers: Answers, label: string): void {
  const all = qualifiedSteps(p)
  for (const kind of registry().values())
    kind.checkAnswers?.(
      all.filter((s) => s.step.type === kind.type),
      answers,
      label,
    )
}
