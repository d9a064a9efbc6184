/**
 * Pieces of the playbook schema shared by the step types. Each is a function of the TypeBox builder, which
 * only src/playbooks/schema.ts loads: the types come from these definitions, and TypeBox itself loads only
 * where a schema is built (`playbook schema` and the build), never on the way to a walk or a validation.
 */
import type {JsonTypeBuilder, Static, TObject, TProperties, TSchema, TUnsafe} from '@sinclair/typebox'

import {ISO_DURATION_PATTERN} from '../../incidents/time.js'
import {ORG_TYPES, type OrgReferences} from '../model.js'

export type Builder = JsonTypeBuilder

/** Step, role, clock and playbook ids. */
export const ID = '^[a-z0-9][a-z0-9_-]*$'
/** Variable names. */
export const VAR = '^[A-Za-z_][A-Za-z0-9_]*$'

export const stepId = (T: Builder, description: string) => T.String({pattern: ID, description})

export const duration = (T: Builder, description: string, extra: Record<string, unknown> = {}) =>
  T.String({
    pattern: ISO_DURATION_PATTERN,
    description: `${description} (ISO 8601 duration such as PT30M, PT72H, P2D)`,
    ...extra,
  })

/** A name or a non-empty list of distinct names. */
export const names = (T: Builder, pattern: string, description: string) =>
  T.Union([T.String({pattern}), T.Array(T.String({pattern}), {minItems: 1, uniqueItems: true})], {description})

/** One of fixed strings, as `enum` (TypeBox's own unions give anyOf). */
export const oneOf = <V extends string>(
  T: Builder,
  values: readonly V[],
  options: Record<string, unknown> = {},
): TUnsafe<V> => T.Unsafe<V>({enum: [...values], ...options})

/** An object whose keys match a pattern (propertyNames) and whose values all follow one schema. */
export function mapOf<V extends TSchema>(
  T: Builder,
  value: V,
  options: Record<string, unknown>,
): TUnsafe<Record<string, Static<V>>> {
  return T.Unsafe<Record<string, Static<V>>>({type: 'object', ...options, additionalProperties: value})
}

/** The definition `references` points at: assurance references keyed by organisation type. */
export const referencesDefinition = (T: Builder) =>
  T.Object(
    Object.fromEntries(
      [...Object.entries(ORG_TYPES), ['default', 'any other organisation type']].map(([k, d]) => [
        k,
        T.Optional(T.String({minLength: 1, description: d})),
      ]),
    ),
    {
      minProperties: 1,
      additionalProperties: false,
      description:
        'assurance references keyed by organisation type (the walk shows the one for org_type); a list of {title, url} belongs under sources:',
    },
  )

export const references = (T: Builder) => T.Unsafe<OrgReferences>({$ref: '#/definitions/references'})

export const CLOCK_STOP_OUTCOMES = ['notified', 'not_required', 'superseded'] as const
/** How a step stops a clock. */
export type ClockStopOutcome = (typeof CLOCK_STOP_OUTCOMES)[number]

/** The keys every step may have. */
export function commonProperties(T: Builder) {
  return {
    id: stepId(T, 'step id: lower-case letters, digits, - and _'),
    name: T.Optional(T.String({minLength: 1, description: 'what the step is, in a line'})),
    description: T.Optional(T.String()),
    owner: T.Optional(T.String({pattern: ID, description: 'the role (from roles:) that does this step'})),
    next: T.Optional(stepId(T, 'the step after this one (default: the next in the list)')),
    ask: T.Optional(names(T, VAR, 'variable(s) to ask the responder for before the step completes')),
    record: T.Optional(
      T.Array(T.String({pattern: VAR}), {
        uniqueItems: true,
        description: 'variables to record (free answers) in this step',
      }),
    ),
    starts_clock: T.Optional(
      names(
        T,
        ID,
        'clock(s) started when this step starts; one that runs from aware or issued asks for that time (default now)',
      ),
    ),
    stops_clock: T.Optional(
      T.Union(
        [
          ...names(T, ID, '').anyOf,
          mapOf(T, oneOf(T, CLOCK_STOP_OUTCOMES), {propertyNames: {pattern: ID}, minProperties: 1}),
        ],
        {
          description:
            'clock(s) stopped when this step completes: a name or list (notified), or name: notified | not_required | superseded',
        },
      ),
    ),
    restarts_clock: T.Optional(names(T, ID, 'restartable clock(s) given a new due time when this step completes')),
    references: T.Optional(references(T)),
  }
}

type Common = ReturnType<typeof commonProperties>

/** The schema of one step type: the common keys, `type` (a bare const), and its own keys; nothing else. */
export function stepSchema<K extends string, P extends TProperties>(T: Builder, type: K, description: string, own: P) {
  return T.Object(
    {...commonProperties(T), type: T.Unsafe<K>({const: type}), ...own},
    {title: `${type} step`, description, additionalProperties: false},
  )
}

/** What every step has, whatever its type. */
export type StepBase = Static<TObject<Common>>
