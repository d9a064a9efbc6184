import type {JsonSchema} from '../probes/types.js'
import {VANTAGE_ID_PATTERN, VANTAGE_NET_PATTERN, VANTAGE_REGION_PATTERN} from '../metrics/vantage.js'
import {notifierSchema as providerNotifierSchema} from '../notify/providers/schemas.js'
import {NOTIFY_EVENTS} from '../notify/types.js'
import {DURATION_PATTERN, TIMEOUT_RANGE} from '../util/duration.js'

const duration = (description: string): JsonSchema => ({
  type: 'string',
  pattern: DURATION_PATTERN,
  description: `${description} (a duration such as 30s, 5m, 1h)`,
})

const thresholdsSchema: JsonSchema = {
  type: 'object',
  description: 'consecutive results needed to change state',
  properties: {
    failure: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      description: 'consecutive failed results before the check is failing (default 3)',
    },
    recovery: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      description: 'consecutive passing results before a failing check is ok again (default 2)',
    },
  },
  additionalProperties: false,
}

const flappingSchema: JsonSchema = {
  type: 'object',
  description: 'flapping detection: too many state changes in a window hold notifications',
  properties: {
    changes: {
      type: 'integer',
      minimum: 0,
      maximum: 1000,
      description: 'state changes within the window that mark the check flapping (default 5; 0 turns detection off)',
    },
    window: duration('the window state changes are counted in (default 30m)'),
  },
  additionalProperties: false,
}

const notifyList: JsonSchema = {
  type: 'array',
  items: {type: 'string', pattern: '^[A-Za-z0-9._-]+$', description: 'a notifier name from `notifiers:`'},
  uniqueItems: true,
  description: 'notifiers to tell about this check (an empty list silences it)',
}

/**
 * Keys the watch wing adds to every check (scheduling, thresholds, incidents) and to `defaults:`.
 * Kept here so the catalogue schema is assembled from the wings that read it.
 */
export const monitorCheckProperties: Record<string, JsonSchema> = {
  interval: duration('how often `watch` runs the check (default 1m)'),
  schedule: {
    type: 'string',
    minLength: 9,
    description:
      'cron expression for `watch` (node-cron syntax, optional seconds field), e.g. "*/5 * * * *"; wins over interval',
  },
  timezone: {type: 'string', minLength: 1, description: 'IANA time zone of `schedule` (default Europe/London)'},
  thresholds: thresholdsSchema,
  flapping: flappingSchema,
  notify: notifyList,
  remind_every: duration('while the check stays failing, notify again this often (default: never)'),
  runbook: {
    type: 'string',
    minLength: 1,
    maxLength: 2000,
    description: 'the runbook for this check (a URL, or where to find it); its alert and incident messages link it',
  },
  incident: {
    type: 'object',
    description: 'open an incident when the check keeps failing',
    properties: {
      after: {
        anyOf: [
          {type: 'string', pattern: DURATION_PATTERN},
          {type: 'integer', minimum: 1},
        ],
        description:
          'how long the check must be failing (a duration such as 5m) or how many consecutive failed results (an integer) before an incident opens',
      },
      severity: {type: 'string', minLength: 1, description: 'severity of the incident opened'},
      playbook: {type: 'string', minLength: 1, description: 'playbook id the incident follows'},
      title: {type: 'string', minLength: 1, description: 'incident title (default: "<check name> failing")'},
    },
    required: ['after'],
    additionalProperties: false,
  },
}

/** Keys every notifier has, whatever its type. */
const commonNotifierProperties: Record<string, JsonSchema> = {
  events: {
    type: 'array',
    items: {enum: [...NOTIFY_EVENTS]},
    uniqueItems: true,
    description: `events to send (default all): ${NOTIFY_EVENTS.join(', ')}`,
  },
  min_interval: duration('the same event for the same check is sent at most once in this period (default 5m)'),
  retries: {
    type: 'integer',
    minimum: 0,
    maximum: 10,
    description: 'extra attempts in a row before the message waits in the outbox for a later one (default 3)',
  },
  backoff: duration('wait before the first retry; it doubles with every attempt, up to 15m (default 1s)'),
  timeout: {
    ...duration('how long one delivery attempt may take (default 10s), 1ms to 24d'),
    durationRange: TIMEOUT_RANGE,
  },
  expire_after: duration(
    'an undelivered message is retried across restarts for this long, then given up and reported (default 24h)',
  ),
}

const notifierSchema: JsonSchema = providerNotifierSchema(commonNotifierProperties)

const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']

const maintenanceSchema: JsonSchema = {
  type: 'object',
  properties: {
    name: {type: 'string', minLength: 1, description: 'what the window is for'},
    checks: {
      type: 'array',
      items: {type: 'string', minLength: 1, description: 'a check id (* matches any text)'},
      description: 'check ids covered',
    },
    tags: {
      type: 'array',
      items: {type: 'string', minLength: 1},
      description: 'checks with any of these tags are covered',
    },
    start: {
      type: 'string',
      pattern: String.raw`^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?|\d{2}:\d{2})$`,
      description:
        'a local date and time (2026-12-01T22:00) for a one-off window, or a time of day (22:00) with `every:` for a recurring one',
    },
    end: {
      type: 'string',
      pattern: String.raw`^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$`,
      description: 'local date and time a one-off window ends',
    },
    duration: duration('how long the window lasts'),
    every: {
      anyOf: [{enum: ['day']}, {type: 'array', items: {enum: weekdays}, minItems: 1, uniqueItems: true}],
      description: '"day", or a list of weekdays (monday … sunday), for a recurring window',
    },
    timezone: {type: 'string', minLength: 1, description: 'IANA time zone of start/end (default Europe/London)'},
  },
  required: ['name', 'start'],
  additionalProperties: false,
}

/** Top-level sections of a catalogue file besides `defaults` and `checks` (notifiers, maintenance…). */
export const monitorFileSections: Record<string, JsonSchema> = {
  notifiers: {
    type: 'object',
    description: 'notification channels by name',
    propertyNames: {pattern: '^[A-Za-z0-9._-]+$'},
    additionalProperties: notifierSchema,
  },
  maintenance: {
    type: 'array',
    description: 'maintenance windows: results are stored, nothing alerts or opens an incident',
    items: maintenanceSchema,
  },
  watch: {
    type: 'object',
    description: 'settings of `watchkeeper watch`',
    properties: {
      concurrency: {type: 'integer', minimum: 1, maximum: 1000, description: 'checks in flight at once (default 32)'},
      thresholds: thresholdsSchema,
      flapping: flappingSchema,
      notify: {...notifyList, description: 'notifiers for checks that name none (default: every notifier)'},
      stagger: duration('first runs are spread over at most this long (default 60s)'),
      shutdown_grace: {
        ...duration('on SIGTERM, how long in-flight checks may take to finish (default 15s), at most 24d'),
        durationRange: [0, TIMEOUT_RANGE[1]],
      },
      canary: {
        type: 'object',
        description:
          'self-check: when most checks fail at once, this decides whether the probe itself lost its network',
        properties: {
          check: {type: 'string', description: 'id of a check in the catalogue to use as the canary'},
          target: {
            type: 'string',
            pattern: String.raw`^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$`,
            description: 'host:port reached over TCP as the canary',
          },
          ratio: {
            type: 'number',
            exclusiveMinimum: 0,
            maximum: 1,
            description: 'share of checks whose last result failed that triggers the canary (default 0.5)',
          },
          min_checks: {
            type: 'integer',
            minimum: 1,
            description: 'fewest failing checks that trigger the canary (default 3)',
          },
          every: duration('while connectivity is lost, retry the canary this often (default 30s)'),
        },
        additionalProperties: false,
      },
      vantage: {
        type: 'object',
        description:
          'where this probe sees services from; stamped on every metric series as the labels vantage, net and region',
        properties: {
          id: {
            type: 'string',
            pattern: VANTAGE_ID_PATTERN,
            description: 'name of this vantage, e.g. aws-lon-1 or rxa-01',
          },
          net: {
            type: 'string',
            pattern: VANTAGE_NET_PATTERN,
            description: 'network it probes from: internet, hscn or another lower-case name',
          },
          region: {
            type: 'string',
            pattern: VANTAGE_REGION_PATTERN,
            description: 'where it runs, e.g. eu-west-2 or leeds',
          },
        },
        required: ['id'],
        additionalProperties: false,
      },
    },
    additionalProperties: false,
  },
}
