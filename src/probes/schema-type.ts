/**
 * The TypeScript type a JSON Schema literal describes, for the subset the probe specs use (string, integer,
 * number, boolean, array, object, enum, anyOf). Types only: the specs stay plain literals (`as const`), so
 * loading them at start-up costs no schema library.
 */
export type FromSchema<S> = S extends {readonly enum: readonly (infer E)[]}
  ? E
  : S extends {readonly anyOf: readonly (infer A)[]}
    ? FromSchema<A>
    : S extends {readonly type: 'string'}
      ? string
      : S extends {readonly type: 'integer' | 'number'}
        ? number
        : S extends {readonly type: 'boolean'}
          ? boolean
          : S extends {readonly type: 'array'; readonly items: infer I}
            ? FromSchema<I>[]
            : S extends {readonly type: 'object'; readonly properties: infer P}
              ? OptionsFrom<P, S extends {readonly required: readonly (infer R)[]} ? R : never>
              : unknown

/** The options a probe's `properties` describe: the `required` keys present, every other key optional. */
export type OptionsFrom<P, R = never> = {
  -readonly [K in keyof P as K extends R ? K : never]: FromSchema<P[K]>
} & {
  -readonly [K in keyof P as K extends R ? never : K]?: FromSchema<P[K]>
}
