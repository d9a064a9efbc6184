/*
 * The TypeScript type of a value a JSON Schema accepts, computed from the schema written `as const`: one source
 * for the schema (published, compiled to a validator) and the type of what the validator lets through. It covers
 * the keywords the definition schemas use: type (string, integer, number, boolean, array, object), enum, const,
 * items, properties, required, additionalProperties, oneOf and anyOf. Other keywords (pattern, minimum, …)
 * narrow values, not types, and are ignored here. Types only: nothing of this reaches the JavaScript.
 */

type Props = {readonly [key: string]: unknown}

type ObjectOf<S> = S extends {readonly properties: infer P extends Props}
  ? S extends {readonly required: readonly (infer R extends string)[]}
    ? {-readonly [K in keyof P as K extends R ? K : never]: FromSchema<P[K]>} & {
        -readonly [K in keyof P as K extends R ? never : K]?: FromSchema<P[K]>
      }
    : {-readonly [K in keyof P]?: FromSchema<P[K]>}
  : S extends {readonly additionalProperties: infer A extends object}
    ? Record<string, FromSchema<A>>
    : Record<string, unknown>

type ByType<S> = S extends {readonly enum: readonly (infer E)[]}
  ? E
  : S extends {readonly const: infer C}
    ? C
    : S extends {readonly type: 'string'}
      ? string
      : S extends {readonly type: 'integer' | 'number'}
        ? number
        : S extends {readonly type: 'boolean'}
          ? boolean
          : S extends {readonly type: 'array'; readonly items: infer I}
            ? FromSchema<I>[]
            : S extends {readonly type: 'array'}
              ? unknown[]
              : S extends {readonly type: 'object'}
                ? ObjectOf<S>
                : unknown

/** The members of a oneOf/anyOf that are whole schemas (a bare `{required: [...]}` only constrains the object around it). */
type Alternatives<S> = S extends {readonly oneOf: readonly (infer A)[]}
  ? A
  : S extends {readonly anyOf: readonly (infer A)[]}
    ? A
    : never
type IsTyped<A> = A extends {readonly type: unknown} | {readonly enum: unknown} | {readonly const: unknown}
  ? true
  : false

export type FromSchema<S> = [Alternatives<S>] extends [never]
  ? ByType<S>
  : IsTyped<Alternatives<S>> extends true
    ? S extends {readonly type: unknown}
      ? ByType<S> & FromSchema<Alternatives<S>>
      : FromSchema<Alternatives<S>>
    : ByType<S>
