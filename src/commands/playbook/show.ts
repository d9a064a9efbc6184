import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'

import {BaseCommand} from '../../base-command.js'
import {clockLength} from '../../incidents/clocks.js'
import {clockDefsFor} from '../../incidents/service.js'
import {loadPlaybookRef} from '../../playbooks/load.js'
import {asList, clockStops, ORG_TYPES, type OrgReferences, type Playbook, referencesFor} from '../../playbooks/model.js'
import {kindOf} from '../../playbooks/steps/index.js'

export default class PlaybookShow extends BaseCommand<typeof PlaybookShow> {
  static override summary = 'Show a playbook: roles, variables, clocks and steps'
  static override usesDatabase = false
  static override examples = [
    '<%= config.bin %> playbook show ransomware-nhs-trust',
    '<%= config.bin %> playbook show ransomware-nhs-trust --org-type gp_practice',
  ]
  static override args = {playbook: Args.string({description: 'playbook id or file', required: true})}
  static override flags = {
    playbooks: Flags.string({description: 'folder of playbooks'}),
    'org-type': Flags.string({
      description: "show the references for this organisation type [default: the playbook's org_type, else all]",
      options: Object.keys(ORG_TYPES),
    }),
  }

  async run(): Promise<Playbook> {
    const p = loadPlaybookRef(this.args.playbook, this.flags.playbooks)
    if (this.jsonEnabled()) return p
    const lines = [chalk.bold(`${p.name}`) + chalk.dim(` (${p.id}${p.version ? `, ${p.version}` : ''})`)]
    if (p.description) lines.push(p.description.trim())
    const org = this.flags['org-type'] ?? p.variables.org_type?.value
    const refs = (r: OrgReferences | undefined, indent: string) =>
      referencesFor(r, org).map((x) => chalk.dim(`${indent}Reference (${x.org}): ${x.text}`))
    if (p.review_by) lines.push('', `${chalk.bold('Review by')} ${p.review_by}`)
    if (p.references) lines.push('', ...refs(p.references, ''))
    if (p.sources) lines.push('', chalk.bold('Sources'), ...p.sources.map((x) => `  ${x.title} ${chalk.dim(x.url)}`))
    lines.push(
      '',
      chalk.bold('Roles'),
      ...Object.entries(p.roles).map(
        ([k, r]) => `  ${k.padEnd(10)} ${r.name}${r.contact ? chalk.dim(` · ${r.contact}`) : ''}`,
      ),
    )
    const defs = clockDefsFor(p)
    const used = [
      ...new Set(
        p.steps.flatMap((s) => [
          ...asList(s.starts_clock),
          ...clockStops(s).map((x) => x.name),
          ...asList(s.restarts_clock),
        ]),
      ),
    ]
    lines.push(
      '',
      chalk.bold('Clocks'),
      ...used
        .map((k) => defs.get(k))
        .filter((c) => c !== undefined)
        .map(
          (c) =>
            `  ${c.name.padEnd(20)} ${clockLength(c)} from ${c.startsFrom ?? 'declared'} ${chalk.dim(`${c.to ?? ''} ${c.basis ? '· ' + c.basis : ''}`)}`,
        ),
    )
    lines.push('', chalk.bold('Steps'))
    for (const s of p.steps) {
      const extra = [
        s.owner ? `owner ${s.owner}` : '',
        asList(s.starts_clock).length > 0 ? `starts ${asList(s.starts_clock).join(', ')}` : '',
        clockStops(s).length > 0
          ? `stops ${clockStops(s)
              .map((x) => `${x.name} (${x.outcome})`)
              .join(', ')}`
          : '',
        asList(s.restarts_clock).length > 0 ? `restarts ${asList(s.restarts_clock).join(', ')}` : '',
      ]
        .filter(Boolean)
        .join(', ')
      lines.push(`  ${chalk.cyan(s.id.padEnd(24))} ${s.type.padEnd(9)} ${s.name ?? ''} ${chalk.dim(extra)}`)
      lines.push(...(kindOf(s).show?.(s) ?? []).map((l) => chalk.dim(`      ${l}`)), ...refs(s.references, '      '))
    }

    this.log(lines.join('\n'))
    return p
  }
}
