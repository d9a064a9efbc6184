import fs from 'node:fs'
import {parse} from 'yaml'

import type {Playbook} from './model.js'
import type {
  AskPrompt,
  ChoosePrompt,
  CommandRanReport,
  ConfirmPrompt,
  PromptContext,
  Responder,
  TickPrompt,
} from './responder.js'
import {UserError} from '../errors.js'
import {WalkStop} from './responder.js'
import {checkAnswers} from './steps/index.js'

/**
 * Answers for one run of a step. In a file, a step's entry is one of these, or a list of them for steps that
 * run more than once (loops): the first for the first run, and so on (a run past the end of the list has no
 * answer). A scalar answers the step's variable.
 */
export interface StepAnswer {
  /** Checklist: all (default), none, or one true/false per item. */
  tick?: 'all' | 'none' | boolean[]
  /** Command steps: run it (true) or not (false). */
  confirm?: boolean
  /** Wait steps: continue or stop. */
  choice?: string
  vars?: Record<string, unknown>
  /** A bare value for the step's asked variable. */
  value?: unknown
}

export interface Answers {
  steps: Record<string, StepAnswer | StepAnswer[]>
  /** Values for variables by name, whichever step asks. */
  vars: Record<string, unknown>
}

const KNOWN = new Set(['tick', 'confirm', 'choice', 'vars', 'value'])

const mapping = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : undefined

function normalise(v: unknown): StepAnswer {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return {value: v}
  const out: StepAnswer = {}
  const vars: Record<string, unknown> = {...mapping(Object.fromEntries(Object.entries(v)).vars)}
  for (const [k, val] of Object.entries(v)) {
    // Read as written: the walk says which checklist item a tick of another shape leaves unanswered.
    switch (k) {
      case 'tick': {
        out.tick = val as StepAnswer['tick']
        break
      }

      case 'confirm': {
        out.confirm = Boolean(val)
        break
      }

      case 'choice': {
        out.choice = String(val)
        break
      }

      case 'value': {
        out.value = val
        break
      }

      default: {
        if (!KNOWN.has(k)) vars[k] = val
      }
    }
  }

  if (Object.keys(vars).length > 0) out.vars = vars
  return out
}

/** Reads a YAML or JSON answers file: `{steps: {<step id>: answer | [answer…]}, vars: {…}}`, or just the steps mapping. */
export function readAnswers(file: string): Answers {
  let doc: unknown
  try {
    doc = parse(fs.readFileSync(file, 'utf8'))
  } catch (error) {
    throw new UserError(`Cannot read answers file ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      code: 'E_ANSWERS',
      exit: 2,
    })
  }

  const d = mapping(doc)
  if (!d)
    throw new UserError(`Answers file ${file} must be a mapping of step ids to answers.`, {code: 'E_ANSWERS', exit: 2})
  return answersFrom(d)
}

/** Answers from a parsed document (the file's shape). */
export function answersFrom(d: Record<string, unknown>): Answers {
  const rawSteps =
    d.steps && typeof d.steps === 'object'
      ? Object.fromEntries(Object.entries(d.steps))
      : Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'vars'))
  const steps: Answers['steps'] = {}
  for (const [k, v] of Object.entries(rawSteps))
    steps[k] =
      Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object') && v.length > 0
        ? v.map(normalise)
        : normalise(v)
  return {steps, vars: mapping(d.vars) ?? {}}
}

/** A responder that answers from a fixed set of answers and stops at the first prompt it has no answer for. */
export class AnswersResponder implements Responder {
  private firstInv: number | undefined

  constructor(
    private readonly answers: Answers,
    private readonly opts: {
      label?: string
      tickAll?: boolean
      singleInvocation?: boolean
      /** Told each command's result (the CLI shows it on stderr). */
      onCommandRan?: (p: CommandRanReport) => void
    } = {},
  ) {}

  commandRan(p: CommandRanReport): void {
    this.opts.onCommandRan?.(p)
  }

  private get label(): string {
    return this.opts.label ?? 'the answers file'
  }

  private entry(p: PromptContext): StepAnswer | undefined {
    if (this.opts.singleInvocation) {
      this.firstInv ??= p.inv
      if (p.inv !== this.firstInv) throw new WalkStop(`step ${p.step} is done; the walk moved on`, 'other-step')
    }

    const e = this.answers.steps[p.step] ?? this.answers.steps[p.localStep]
    if (e === undefined) return undefined
    if (Array.isArray(e)) return e[p.occurrence - 1]
    return e
  }

  private missing(p: PromptContext, what: string): never {
    throw new WalkStop(`${this.label} has no answer for ${what} at step ${p.step}`, 'no-answer')
  }

  check(playbook: Playbook): void {
    checkAnswers(playbook, this.answers, this.label)
  }

  async tick(p: TickPrompt): Promise<boolean> {
    const e = this.entry(p)
    if (!e) this.missing(p, `checklist item ${p.item + 1} ("${p.text}")`)
    const t = e.tick ?? (this.opts.tickAll === false ? undefined : 'all')
    if (t === undefined) this.missing(p, `checklist item ${p.item + 1} ("${p.text}")`)
    if (t === 'all') return true
    if (t === 'none') return false
    if (t[p.item] === undefined) this.missing(p, `checklist item ${p.item + 1} ("${p.text}")`)
    return Boolean(t[p.item])
  }

  private value(p: PromptContext & {variable?: string}): unknown {
    const e = this.entry(p)
    if (p.variable !== undefined) {
      if (e?.vars && p.variable in e.vars) return e.vars[p.variable]
      if (e && e.value !== undefined) return e.value
      if (p.variable in this.answers.vars) return this.answers.vars[p.variable]
    } else if (e?.choice !== undefined) return e.choice
    return undefined
  }

  async ask(p: AskPrompt): Promise<string> {
    let v = this.value(p)
    if (v === undefined && p.acceptDefault) v = p.default
    if (v === undefined) this.missing(p, `variable ${p.variable}`)
    const text = v === null ? '' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)
    const problem = p.validate(text)
    if (problem)
      throw new WalkStop(`${this.label}: answer "${text}" for ${p.variable} at step ${p.step}: ${problem}`, 'no-answer')
    return text
  }

  async choose(p: ChoosePrompt): Promise<string> {
    let v = this.value(p)
    if (v === undefined && p.variable === undefined && p.choices.some((c) => c.value === 'continue')) v = 'continue'
    if (v === undefined) this.missing(p, p.variable ? `variable ${p.variable}` : `"${p.message}"`)
    const text = typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)
    if (!p.choices.some((c) => c.value === text))
      throw new WalkStop(
        `${this.label}: "${text}" at step ${p.step} is not one of ${p.choices.map((c) => c.value).join(', ')}`,
        'no-answer',
      )
    return text
  }

  async confirm(p: ConfirmPrompt): Promise<boolean> {
    const e = this.entry(p)
    if (e?.confirm === undefined) this.missing(p, `confirmation of ${p.command ? p.command.join(' ') : p.message}`)
    return e.confirm
  }
}
