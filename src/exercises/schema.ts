import type {FromSchema} from '../util/schema-type.js'
import {ISO_DURATION_PATTERN} from '../incidents/time.js'
import {DURATION_PATTERN} from '../util/duration.js'

type JsonSchema = Record<string, unknown>

/** The keys of a constant table, as the literal union they are (Object.keys says string[]). */
function keysOf<T extends object>(o: T): (keyof T & string)[] {
  return Object.keys(o).filter((k): k is keyof T & string => Object.hasOwn(o, k))
}

export const EXERCISE_FORMAT = 'watchkeeper-exercise/1'
const ID = '^[a-z0-9][a-z0-9_-]*$'
const HOST = String.raw`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`
const offset = (description: string) =>
  ({
    type: 'string',
    pattern: ISO_DURATION_PATTERN,
    description: `${description} (ISO 8601 duration such as PT0M, PT40M, PT6H)`,
  }) as const
const realDuration = (description: string) =>
  ({
    type: 'string',
    pattern: DURATION_PATTERN,
    description: `${description} (a duration such as 500ms, 2s, 1m)`,
  }) as const

/** NHS EPRR exercise types, with how often the EPRR framework asks for each. */
export const EXERCISE_TYPES = {
  communications: 'communications test (every six months)',
  'table-top': 'table-top exercise (every year)',
  live: 'live exercise (every three years)',
} as const
export type ExerciseType = keyof typeof EXERCISE_TYPES

/** What an estate service can be made to do. */
export const FAULTS = {
  '5xx': 'answer 503 Service Unavailable with an NHS API Platform OperationOutcome (HTTP services)',
  hang: 'accept connections and never answer (HTTP services)',
  latency: 'answer after `delay` (HTTP services)',
  'expired-certificate': 'serve a certificate that expired yesterday (HTTPS services)',
  'dmarc-removed': 'the _dmarc record of the mail domain is gone (NXDOMAIN)',
  'dns-gone': 'every name of the zone answers NOERROR with no records',
} as const
export type FaultKind = keyof typeof FAULTS

export const ESTATE_KINDS = {
  api: 'an NHS API Platform proxy over HTTPS: /{base_path}/_ping and /{base_path}/_status',
  website: 'an HTTPS website with a generated certificate (checked for availability and certificate expiry)',
  'mail-domain': 'a mail domain in the exercise DNS zone: MX, SPF and DMARC (checked for DMARC and MX)',
} as const

export const INJECT_KINDS = {
  message: 'a narrative message to the facilitator and participants',
  question: 'a question for a role to answer (exercise answer)',
  alert:
    'a simulated alert (e.g. an NHS cyber alert): opens the exercise incident if none is open, and starts its clock at the time of issue',
  fault: 'a technical fault on a service of the simulated estate',
  recover: 'a service of the simulated estate recovers',
} as const

const common = {
  id: {type: 'string', pattern: ID, description: 'inject id: lower-case letters, digits, - and _'},
  at: offset('when it is released, from the start of the exercise in scenario time'),
  text: {type: 'string', minLength: 1, description: 'what the facilitator reads out or shows'},
  to: {
    type: 'array',
    items: {type: 'string', pattern: ID},
    minItems: 1,
    uniqueItems: true,
    description: 'the roles it is for (default everyone)',
  },
} as const

function inject<
  K extends keyof typeof INJECT_KINDS,
  const P extends Record<string, JsonSchema>,
  const R extends keyof P & string = never,
>(kind: K, props: P, required: readonly R[] = []) {
  return {
    type: 'object',
    title: `${kind} inject`,
    description: INJECT_KINDS[kind],
    properties: {...common, kind: {const: kind}, ...props},
    required: ['id', 'at', 'kind', 'text', ...required],
    additionalProperties: false,
  } as const
}

export const INJECT_SCHEMAS = [
  inject('message', {}),
  inject('question', {
    expects: {
      type: 'string',
      minLength: 1,
      description: 'what a good answer covers (for the debrief, shown in the evidence pack)',
    },
  }),
  inject('alert', {
    reference: {
      type: 'string',
      minLength: 1,
      description: 'the alert reference as the scenario gives it (an exercise reference, not a real alert number)',
    },
    severity: {type: 'string', minLength: 1, description: 'the alert severity, e.g. High'},
    starts_clock: {
      type: 'string',
      pattern: ID,
      description: 'the clock the alert starts at its time of issue, e.g. nhs_alert_48h',
    },
  }),
  inject(
    'fault',
    {
      target: {type: 'string', pattern: ID, description: 'the estate service (its id under estate:)'},
      fault: {
        enum: keysOf(FAULTS),
        description: Object.entries(FAULTS)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; '),
      },
      delay: realDuration('with latency: how long each answer waits, in real time'),
    },
    ['target', 'fault'],
  ),
  inject('recover', {target: {type: 'string', pattern: ID, description: 'the estate service that recovers'}}, [
    'target',
  ]),
] as const

const SERVICE = {
  type: 'object',
  description: 'a simulated service, named like the real one',
  properties: {
    id: {type: 'string', pattern: ID, description: 'service id; its checks are exercise.<id>…'},
    kind: {
      enum: keysOf(ESTATE_KINDS),
      description: Object.entries(ESTATE_KINDS)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; '),
    },
    name: {type: 'string', minLength: 1, description: 'what it is, e.g. "Pathology results API"'},
    service: {
      type: 'string',
      minLength: 1,
      description: 'the service it belongs to (incidents and notifications name it)',
    },
    host: {
      type: 'string',
      pattern: HOST,
      description: 'host name (api, website), e.g. api.service.nhs.uk; resolved to 127.0.0.1 by an address override',
    },
    base_path: {
      type: 'string',
      pattern: '^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$',
      description: 'api: the proxy base path, e.g. personal-demographics/FHIR/R4',
    },
    domain: {
      type: 'string',
      pattern: HOST,
      description: 'mail-domain: the domain, answered by the exercise DNS server',
    },
    opens_incident: {
      type: 'boolean',
      description: 'its checks open the exercise incident when they keep failing (default true)',
    },
  },
  required: ['id', 'kind', 'name'],
  additionalProperties: false,
} as const

/** What the scenario is: its id and title, EPRR type, playbook, and how scenario time runs. */
const SCENARIO_PROPERTIES = {
  format: {const: EXERCISE_FORMAT, description: 'format version'},
  id: {type: 'string', pattern: ID, description: 'scenario id: lower-case letters, digits, - and _'},
  title: {type: 'string', minLength: 1},
  description: {type: 'string'},
  exercise_type: {
    enum: keysOf(EXERCISE_TYPES),
    description: `the NHS EPRR exercise type: ${Object.entries(EXERCISE_TYPES)
      .map(([k, v]) => `${k}, a ${v}`)
      .join('; ')}`,
  },
  playbook: {
    type: 'string',
    minLength: 1,
    description: 'the playbook the participants walk: an id in the playbooks folder, or a path relative to this file',
  },
  severity: {
    type: 'string',
    pattern: '^[A-Za-z0-9_-]+$',
    description: "severity of the exercise incident (default the playbook's second)",
  },
  compression: {
    type: 'number',
    minimum: 1,
    maximum: 100_000,
    description:
      'scenario time runs this many times faster than real time (60: 72 h become 72 min); recorded with every clock',
  },
  duration: offset('the exercise ends this long after its start at the latest, in scenario time'),
} as const

const SOURCE = {
  type: 'object',
  properties: {
    title: {type: 'string', minLength: 1},
    url: {type: 'string', pattern: '^https?://', description: 'an http(s) URL'},
  },
  required: ['title', 'url'],
  additionalProperties: false,
} as const

const PARTICIPANT = {
  type: 'object',
  properties: {
    name: {type: 'string', minLength: 1, description: 'as they will give it to --actor'},
    role: {type: 'string', pattern: ID},
    organisation: {type: 'string', minLength: 1},
  },
  required: ['name', 'role'],
  additionalProperties: false,
} as const

const WATCH = {
  type: 'object',
  additionalProperties: false,
  description: 'how the real checks watch the simulated estate (real time)',
  properties: {
    interval: realDuration('how often each check runs (default 1s)'),
    timeout: realDuration('how long one attempt may take (default 2s)'),
    failures: {
      type: 'integer',
      minimum: 1,
      maximum: 20,
      description: 'failed results in a row before a check is failing and opens the incident (default 2)',
    },
  },
} as const

/** One inject of the timeline: one of INJECT_SCHEMAS, chosen by its kind. */
const INJECT = {
  type: 'object',
  required: ['kind'],
  properties: {kind: {enum: keysOf(INJECT_KINDS), description: 'inject kind'}},
  discriminator: {propertyName: 'kind'},
  oneOf: INJECT_SCHEMAS,
} as const

const EXPECT = {
  type: 'object',
  additionalProperties: false,
  description: 'what a good response achieves; the evidence pack marks each met or missed',
  properties: {
    detect_within: realDuration(
      'from the first fault to the real checks failing, in real time (checks run at real speed)',
    ),
    declare_within: offset('from the first fault (or the alert) to the incident being declared, in scenario time'),
    clocks: {
      type: 'object',
      propertyNames: {pattern: ID},
      additionalProperties: {enum: ['on_time', 'not_required']},
      minProperties: 1,
      description: 'clock name: the outcome expected at the end (on_time or not_required)',
    },
  },
} as const

/** The JSON Schema of an exercise scenario file; published as schemas/exercise.schema.json. */
export function exerciseSchema() {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://watchkeeper.dev/schemas/exercise.schema.json',
    title: 'watchkeeper exercise scenario',
    type: 'object',
    properties: {
      ...SCENARIO_PROPERTIES,
      sources: {type: 'array', minItems: 1, description: 'the public reports the scenario follows', items: SOURCE},
      participants: {
        type: 'array',
        minItems: 1,
        description: 'who takes part, and in which role (a role of the playbook, or facilitator / observer)',
        items: PARTICIPANT,
      },
      notify: {
        type: 'array',
        items: {type: 'string', minLength: 1},
        uniqueItems: true,
        description:
          "test channels: notifiers (from --checks) that may receive the exercise's messages; every other notifier is blocked",
      },
      watch: WATCH,
      estate: {type: 'array', minItems: 1, items: SERVICE, description: 'the simulated services the real checks watch'},
      injects: {type: 'array', minItems: 1, description: 'the timeline, released in order of at', items: INJECT},
      expect: EXPECT,
    },
    required: [
      'format',
      'id',
      'title',
      'exercise_type',
      'playbook',
      'compression',
      'duration',
      'sources',
      'participants',
      'estate',
      'injects',
    ],
    additionalProperties: false,
  } as const
}

/** An exercise scenario file, as the schema accepts it. */
export type ScenarioFile = FromSchema<ReturnType<typeof exerciseSchema>>
