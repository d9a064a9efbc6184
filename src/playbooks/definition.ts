/**
 * The playbook file format (nhs-ir/1) as TypeBox definitions: the JSON Schema (schema.ts) and the TypeScript
 * types (model.ts) both come from here. Built with the builder handed in, so TypeBox loads only where the
 * schema is built.
 */
import type {Static, TSchema} from '@sinclair/typebox'

import type {ClockDecl} from './model.js'
import {clockProperties} from '../incidents/clock-schema.js'
import {type Step, STEP_KINDS, STEP_TYPE_NAMES} from './steps/index.js'
import {type Builder, ID, mapOf, oneOf, references, referencesDefinition, stepId, VAR} from './steps/schema-parts.js'

export const VARIABLE_TYPES = ['string', 'bool', 'integer', 'number'] as const
export const ROLE_KINDS = ['individual', 'group', 'organization'] as const
export const FROM_CHECK = ['url', 'host', 'port'] as const
const PLAYBOOK_TYPES = [
  'attack',
  'detection',
  'engagement',
  'investigation',
  'mitigation',
  'notification',
  'prevention',
  'remediation',
] as const
const MARKINGS = ['TLP:RED', 'TLP:AMBER+STRICT', 'TLP:AMBER', 'TLP:GREEN', 'TLP:CLEAR'] as const

export const roleSchema = (T: Builder) =>
  T.Object(
    {
      name: T.String({minLength: 1}),
      kind: T.Optional(oneOf(T, ROLE_KINDS)),
      description: T.Optional(T.String()),
      contact: T.Optional(T.String({description: 'how to reach them (only contacts the trust has confirmed)'})),
    },
    {additionalProperties: false},
  )

export const variableSchema = (T: Builder) =>
  T.Object(
    {
      type: oneOf(T, VARIABLE_TYPES),
      description: T.Optional(T.String()),
      values: T.Optional(
        T.Array(T.String(), {minItems: 1, uniqueItems: true, description: 'allowed answers (offered as a choice)'}),
      ),
      value: T.Optional(
        T.Unsafe<string | number | boolean>({type: ['string', 'number', 'boolean'], description: 'default value'}),
      ),
      external: T.Optional(T.Boolean({description: 'filled in by the trust'})),
      from_check: T.Optional(
        oneOf(T, FROM_CHECK, {description: 'pre-filled from the target of the check the incident came from'}),
      ),
    },
    {additionalProperties: false},
  )

export const sourceSchema = (T: Builder) =>
  T.Object(
    {
      title: T.String({minLength: 1}),
      url: T.String({pattern: '^https?://', description: 'an http(s) URL'}),
    },
    {additionalProperties: false},
  )

/** The steps: one schema per registered step type, told apart by `type`. */
const stepsSchema = (T: Builder) =>
  T.Array(
    T.Unsafe<Step>({
      type: 'object',
      required: ['type'],
      properties: {type: {enum: [...STEP_TYPE_NAMES], description: 'step type'}},
      discriminator: {propertyName: 'type'},
      oneOf: Object.values(STEP_KINDS).map((k): TSchema => k.schema(T)),
    }),
    {minItems: 1, description: 'the steps, in order'},
  )

const strings = (T: Builder, description?: string) =>
  T.Array(T.String(), {uniqueItems: true, ...(description ? {description} : {})})

export const playbookFileSchema = (T: Builder) =>
  T.Object(
    {
      format: T.Unsafe<'nhs-ir/1'>({const: 'nhs-ir/1', description: 'format version'}),
      id: T.String({pattern: ID, description: 'playbook id: lower-case letters, digits, - and _'}),
      name: T.String({minLength: 1}),
      description: T.Optional(T.String()),
      version: T.Optional(T.String({description: 'when this version was written (CACAO modified)'})),
      created_by: T.Optional(T.String()),
      valid_until: T.Optional(T.String({description: 'review the playbook before this date'})),
      types: T.Optional(T.Array(oneOf(T, PLAYBOOK_TYPES), {uniqueItems: true, description: 'CACAO playbook_types'})),
      activities: T.Optional(
        T.Array(T.String({pattern: ID}), {uniqueItems: true, description: 'CACAO playbook_activities'}),
      ),
      sectors: T.Optional(strings(T)),
      labels: T.Optional(strings(T)),
      marking: T.Optional(oneOf(T, MARKINGS, {description: 'Traffic Light Protocol 2.0 marking'})),
      severities: T.Optional(
        T.Array(T.String({pattern: '^[A-Za-z0-9_-]+$'}), {
          minItems: 2,
          uniqueItems: true,
          description: 'the severity scale, worst first (default SEV1..SEV4)',
        }),
      ),
      review_by: T.Optional(
        T.String({
          pattern: String.raw`^\d{4}-\d{2}-\d{2}$`,
          description: 'review the playbook by this date (YYYY-MM-DD); validate warns once it has passed',
        }),
      ),
      sources: T.Optional(T.Array(sourceSchema(T), {minItems: 1, description: 'the documents the steps rely on'})),
      references: T.Optional(references(T)),
      roles: T.Optional(mapOf(T, roleSchema(T), {description: 'roles by short name', propertyNames: {pattern: ID}})),
      variables: T.Optional(
        mapOf(T, variableSchema(T), {description: 'variables by name', propertyNames: {pattern: VAR}}),
      ),
      clocks: T.Optional(
        mapOf(
          T,
          T.Unsafe<ClockDecl>({
            type: 'object',
            properties: clockProperties(),
            additionalProperties: false,
            oneOf: [{required: ['duration']}, {required: ['business_days']}],
            description: 'a clock with either duration or business_days',
          }),
          {description: 'regulatory or internal deadlines, by name', propertyNames: {pattern: ID}},
        ),
      ),
      start: T.Optional(stepId(T, 'the first step (default: the first in the list)')),
      steps: stepsSchema(T),
    },
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'https://watchkeeper.dev/schemas/playbook.schema.json',
      title: 'watchkeeper incident playbook (nhs-ir/1)',
      additionalProperties: false,
      definitions: {references: referencesDefinition(T)},
    },
  )

export type PlaybookFile = Static<ReturnType<typeof playbookFileSchema>>
export type RoleDef = Static<ReturnType<typeof roleSchema>>
export type VariableDef = Static<ReturnType<typeof variableSchema>>
export type Source = Static<ReturnType<typeof sourceSchema>>
