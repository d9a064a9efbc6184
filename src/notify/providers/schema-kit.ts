// What a provider's schema.ts builds with. TypeBox costs about 120 ms to load (266 modules), so only the
// catalogue schema (`check schema`, the build's validator generation) imports these modules; the run-time
// code of a provider imports its schema's types only.
import {type SchemaOptions, type TObject, type TString, type TUnsafe, Type} from '@sinclair/typebox'

import type {JsonSchema} from '../../probes/types.js'

export const ENV_REF_PATTERN = String.raw`^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$`

/** The catalogue keys of one provider, besides `type` and the keys every notifier has. */
export interface ProviderSchema {
  /** One line for the schema and `type:`'s description. */
  description: string
  keys: TObject
}

/** A key holding a secret: only `${env:NAME}`. */
export const EnvRef = (description: string): TString =>
  Type.String({pattern: ENV_REF_PATTERN, description: `${description}, only as \${env:NAME}`})

/** One of a few words, typed as their union (TypeBox's Union of Literals would publish anyOf/const). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({enum: [...values], ...options})
}

const isSchema = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A TypeBox schema as published JSON Schema: TypeBox's symbols dropped, and `type` (then `items`) first, as
 * the hand-written schemas put them, so the published schema reads as before.
 */
export function plainSchema(schema: Record<string, unknown>): JsonSchema {
  const out: JsonSchema = {}
  for (const k of ['type', 'items']) if (k in schema) out[k] = schema[k]
  for (const [k, v] of Object.entries(schema)) if (!(k in out)) out[k] = v
  for (const k of ['items', 'additionalProperties', 'propertyNames']) {
    const v = out[k]
    if (isSchema(v)) out[k] = plainSchema(v)
  }

  const props = out.properties
  if (isSchema(props))
    out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, isSchema(v) ? plainSchema(v) : v]))
  for (const k of ['anyOf', 'oneOf', 'allOf']) {
    const list = out[k]
    if (Array.isArray(list)) out[k] = list.map((v: unknown) => (isSchema(v) ? plainSchema(v) : v))
  }

  return out
}
