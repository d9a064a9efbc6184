/** The step types, one line each. A new type is one file beside this one and one line here. */
import type {Answers} from '../answers.js'
import type {Playbook} from '../model.js'
import {assessment} from './assessment.js'
import {command} from './command.js'
import {decision} from './decision.js'
import {end} from './end.js'
import {loop} from './loop.js'
import {manual} from './manual.js'
import {parallel} from './parallel.js'
import {playbook} from './playbook.js'
import type {StepEvent, StepType} from './types.js'
import {wait} from './wait.js'

export const STEP_KINDS = {
  manual,
  decision,
  command,
  parallel,
  loop,
  wait,
  playbook,
  end,
  assessment,
}

type Kinds = typeof STEP_KINDS
type StepOf<K> = K extends StepType<infer S> ? S : never

/** A step of any type, as its schema describes it. */
export type Step = {[K in keyof Kinds]: StepOf<Kinds[K]>}[keyof Kinds]
export type StepKind = Step['type']

/** The step type names, in the order the schema lists them. */
export const STEP_TYPE_NAMES: readonly StepKind[] = Object.values(STEP_KINDS).map((k) => k.type)

// Method parameters are bivariant, so each entry is a StepType<Step>; a step only ever reaches its own type's entry.
const BY_NAME = new Map<string, StepType<Step>>(Object.values(STEP_KINDS).map((k) => [k.type, k]))

/** A step of an unknown type, only ever read from a file that failed its schema, is read as one that goes on to the next. */
const GOES_ON: StepType<Step> = {...manual, fields: {}}

/** The type of a step. */
export function kindOf(step: Step): StepType<Step> {
  return BY_NAME.get(step.type) ?? GOES_ON
}

/** The type by name, for a step read from a file that failed its schema (undefined for an unknown type). */
export function kindNamed(type: unknown): StepType<Step> | undefined {
  return typeof type === 'string' ? BY_NAME.get(type) : undefined
}

/** The events step types write, by event type. */
export const STEP_EVENTS: ReadonlyMap<string, StepEvent> = new Map(Object.values(STEP_KINDS).flatMap((k): [string, StepEvent][] => Object.entries(k.events ?? {})))

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
  for (const kind of BY_NAME.values()) kind.checkAnswers?.(all.filter((s) => s.step.type === kind.type), answers, label)
}
