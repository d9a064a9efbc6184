import type {FromSchema} from '../util/schema-type.js'
import {STARTS_FROM} from './clocks.js'
import {ISO_DURATION_PATTERN} from './time.js'

export const CLOCK_NAME = '^[a-z0-9][a-z0-9_-]*$'
const DATE = String.raw`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`
const duration = (description: string) =>
  ({
    type: 'string',
    pattern: ISO_DURATION_PATTERN,
    description: `${description} (ISO 8601 duration such as PT24H, PT72H, P3D)`,
  }) as const

/** The keys of a clock, shared by clock files (with name) and a playbook's clocks: section (keyed by name). */
export function clockProperties() {
  return {
    to: {type: 'string', minLength: 1, description: 'who must be told, or what must happen'},
    basis: {type: 'string', minLength: 1, description: 'the rule behind the deadline'},
    source: {type: 'string', minLength: 1, description: 'where the rule is written (URL or citation)'},
    duration: duration('continuous time; weekends and bank holidays count'),
    business_days: {
      type: 'integer',
      minimum: 1,
      maximum: 365,
      description: 'England and Wales business days instead of continuous time',
    },
    warn_when_remaining: {
      type: 'array',
      items: duration('time left'),
      uniqueItems: true,
      description: 'warning points, as time left before the deadline',
    },
    starts_from: {
      enum: [...STARTS_FROM],
      description:
        'what the deadline runs from; aware and issued are asked for when a step starts the clock (default now)',
    },
    effective_from: {type: 'string', pattern: DATE, description: 'first day the rule is in force (YYYY-MM-DD)'},
    effective_until: {type: 'string', pattern: DATE, description: 'last day the rule is in force (YYYY-MM-DD)'},
    enabled: {type: 'boolean', description: 'false: shown, but cannot be started (a rule not in force)'},
    restartable: {
      type: 'boolean',
      description: 'a step may give it a new due time (restarts_clock), e.g. a recurring update',
    },
    note: {
      type: 'string',
      minLength: 1,
      description: 'shown beside the clock, e.g. "not in force: proposed in the Cyber Security and Resilience Bill"',
    },
  } as const
}

/** The JSON Schema of a clock definition file; published as schemas/clocks.schema.json. */
export function clocksSchema() {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://watchkeeper.dev/schemas/clocks.schema.json',
    title: 'watchkeeper regulatory clock definitions',
    type: 'object',
    properties: {
      clocks: {
        type: 'array',
        minItems: 1,
        description: 'the clocks this file defines',
        items: {
          type: 'object',
          title: 'clock',
          description: 'a clock with either duration or business_days',
          properties: {
            name: {type: 'string', pattern: CLOCK_NAME, description: 'clock name: lower-case letters, digits, - and _'},
            ...clockProperties(),
          },
          required: ['name', 'to', 'basis', 'source', 'starts_from'],
          additionalProperties: false,
          oneOf: [{required: ['duration']}, {required: ['business_days']}],
        },
      },
    },
    required: ['clocks'],
    additionalProperties: false,
  } as const
}

/** A clock definition file, as the schema accepts it. */
export type ClocksFile = FromSchema<ReturnType<typeof clocksSchema>>

/** One clock of a clock file. */
export type ClockEntry = ClocksFile['clocks'][number]

/** The keys of a clock without its name: a playbook's clocks: entry. */
export type ClockKeys = FromSchema<{type: 'object'; properties: ReturnType<typeof clockProperties>}>
