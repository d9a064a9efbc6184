import {clockProperties} from '../incidents/clock-schema.js'
import {ISO_DURATION_PATTERN} from '../incidents/time.js'
import {TIMEOUT_RANGE} from '../util/duration.js'
import {ASSESSMENT_DESCRIPTION, ASSESSMENT_PROPERTIES} from './assessment.js'
import {ORG_TYPES} from './model.js'

type JsonSchema = Record<string, unknown>

const ID = '^[a-z0-9][a-z0-9_-]*$'
const VAR = '^[A-Za-z_][A-Za-z0-9_]*$'
const stepId = (description: string): JsonSchema => ({type: 'string', pattern: ID, description})
const duration = (description: string): JsonSchema => ({type: 'string', pattern: ISO_DURATION_PATTERN, description: `${description} (ISO 8601 duration such as PT30M, PT72H, P2D)`})
const names = (pattern: string, description: string): JsonSchema => ({
  anyOf: [{type: 'string', pattern}, {type: 'array', items: {type: 'string', pattern}, minItems: 1, uniqueItems: true}],
  description,
})

const REFERENCES: JsonSchema = {
  type: 'object', minProperties: 1, additionalProperties: false,
  description: 'assurance references keyed by organisation type (the walk shows the one for org_type); a list of {title, url} belongs under sources:',
  properties: Object.fromEntries([...Object.entries(ORG_TYPES), ['default', 'any other organisation type']].map(([k, d]) => [k, {type: 'string', minLength: 1, description: d}])),
}

const references: JsonSchema = {$ref: '#/definitions/references'}

const common: Record<string, JsonSchema> = {
  id: stepId('step id: lower-case letters, digits, - and _'),
  name: {type: 'string', minLength: 1, description: 'what the step is, in a line'},
  description: {type: 'string'},
  owner: {type: 'string', pattern: ID, description: 'the role (from roles:) that does this step'},
  next: stepId('the step after this one (default: the next in the list)'),
  ask: names(VAR, 'variable(s) to ask the responder for before the step completes'),
  record: {type: 'array', items: {type: 'string', pattern: VAR}, uniqueItems: true, description: 'variables to record (free answers) in this step'},
  starts_clock: names(ID, 'clock(s) started when this step starts; one that runs from aware or issued asks for that time (default now)'),
  stops_clock: {
    anyOf: [...(names(ID, '').anyOf as JsonSchema[]), {type: 'object', propertyNames: {pattern: ID}, additionalProperties: {enum: ['notified', 'not_required', 'superseded']}, minProperties: 1}],
    description: 'clock(s) stopped when this step completes: a name or list (notified), or name: notified | not_required | superseded',
  },
  restarts_clock: names(ID, 'restartable clock(s) given a new due time when this step completes'),
  references,
}

function step(type: string, description: string, props: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return {
    type: 'object', title: `${type} step`, description,
    properties: {...common, type: {const: type}, ...props},
    required: ['id', 'type', ...required],
    additionalProperties: false,
  }
}

export const STEP_SCHEMAS: JsonSchema[] = [
  step('manual', 'work a person does, as a checklist ticked item by item', {
    checklist: {type: 'array', items: {type: 'string', minLength: 1}, description: 'items, each ticked separately'},
  }),
  step('decision', 'branch on a condition (if/then/else) or on the value of the asked variable (cases)', {
    if: {type: 'string', minLength: 1, description: 'condition, e.g. personal_data == "yes" and not contained'},
    then: stepId('step when the condition holds'),
    else: stepId('step when it does not'),
    cases: {type: 'object', additionalProperties: {type: 'string', pattern: ID}, minProperties: 1, description: 'value of the asked variable → step id'},
    default: stepId('step when no case matches'),
  }),
  step('command', 'run a program with arguments (never through a shell) after the responder confirms the exact command', {
    argv: {type: 'array', items: {type: 'string'}, minItems: 1, description: 'program and arguments; ${var} is filled in from variables'},
    timeout: {...duration('how long the command may run, 1ms to 24d'), durationRange: TIMEOUT_RANGE},
    on_success: stepId('step after exit code 0 (default: next)'),
    on_failure: stepId('step after a non-zero exit, a timeout, or a declined run (default: next)'),
    exit_code_to: {type: 'string', pattern: VAR, description: 'variable that receives the exit code'},
    exercise_safe: {type: 'boolean', description: 'true: the command may run during an exercise (otherwise an exercise records it as declined and takes on_failure)'},
  }, ['argv']),
  step('parallel', 'start several branches; continue at join once every branch has ended', {
    branches: {type: 'array', items: {type: 'string', pattern: ID}, minItems: 2, uniqueItems: true, description: 'the first step of each branch'},
    join: stepId('the step after every branch has ended'),
  }, ['branches', 'join']),
  step('loop', 'repeat a body while a condition holds', {
    while: {type: 'string', minLength: 1, description: 'condition checked before each iteration'},
    do: stepId('first step of the body; the body ends when it comes back here or reaches then'),
    then: stepId('step once the condition no longer holds'),
    max_iterations: {type: 'integer', minimum: 1, maximum: 1000, description: 'the loop exits after this many iterations whatever the condition'},
  }, ['while', 'do', 'then', 'max_iterations']),
  step('wait', 'a timer: the walk pauses until it runs out (the responder may continue early)', {
    duration: duration('how long'),
  }, ['duration']),
  step('playbook', 'run another playbook, then continue', {
    playbook: {type: 'string', minLength: 1, description: 'id of a playbook in the same folder, or a path relative to this file'},
  }, ['playbook']),
  step('end', 'the walk (or sub-playbook) ends here', {}),
  step('assessment', ASSESSMENT_DESCRIPTION, ASSESSMENT_PROPERTIES, ['assess']),
]

export const STEP_TYPES = STEP_SCHEMAS.map((s) => ((s.properties as Record<string, {const: string}>).type.const))

/** The JSON Schema of a playbook file; published as schemas/playbook.schema.json. */
export function playbookSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://watchkeeper.dev/schemas/playbook.schema.json',
    title: 'watchkeeper incident playbook (nhs-ir/1)',
    type: 'object',
    properties: {
      format: {const: 'nhs-ir/1', description: 'format version'},
      id: {type: 'string', pattern: ID, description: 'playbook id: lower-case letters, digits, - and _'},
      name: {type: 'string', minLength: 1},
      description: {type: 'string'},
      version: {type: 'string', description: 'when this version was written (CACAO modified)'},
      created_by: {type: 'string'},
      valid_until: {type: 'string', description: 'review the playbook before this date'},
      types: {type: 'array', items: {enum: ['attack', 'detection', 'engagement', 'investigation', 'mitigation', 'notification', 'prevention', 'remediation']}, uniqueItems: true, description: 'CACAO playbook_types'},
      activities: {type: 'array', items: {type: 'string', pattern: ID}, uniqueItems: true, description: 'CACAO playbook_activities'},
      sectors: {type: 'array', items: {type: 'string'}, uniqueItems: true},
      labels: {type: 'array', items: {type: 'string'}, uniqueItems: true},
      marking: {enum: ['TLP:RED', 'TLP:AMBER+STRICT', 'TLP:AMBER', 'TLP:GREEN', 'TLP:CLEAR'], description: 'Traffic Light Protocol 2.0 marking'},
      severities: {type: 'array', items: {type: 'string', pattern: '^[A-Za-z0-9_-]+$'}, minItems: 2, uniqueItems: true, description: 'the severity scale, worst first (default SEV1..SEV4)'},
      review_by: {type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'review the playbook by this date (YYYY-MM-DD); validate warns once it has passed'},
      sources: {type: 'array', minItems: 1, description: 'the documents the steps rely on', items: {type: 'object', properties: {
        title: {type: 'string', minLength: 1}, url: {type: 'string', pattern: '^https?://', description: 'an http(s) URL'},
      }, required: ['title', 'url'], additionalProperties: false}},
      references,
      roles: {
        type: 'object', description: 'roles by short name',
        propertyNames: {pattern: ID},
        additionalProperties: {type: 'object', properties: {
          name: {type: 'string', minLength: 1}, kind: {enum: ['individual', 'group', 'organization']}, description: {type: 'string'},
          contact: {type: 'string', description: 'how to reach them (only contacts the trust has confirmed)'},
        }, required: ['name'], additionalProperties: false},
      },
      variables: {
        type: 'object', description: 'variables by name',
        propertyNames: {pattern: VAR},
        additionalProperties: {type: 'object', properties: {
          type: {enum: ['string', 'bool', 'integer', 'number']}, description: {type: 'string'},
          values: {type: 'array', items: {type: 'string'}, minItems: 1, uniqueItems: true, description: 'allowed answers (offered as a choice)'},
          value: {type: ['string', 'number', 'boolean'], description: 'default value'},
          external: {type: 'boolean', description: 'filled in by the trust'},
          from_check: {enum: ['url', 'host', 'port'], description: 'pre-filled from the target of the check the incident came from'},
        }, required: ['type'], additionalProperties: false},
      },
      clocks: {
        type: 'object', description: 'regulatory or internal deadlines, by name',
        propertyNames: {pattern: ID},
        additionalProperties: {type: 'object', properties: clockProperties(), additionalProperties: false, oneOf: [{required: ['duration']}, {required: ['business_days']}], description: 'a clock with either duration or business_days'},
      },
      start: stepId('the first step (default: the first in the list)'),
      steps: {
        type: 'array', minItems: 1, description: 'the steps, in order',
        items: {
          type: 'object', required: ['type'],
          properties: {type: {enum: STEP_TYPES, description: 'step type'}},
          discriminator: {propertyName: 'type'},
          oneOf: STEP_SCHEMAS,
        },
      },
    },
    required: ['format', 'id', 'name', 'steps'],
    additionalProperties: false,
    definitions: {references: REFERENCES},
  }
}
