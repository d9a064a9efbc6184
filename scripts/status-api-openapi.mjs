// The OpenAPI 3.1 document of the status read API (src/web/site.ts): node scripts/status-api-openapi.mjs > schemas/status-api.openapi.json
// (scripts/update-docs.sh runs it; test/web/units.test.ts checks the committed file is its output).
const iso = {type: 'string', format: 'date-time', description: 'ISO 8601 instant in UTC with milliseconds'}
const isoN = {type: ['string', 'null'], format: 'date-time'}
const pct = {
  type: ['number', 'null'],
  minimum: 0,
  maximum: 100,
  description: 'up / (up + down) × 100; null without up or down results',
}
const state = {type: 'string', enum: ['ok', 'degraded', 'failing', 'pending', 'maintenance', 'unknown']}
const status = {type: 'string', enum: ['ok', 'warn', 'crit', 'unknown']}
const ref = (n) => ({$ref: `#/components/schemas/${n}`})
const obj = (properties, extra = {}) => ({
  type: 'object',
  additionalProperties: false,
  required: Object.keys(properties),
  properties,
  ...extra,
})
const uptime = obj({'24h': pct, '7d': pct, '30d': pct})
const latency = {
  oneOf: [{type: 'null'}, obj({p50Ms: {type: 'number', minimum: 0}, p95Ms: {type: 'number', minimum: 0}})],
}
const schemas = {
  State: state,
  Uptime: uptime,
  Latency: latency,
  Check: obj({
    id: {
      type: 'string',
      minLength: 1,
      description: 'the check id (the catalogue allows lower-case letters, digits, . _ -)',
    },
    name: {type: 'string'},
    service: {type: ['string', 'null']},
    tier: {type: ['string', 'null']},
    kind: {type: 'string'},
    state: ref('State'),
    watchState: ref('State'),
    since: isoN,
    lastRun: isoN,
    status: {oneOf: [{type: 'null'}, status]},
    summary: {type: ['string', 'null']},
    flapping: {type: 'boolean'},
    uptime: ref('Uptime'),
    latency: ref('Latency'),
    posture: {
      oneOf: [
        {type: 'null'},
        obj({grade: {type: ['string', 'null']}, score: {type: ['number', 'null']}, checkedAt: iso}),
      ],
    },
    incidents: {type: 'array', items: {type: 'integer', minimum: 1}},
    maintenance: {oneOf: [{type: 'null'}, obj({window: {type: 'string'}, until: iso})]},
  }),
  Service: obj({
    name: {type: 'string'},
    slug: {type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$'},
    state: ref('State'),
    uptime: ref('Uptime'),
    latency: ref('Latency'),
    tiers: {
      type: 'array',
      items: obj({tier: {type: ['string', 'null']}, checks: {type: 'array', items: ref('Check')}}),
    },
  }),
  Incident: obj({
    id: {type: 'integer', minimum: 1},
    title: {type: 'string'},
    severity: {type: 'string'},
    state: {type: 'string', enum: ['triage', 'active', 'mitigated', 'resolved', 'closed', 'declined', 'merged']},
    openedAt: iso,
    checks: {type: 'array', items: {type: 'string'}},
  }),
  Maintenance: obj({name: {type: 'string'}, until: isoN, next: isoN, checks: {type: 'array', items: {type: 'string'}}}),
  Status: obj({
    generatedAt: iso,
    timeZone: {const: 'Europe/London'},
    title: {type: 'string'},
    summary: obj({
      checks: {type: 'integer'},
      ok: {type: 'integer'},
      degraded: {type: 'integer'},
      failing: {type: 'integer'},
      pending: {type: 'integer'},
      maintenance: {type: 'integer'},
      unknown: {type: 'integer'},
    }),
    state: ref('State'),
    services: {type: 'array', items: ref('Service')},
    incidents: {type: 'array', items: ref('Incident')},
    maintenance: {type: 'array', items: ref('Maintenance')},
  }),
  HistoryBar: obj({
    start: iso,
    up: {type: 'integer', minimum: 0},
    down: {type: 'integer', minimum: 0},
    unknown: {type: 'integer', minimum: 0},
    availability: pct,
  }),
  CheckDetail: obj({
    generatedAt: iso,
    timeZone: {const: 'Europe/London'},
    check: ref('Check'),
    recent: {type: 'array', items: obj({at: iso, status, durationMs: {type: 'number'}, summary: {type: 'string'}})},
    outages: {
      type: 'array',
      items: obj({
        startedAt: iso,
        endedAt: isoN,
        durationMs: {type: 'number', minimum: 0},
        downResults: {type: 'integer', minimum: 0},
      }),
    },
    hourly: {type: 'array', minItems: 24, maxItems: 24, items: ref('HistoryBar')},
    daily: {type: 'array', minItems: 30, maxItems: 30, items: ref('HistoryBar')},
  }),
  Incidents: obj({generatedAt: iso, incidents: {type: 'array', items: ref('Incident')}}),
  IncidentDetail: {
    type: 'object',
    additionalProperties: false,
    required: [
      'id',
      'title',
      'severity',
      'state',
      'openedAt',
      'checks',
      'service',
      'updatedAt',
      'resolvedAt',
      'closedAt',
      'timeline',
    ],
    properties: {
      id: {type: 'integer'},
      title: {type: 'string'},
      severity: {type: 'string'},
      state: {type: 'string'},
      openedAt: iso,
      checks: {type: 'array', items: {type: 'string'}},
      service: {type: ['string', 'null']},
      updatedAt: iso,
      resolvedAt: isoN,
      closedAt: isoN,
      timeline: {type: 'array', items: obj({seq: {type: 'integer'}, occurredAt: iso, type: {type: 'string'}})},
      notes: {
        type: 'array',
        description: 'only when watch runs with --status-notes',
        items: obj({occurredAt: iso, text: {type: 'string'}}),
      },
    },
  },
  Error: obj({error: obj({code: {type: 'string'}, message: {type: 'string'}})}),
}
const json = (schema, description) => ({description, content: {'application/json': {schema: ref(schema)}}})
const common = {
  400: json('Error', 'A malformed path parameter'),
  404: json('Error', 'No such check or incident'),
  429: {
    description: 'Over the per-client rate (token bucket per address); Retry-After says when to try again',
    headers: {'Retry-After': {schema: {type: 'integer'}}},
  },
}
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: {type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,99}$'},
  description: 'check id; a trailing .json is accepted',
}
const doc = {
  openapi: '3.1.0',
  info: {
    title: 'watchkeeper status API',
    version: '1',
    description:
      'The read API that `watchkeeper watch --status-page` serves and `watchkeeper report status-site` writes as files (paths with .json). Read-only: GET and HEAD. Times are ISO 8601 UTC strings; durations are numbers named for their unit. Nothing here carries targets, secrets, notifier errors or people; incident details need the bearer token from WATCHKEEPER_STATUS_TOKEN.',
    license: {name: 'MIT', identifier: 'MIT'},
  },
  servers: [{url: 'http://127.0.0.1:9464', description: 'watch --metrics 127.0.0.1:9464 --status-page'}],
  paths: {
    '/api/v1/status': {
      get: {
        operationId: 'getStatus',
        summary: 'Every check by service and tier, open incidents and maintenance',
        responses: {200: json('Status', 'The status now'), 429: common['429']},
      },
    },
    '/api/v1/checks/{id}': {
      get: {
        operationId: 'getCheck',
        summary: 'One check: its state, recent results, outages, hourly and daily bars',
        parameters: [idParam],
        responses: {200: json('CheckDetail', 'The check'), ...common},
      },
    },
    '/api/v1/incidents': {
      get: {
        operationId: 'getIncidents',
        summary: 'Open incidents (title, severity, state, start, linked checks)',
        responses: {200: json('Incidents', 'Open incidents'), 429: common['429']},
      },
    },
    '/api/v1/incidents/{id}': {
      get: {
        operationId: 'getIncident',
        summary: 'One incident in detail (bearer token only)',
        security: [{bearer: []}],
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            schema: {type: 'string', pattern: String.raw`^[1-9][0-9]{0,15}(\.json)?$`},
          },
        ],
        responses: {
          200: json('IncidentDetail', 'The incident, without actors; notes only with --status-notes'),
          401: json('Error', 'No or the wrong bearer token'),
          ...common,
        },
      },
    },
  },
  components: {
    schemas,
    securitySchemes: {
      bearer: {type: 'http', scheme: 'bearer', description: 'the value of WATCHKEEPER_STATUS_TOKEN on the watcher'},
    },
  },
}
process.stdout.write(JSON.stringify(doc, null, 2) + '\n')
