import type {ValidateFunction} from 'ajv'
import {createRequire} from 'node:module'

import {VALIDATOR_IDS} from '../generated/validator-ids.js'
import {durationInRange} from './duration-range.js'

/** A schema validator generated at build time (scripts/validators.ts), loaded on first use. */
export interface SchemaValidator {
  /** The schema's name and a hash of its validator: what the parse cache records a file as passing. */
  readonly id: string
  validate(): ValidateFunction
}

export function schemaValidator(name: keyof typeof VALIDATOR_IDS): SchemaValidator {
  let fn: ValidateFunction | undefined
  return {
    id: VALIDATOR_IDS[name],
    validate() {
      fn ??= (createRequire(import.meta.url)(`../generated/validate-${name}.cjs`) as (d: typeof durationInRange) => ValidateFunction)(durationInRange)
      return fn
    },
  }
}
