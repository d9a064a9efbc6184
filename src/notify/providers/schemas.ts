// The notifier part of the catalogue schema, composed from each registered provider's schema.ts. Imported
// only where the catalogue schema is built (`check schema`, the build's validator generation, `init`):
// loading it loads TypeBox.
import type {JsonSchema} from '../../probes/types.js'
import {PROVIDERS} from './index.js'
import {plainSchema, type ProviderSchema} from './schema-kit.js'

/** Each provider's type and schema, in registry order. */
export const PROVIDER_SCHEMAS: readonly (ProviderSchema & {type: string})[] = await Promise.all(
  [...PROVIDERS.values()].map(async (p) => ({type: p.type, ...(await p.schema()).default})),
)

/** One notifier of each provider: its own keys, then those every notifier has (`common`). */
function providerNotifier(p: ProviderSchema & {type: string}, common: Record<string, JsonSchema>): JsonSchema {
  const properties = Object.fromEntries(Object.entries(p.keys.properties).map(([k, v]) => [k, plainSchema(v)]))
  return {
    type: 'object',
    title: `${p.type} notifier`,
    description: p.description,
    properties: {type: {const: p.type}, ...properties, ...common},
    required: ['type', ...(p.keys.required ?? [])],
    additionalProperties: false,
  }
}

/** The schema of one entry of `notifiers:`, one branch per provider chosen by `type`. */
export function notifierSchema(common: Record<string, JsonSchema>): JsonSchema {
  return {
    type: 'object',
    required: ['type'],
    properties: {
      type: {
        enum: PROVIDER_SCHEMAS.map((p) => p.type),
        description: PROVIDER_SCHEMAS.map((p) => `${p.type}: ${p.description}`).join('; '),
      },
    },
    discriminator: {propertyName: 'type'},
    oneOf: PROVIDER_SCHEMAS.map((p) => providerNotifier(p, common)),
  }
}
