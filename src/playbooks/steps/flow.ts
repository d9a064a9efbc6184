/** Edges shared by step types. */
import type {KeyPath} from '../../util/yaml-schema.js'
import type {StepBase} from './schema-parts.js'
import type {Edge} from './types.js'

/** An edge of the main flow, when there is a target. */
export function flowEdge(to: string | undefined, key: KeyPath): Edge[] {
  return to ? [{to, key, kind: 'flow'}] : []
}

/** The step's `next`, else the next step in the list. */
export function nextEdge(step: Pick<StepBase, 'next'>, implicitNext: string | undefined): Edge[] {
  return flowEdge(step.next ?? implicitNext, step.next ? ['next'] : [])
}

/** `cases` (value → step) as edges, then `default`, else next. */
export function caseEdges(
  step: Pick<StepBase, 'next'> & {cases?: Record<string, string>; default?: string},
  implicitNext: string | undefined,
): Edge[] {
  return [
    ...Object.entries(step.cases ?? {}).map(([k, to]): Edge => ({to, key: ['cases', k], kind: 'flow'})),
    ...(step.default ? flowEdge(step.default, ['default']) : nextEdge(step, implicitNext)),
  ]
}

/** cases → step ids in CACAO form. */
export function cacaoCases(
  cases: Record<string, string>,
  ref: (id: string) => string | undefined,
): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(cases).map(([k, v]) => [k, ref(v)]))
}
