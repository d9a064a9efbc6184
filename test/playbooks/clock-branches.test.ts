import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import type {AskPrompt, ChoosePrompt, Responder} from '../../src/playbooks/responder.js'
import {gatherExport} from '../../src/exporters/gather.js'
import {renderExport} from '../../src/exporters/index.js'
import {clockSummaries} from '../../src/incidents/clocks.js'
import {openIncident} from '../../src/incidents/service.js'
import {respond} from '../../src/incidents/walk.js'
import {loadPlaybookRef} from '../../src/playbooks/load.js'
import {openDatabase} from '../../src/store/db.js'
import {eventsOf} from '../../src/store/incidents.js'
import {tmpDir} from '../helpers/cli.js'

const T0 = Date.UTC(2026, 5, 1, 10)

/**
 * Answers every prompt by a policy: the branch's variables by name, every checklist item done, commands declined
 * (their on_failure path is manual), any other free answer a placeholder and the first choice otherwise.
 */
class PolicyResponder implements Responder {
  constructor(private readonly vars: Record<string, string>) {}

  async tick(): Promise<boolean> {
    return true
  }

  async ask(p: AskPrompt): Promise<string> {
    if (p.variable in this.vars) return this.vars[p.variable]
    if (p.acceptDefault && p.default !== undefined) return p.default
    return p.type === 'integer' || p.type === 'number' ? '3' : `${p.variable} recorded in the test`
  }

  async choose(p: ChoosePrompt): Promise<string> {
    if (p.variable && p.variable in this.vars) return this.vars[p.variable]
    return p.variable === undefined && p.choices.some((c) => c.value === 'continue') ? 'continue' : p.choices[0].value
  }

  async confirm(): Promise<boolean> {
    return false
  }
}

const BRANCHES: [string, string, Record<string, string>, Record<string, string>][] = [
  [
    'personal-data-breach',
    'notifiable',
    {dspt_likelihood: '4', dspt_impact: '3', high_risk_to_individuals: 'no'},
    {ico_72h: 'on_time', pir_5bd: 'on_time'},
  ],
  [
    'personal-data-breach',
    'not notifiable',
    {dspt_likelihood: '1', dspt_impact: '2', high_risk_to_individuals: 'no'},
    {ico_72h: 'not_required', pir_5bd: 'on_time'},
  ],
  [
    'ransomware-nhs-trust',
    'reported',
    {
      personal_data: 'yes',
      essential_service_impact: 'yes',
      dspt_likelihood: '4',
      dspt_impact: '3',
      nis_oes: 'yes',
      nis_significant_impact: 'yes',
      high_risk_to_individuals: 'no',
    },
    {ico_72h: 'on_time', nis_72h: 'on_time', pir_5bd: 'on_time'},
  ],
  [
    'ransomware-nhs-trust',
    'not notifiable',
    {
      personal_data: 'yes',
      essential_service_impact: 'no',
      dspt_likelihood: '1',
      dspt_impact: '2',
      nis_oes: 'yes',
      nis_significant_impact: 'no',
      assessment_reasoning: 'no personal data left the estate',
      high_risk_to_individuals: 'no',
    },
    {ico_72h: 'not_required', pir_5bd: 'on_time'},
  ],
  [
    'ddos-national-endpoint',
    'NIS incident',
    {cause: 'attack', nis_oes: 'yes', nis_significant_impact: 'yes'},
    {nis_72h: 'on_time', pir_5bd: 'on_time'},
  ],
  [
    'email-spoofing-dmarc',
    'notifiable',
    {finding: 'spoofing', credentials_harvested: 'yes', dspt_likelihood: '4', dspt_impact: '3'},
    {ico_72h: 'on_time'},
  ],
  [
    'email-spoofing-dmarc',
    'not notifiable',
    {finding: 'spoofing', credentials_harvested: 'yes', dspt_likelihood: '1', dspt_impact: '2'},
    {ico_72h: 'not_required'},
  ],
  [
    'supplier-compromise',
    'data and NIS',
    {trust_data_affected: 'yes', dspt_likelihood: '4', dspt_impact: '3', nis_oes: 'yes', nis_significant_impact: 'yes'},
    {ico_72h: 'on_time', nis_72h: 'on_time', pir_5bd: 'on_time'},
  ],
  [
    'supplier-compromise',
    'data not notifiable, not an OES',
    {trust_data_affected: 'yes', dspt_likelihood: '2', dspt_impact: '2', nis_oes: 'no'},
    {ico_72h: 'not_required', pir_5bd: 'on_time'},
  ],
  [
    'cyber-alert-high-severity',
    'applicable',
    {applicable: 'yes'},
    {nhs_alert_48h: 'on_time', nhs_alert_update_3d: 'on_time'},
  ],
  [
    'cyber-alert-high-severity',
    'not applicable',
    {applicable: 'no'},
    {nhs_alert_48h: 'on_time', nhs_alert_update_3d: 'not_required'},
  ],
  ['tls-certificate-incident', 'fixed', {}, {pir_5bd: 'on_time'}],
]

describe('every shipped playbook, down every branch that stops a clock', () => {
  const tmp = tmpDir()
  afterAll(() => tmp.cleanup())

  for (const [playbook, branch, vars, expected] of BRANCHES) {
    it(`${playbook} (${branch}): ${Object.entries(expected)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`, async () => {
      const db = openDatabase(path.join(tmp.dir, `${playbook}-${branch.replaceAll(/\W+/g, '-')}.sqlite`))
      const {id} = openIncident(
        {db, actor: 'ic', now: T0},
        {title: `${playbook} ${branch}`, playbook: loadPlaybookRef(playbook)},
      )
      const result = await respond(db, id, {actor: 'ic', responder: new PolicyResponder(vars), now: () => T0 + 60_000})
      expect(result, JSON.stringify(result)).toMatchObject({status: 'ended'})
      const events = eventsOf(db, id)
      const clocks = Object.fromEntries(clockSummaries(events, T0 + 60_000).map((c) => [c.name, c.outcome]))
      expect(clocks).toEqual(expected)
      // No step starts and stops the same clock: every ICO/NIS start comes before the step that stops it starts.
      for (const name of ['ico_72h', 'nis_72h']) {
        const start = events.find((e) => e.type === 'clock_started' && e.data.name === name)
        const stop = events.find((e) => e.type === 'clock_stopped' && e.data.name === name)
        if (!start || !stop) continue
        const stopStep = events.findLast((e) => e.type === 'step_started' && e.seq < stop.seq)!
        expect(start.seq, name).toBeLessThan(stopStep.seq)
      }

      const input = gatherExport(db, id, T0 + 60_000)
      for (const format of ['md', 'json', 'csv', 'html'] as const) {
        const text = renderExport(format, input)
        for (const outcome of new Set(Object.values(expected))) expect(text, format).toContain(outcome)
        expect(text, format).not.toMatch(/\bmet\b|\bmissed\b/)
      }

      const cacao = JSON.parse(renderExport('cacao', input)) as {
        playbook_extensions: Record<string, {clocks: Record<string, {starts_from?: string}>}>
      }
      const defs = Object.values(cacao.playbook_extensions)[0].clocks
      for (const name of Object.keys(expected))
        expect(defs[name], `cacao ${name}`).toMatchObject({starts_from: expect.any(String)})
      db.close()
    })
  }
})
