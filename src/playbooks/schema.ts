/**
 * The JSON Schema of playbook files, built from the TypeBox definitions (definition.ts and steps/). This is
 * the one module that loads TypeBox: `playbook schema` and the build (scripts/validators.ts) import it; a
 * walk or a validation uses the validator generated from it at build time.
 */
import {Type} from '@sinclair/typebox'

import {playbookFileSchema} from './definition.js'

type JsonSchema = Record<string, unknown>

/** Keys that read best first, and last; the others keep the order they were written in. */
const LEADING = ['$schema', '$id', 'title', 'type']
const TRAILING = ['properties', 'required', 'additionalProperties', 'definitions']

/** Keywords whose value maps names to schemas: the names keep their order (`allowed keys` lists them so). */
const NAMED = new Set(['properties', 'definitions'])

/** Plain JSON (no TypeBox symbols), with the leading keywords of each schema first and the trailing last. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain)
  if (v === null || typeof v !== 'object') return v
  const rank = (k: string) => (LEADING.includes(k) ? LEADING.indexOf(k) - LEADING.length : TRAILING.indexOf(k) + 1)
  const keys = Object.entries(v)
    .map(([k, x], i) => ({k, x, i}))
    .sort((a, b) => rank(a.k) - rank(b.k) || a.i - b.i)
  return Object.fromEntries(
    keys.map(({k, x}) => [k, NAMED.has(k) && x !== null && typeof x === 'object' ? named(x) : plain(x)]),
  )
}

function named(map: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([k, x]) => [k, plain(x)]))
}

/** The JSON Schema of a playbook file; published as schemas/playbook.schema.json. */
export function playbookSchema(): JsonSchema {
  return Object.fromEntries(Object.entries(plain(playbookFileSchema(Type)) ?? {}))
}
