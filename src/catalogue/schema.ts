import type {JsonSchema} from '../probes/types.js'
import {monitorCheckProperties, monitorFileSections} from '../monitor/catalogue-schema.js'
import {PROBE_SPECS} from '../probes/specs.js'
import {DURATION_PATTERN, TIMEOUT_RANGE} from '../util/duration.js'
import {TIERS} from './tiers.js'

export {TIERS} from './tiers.js'

const duration = (description: string): JsonSchema => ({
  type: 'string',
  pattern: DURATION_PATTERN,
  description: `${description} (a duration such as 500ms, 10s, 5m)`,
})

/** Connection options every network probe honours; allowed on a check and in `defaults:`. */
export const connectionProperties: Record<string, JsonSchema> = {
  ca: {
    type: 'string',
    description: 'path of a PEM file of extra trusted CA certificates (relative to the catalogue file)',
  },
  resolve: {
    type: 'array',
    items: {
      type: 'string',
      pattern: String.raw`^(\[[^\]]+\]|[^:\s]+):\d{1,5}:(\[[^\]]+\]|[0-9.]+|[0-9a-fA-F:]+)$`,
      description: 'host:port:address, as curl --resolve',
    },
    description: 'address overrides, as curl --resolve: "host:port:address"',
  },
  resolver: {
    type: 'string',
    pattern: String.raw`^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$`,
    description: 'DNS server host:port used for lookups instead of the system resolver',
  },
}

/** Keys shared by checks and `defaults:`. */
const sharedProperties: Record<string, JsonSchema> = {
  service: {type: 'string', minLength: 1, description: 'the service this check belongs to, e.g. "NHS login"'},
  tier: {enum: [...TIERS], description: 'service tier: bronze, silver, gold or platinum'},
  tags: {
    type: 'array',
    items: {type: 'string', pattern: '^[A-Za-z0-9._:/-]+$', description: 'a tag (letters, digits, . _ : / -)'},
    uniqueItems: true,
    description: 'free labels for filtering (--tag)',
  },
  timeout: {...duration('how long one attempt may take before it fails, 1ms to 24d'), durationRange: TIMEOUT_RANGE},
  retries: {
    type: 'integer',
    minimum: 0,
    maximum: 10,
    description: 'extra attempts after a crit/unknown result, with backoff',
  },
  enabled: {type: 'boolean', description: 'false keeps the check in the catalogue without running it'},
  ...connectionProperties,
  ...monitorCheckProperties,
}

/** Keys every check has, whatever its kind. */
const commonCheckProperties: Record<string, JsonSchema> = {
  id: {
    type: 'string',
    pattern: '^[a-z0-9][a-z0-9._-]*$',
    maxLength: 100,
    description: 'unique id: lower-case letters, digits, . _ -',
  },
  name: {type: 'string', minLength: 1, description: 'human name'},
  description: {type: 'string'},
  requires_env: {
    type: 'array',
    items: {type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'an environment variable name'},
    description: 'environment variables that must be set for the check to run; when one is unset the check is disabled',
  },
  ...sharedProperties,
}

/** The JSON Schema of one check of each kind, keyed by kind. */
export function checkSchemas(): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>()
  for (const probe of PROBE_SPECS.values()) {
    out.set(probe.kind, {
      type: 'object',
      title: `${probe.kind} check`,
      description: probe.description,
      properties: {
        ...commonCheckProperties,
        kind: {const: probe.kind},
        target: probe.targetSchema,
        ...probe.properties,
      },
      required: ['id', 'kind', 'target', ...(probe.required ?? [])],
      additionalProperties: false,
    })
  }

  return out
}

/** The JSON Schema of a catalogue file; published as schemas/checks.schema.json. */
export function catalogueSchema(): JsonSchema {
  const kinds = [...checkSchemas().entries()]
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://watchkeeper.dev/schemas/checks.schema.json',
    title: 'watchkeeper check catalogue',
    type: 'object',
    properties: {
      defaults: {
        type: 'object',
        description: 'values every check in this file takes unless it sets its own',
        properties: sharedProperties,
        additionalProperties: false,
      },
      checks: {
        type: 'array',
        description: 'the checks',
        items: {
          type: 'object',
          required: ['kind'],
          properties: {kind: {enum: kinds.map(([k]) => k), description: 'what to probe'}},
          discriminator: {propertyName: 'kind'},
          oneOf: kinds.map(([, s]) => s),
        },
      },
      ...monitorFileSections,
    },
    required: ['checks'],
    additionalProperties: false,
  }
}
