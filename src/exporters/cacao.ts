import {createHash} from 'node:crypto'

import type {ClockDef} from '../incidents/clocks.js'
import type {ExportInput} from './input.js'
import {UserError} from '../errors.js'
import {toIsoDuration} from '../incidents/time.js'
import {asList, clockStops, type Playbook} from '../playbooks/model.js'
import {kindOf} from '../playbooks/steps/index.js'

/** The namespace CACAO 2.0 gives for UUIDv5 identifiers (data-types/identifier.json). */
const CACAO_NAMESPACE = 'aa7caf3a-d55a-4e9a-b34e-056215fba56a'

export function uuidV5(name: string, namespace = CACAO_NAMESPACE): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex')
  const h = createHash('sha1')
    .update(Buffer.concat([ns, Buffer.from(name, 'utf8')]))
    .digest()
  h[6] = (h[6] & 0x0f) | 0x50
  h[8] = (h[8] & 0x3f) | 0x80
  const hex = h.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** `personal_data == "yes"` → `__personal_data__:value == 'yes'`, the comparison form SOARCA accepts. */
function condition(text: string): string {
  return text
    .replaceAll(/"([^"]*)"/g, "'$1'")
    .replaceAll(/\b([A-Za-z_][A-Za-z0-9_]*)\b/g, (w) =>
      ['and', 'or', 'not', 'in', 'true', 'false'].includes(w) ? w : `__${w}__:value`,
    )
}

function iso(text: string | undefined, fallback: string): string {
  if (!text) return fallback
  const t = Date.parse(text)
  return Number.isNaN(t) ? fallback : new Date(t).toISOString()
}

/** A clock definition in the keys of a clock file. */
function cacaoClock(d: ClockDef): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      to: d.to,
      basis: d.basis,
      source: d.source,
      ...(d.businessDays === undefined
        ? {duration: d.duration ?? toIsoDuration(d.durationMs ?? 0)}
        : {business_days: d.businessDays}),
      warn_when_remaining: d.warnBeforeMs.map(toIsoDuration),
      starts_from: d.startsFrom,
      restartable: d.restartable,
      enabled: d.enabled,
      note: d.note,
    }),
  )
}

/** The incident's playbook as CACAO 2.0 JSON; clocks go in a playbook extension (CACAO has none). */
export function cacaoExport(input: ExportInput): string {
  const p = input.playbook
  if (!p)
    throw new UserError(`Incident ${input.summary.id} has no playbook to export as CACAO.`, {
      code: 'E_NO_PLAYBOOK',
      exit: 2,
    })
  return JSON.stringify(cacaoPlaybook(p, new Date(input.now).toISOString(), input.clockDefs), null, 2) + '\n'
}

/** What every CACAO step carries whatever its type: name, agent, out_args and the clock extension. */
function commonStepFields(p: Playbook, s: Playbook['steps'][number]): Record<string, unknown> {
  return {
    name: s.name ?? s.id,
    description: s.description,
    ...(s.owner ? {agent: `individual--${uuidV5(`${p.id}/role/${s.owner}`)}`} : {}),
    ...(asList(s.ask).length + (s.record?.length ?? 0) > 0
      ? {out_args: [...asList(s.ask), ...(s.record ?? [])].map((v) => `__${v}__`)}
      : {}),
    ...(s.starts_clock || s.stops_clock || s.restarts_clock
      ? {
          step_extensions: {
            'x-watchkeeper-clocks': {
              starts: asList(s.starts_clock),
              stops: clockStops(s).map((x) => x.name),
              ...(clockStops(s).some((x) => x.outcome !== 'notified')
                ? {outcomes: Object.fromEntries(clockStops(s).map((x) => [x.name, x.outcome]))}
                : {}),
              ...(s.restarts_clock ? {restarts: asList(s.restarts_clock)} : {}),
            },
          },
        }
      : {}),
  }
}

export function cacaoPlaybook(p: Playbook, now: string, clockDefs: ClockDef[] = []): Record<string, unknown> {
  const ids = new Map<string, string>()
  for (const s of p.steps) ids.set(s.id, `${kindOf(s).cacao.type(s)}--${uuidV5(`${p.id}/${s.id}`)}`)
  const ref = (id: string | undefined) => (id ? ids.get(id) : undefined)
  const startId = `start--${uuidV5(`${p.id}/__start__`)}`
  const workflow: Record<string, unknown> = {[startId]: {type: 'start', on_completion: ref(p.start ?? p.steps[0].id)}}
  for (const [i, s] of p.steps.entries()) {
    const implicit = p.steps[i + 1]?.id
    const common = commonStepFields(p, s)
    // Each step type gives its CACAO step (steps/); JSON drops the keys left undefined.
    const out = kindOf(s).cacao.step(s, {
      playbook: p,
      ref,
      implicit,
      common,
      condition,
      uuid: (name) => uuidV5(name),
      add: (id, step) => void (workflow[id] = JSON.parse(JSON.stringify(step))),
    })
    const id = ids.get(s.id)
    if (id !== undefined) workflow[id] = JSON.parse(JSON.stringify({...common, ...out}))
  }

  const extId = `extension-definition--${uuidV5('watchkeeper/clocks')}`
  const modified = iso(p.version, now)
  return {
    type: 'playbook',
    spec_version: 'cacao-2.0',
    id: `playbook--${uuidV5(p.id)}`,
    name: p.name,
    description: p.description,
    playbook_types: p.meta.types,
    playbook_activities: p.meta.activities,
    industry_sectors: p.meta.sectors,
    labels: p.meta.labels,
    created_by: `identity--${uuidV5(String(p.meta.created_by ?? 'watchkeeper'))}`,
    created: modified,
    modified,
    ...(p.meta.valid_until ? {valid_until: iso(String(p.meta.valid_until), modified)} : {}),
    ...(p.sources
      ? {external_references: p.sources.map((x) => ({name: x.title, url: x.url}))}
      : Array.isArray(p.meta.references)
        ? {external_references: p.meta.references}
        : {}),
    workflow_start: startId,
    workflow,
    agent_definitions: Object.fromEntries(
      Object.entries(p.roles).map(([k, r]) => [
        `individual--${uuidV5(`${p.id}/role/${k}`)}`,
        {type: r.kind ?? 'individual', name: r.name, description: r.description},
      ]),
    ),
    playbook_variables: Object.fromEntries(
      Object.entries(p.variables).map(([k, v]) => [
        `__${k}__`,
        {
          type: v.type === 'bool' ? 'bool' : v.type === 'integer' ? 'integer' : 'string',
          description: v.description,
          ...(v.value === undefined ? {} : {value: String(v.value)}),
          constant: false,
          external: v.external ?? false,
        },
      ]),
    ),
    extension_definitions: {
      [extId]: {
        type: 'extension-definition',
        name: 'watchkeeper regulatory clocks',
        created_by: `identity--${uuidV5('watchkeeper')}`,
        schema: 'https://watchkeeper.dev/schemas/playbook.schema.json',
        version: '1',
      },
    },
    playbook_extensions: {
      [extId]: {clocks: {...Object.fromEntries(clockDefs.map((d) => [d.name, cacaoClock(d)])), ...p.clocks}},
    },
  }
}
