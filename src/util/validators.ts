import type {ValidateFunction} from 'ajv'
import {fileURLToPath} from 'node:url'

import {VALIDATOR_IDS} from '../generated/validator-ids.js'
import {requireCached} from './code-cache.js'
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
      // Hundreds of KB of generated code: compiled through V8's code cache.
      fn ??= (
        requireCached(fileURLToPath(new URL(`../generated/validate-${name}.cjs`, import.meta.url))) as (
          d: typeof durationInRange,
        ) => ValidateFunction
      )(durationInRange)
      return fn
    },
  }
}
