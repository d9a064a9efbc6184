import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {ART33_FACTS} from '../../src/playbooks/assessment.js'
import {runCli, tmpDir} from '../helpers/cli.js'

const FACTS: Record<string, string | number> = {
  breach_nature: 'Disclosure: 14 discharge letters emailed to the wrong GP practice',
  data_subject_categories: 'Patients discharged from ward 7',
  data_subjects_approx: 14,
  record_categories: 'Discharge letters (diagnoses, medications)',
  records_approx: 15,
  dpo_contact: 'Jo Bloggs, DPO, dpo@trust.example, 0300 000 0000',
  likely_consequences: 'Distress; disclosure of sensitive health information',
  measures_taken: 'Recipient confirmed deletion in writing; mail rule corrected',
}

function answers(o: {
  likelihood: number
  impact: number
  facts: Record<string, unknown>
  notifiable: boolean
  awareAt?: string
}): string {
  const steps: Record<string, unknown> = {
    aware: {
      what_happened: 'Letters to the wrong practice',
      aware_reason: 'The practice manager phoned',
      aware_at: o.awareAt ?? '10h ago',
    },
    contain: {},
    assess: {
      dspt_likelihood: o.likelihood,
      dspt_impact: o.impact,
      assessment_reasoning: 'Graded with the DPO: diagnoses disclosed outside the care team',
      ...o.facts,
    },
    ...(o.notifiable ? {report: {dspt_ref: 'DSPT-123'}} : {'not-reportable': {}}),
    individuals: {high_risk_to_individuals: false},
    'schedule-review': {},
    review: {},
  }
  return JSON.stringify({steps})
}

describe('personal-data-breach walked from an answers file, then reported', () => {
  const tmp = tmpDir()
  const db = path.join(tmp.dir, 'wk.sqlite')
  const cli = (args: string[]) => runCli([...args, '--db', db], {env: {WATCHKEEPER_ACTOR: 'ig-lead'}})
  afterAll(() => tmp.cleanup())

  const walked = async (name: string, a: Parameters<typeof answers>[0]): Promise<string> => {
    const open = await cli([
      'incident',
      'open',
      '--title',
      `Breach ${name}`,
      '--playbook',
      'personal-data-breach',
      '--json',
    ])
    expect(open.code, open.stderr).toBe(0)
    const id = String((JSON.parse(open.stdout) as {id: number}).id)
    const file = path.join(tmp.dir, `${name}.json`)
    fs.writeFileSync(file, answers(a))
    const walk = await cli(['incident', 'respond', id, '--answers', file, '--json'])
    expect(walk.code, walk.stderr + walk.stdout).toBe(0)
    expect(JSON.parse(walk.stdout)).toMatchObject({status: 'ended'})
    return id
  }

  it('notifiable: incident report --for ico carries every Art. 33(3) field and nothing is missing', async () => {
    const id = await walked('notifiable', {likelihood: 3, impact: 2, facts: FACTS, notifiable: true})
    const md = await cli(['incident', 'report', id, '--for', 'ico'])
    expect(md.code, md.stderr).toBe(0)
    expect(md.stdout).toContain('# Personal data breach notification to the ICO (UK GDPR Art. 33)')
    expect(md.stdout).toContain('**To:** ICO, through the DSPT incident reporting tool, which also notifies the ICO')
    expect(md.stdout).toContain(
      '**Decision:** Notifiable to the ICO: DSPT grid: likelihood 3 (likely) × impact 2 (minor) is at or above the ICO threshold',
    )
    expect(md.stdout).toContain('**Still missing:** nothing.')
    for (const f of ART33_FACTS)
      expect(md.stdout, f.name).toContain(`| ${f.ref}: ${f.label} | ${String(FACTS[f.name])} |`)
    expect(md.stdout).toMatch(/\| Clock \| on_time/)

    const json = await cli(['incident', 'report', id, '--for', 'ico', '--json'])
    expect(json.code).toBe(0)
    const r = JSON.parse(json.stdout) as {
      missing: unknown[]
      decision: {notifiable: boolean}
      sections: {title: string; fields: {key: string; value: unknown; from?: {step: string}}[]}[]
      clocks: {name: string; outcome: string}[]
    }
    expect(r.missing).toEqual([])
    expect(r.decision.notifiable).toBe(true)
    const art33 = r.sections.find((s) => s.title === 'UK GDPR Art. 33(3)')!
    expect(Object.fromEntries(art33.fields.map((f) => [f.key, f.value]))).toEqual(FACTS)
    expect(art33.fields.every((f) => f.from?.step === 'assess')).toBe(true)
    expect(r.clocks).toMatchObject([{name: 'ico_72h', outcome: 'on_time'}])
  })

  it('not notifiable: the ico clock is not_required with the reasoning in the JSON export and the report', async () => {
    const id = await walked('not-notifiable', {likelihood: 2, impact: 3, facts: FACTS, notifiable: false})
    const exp = await cli(['incident', 'export', id, '--format', 'json'])
    expect(exp.code, exp.stderr).toBe(0)
    const doc = JSON.parse(exp.stdout) as {
      clocks: {name: string; outcome: string; reason: string | null}[]
      events: {type: string; data: Record<string, unknown>}[]
    }
    const ico = doc.clocks.find((c) => c.name === 'ico_72h')!
    expect(ico.outcome).toBe('not_required')
    expect(ico.reason).toContain(
      'DSPT grid: likelihood 2 (not likely, label unverified) × impact 3 (adverse, label unverified) is below the ICO threshold',
    )
    expect(ico.reason).toContain('Graded with the DPO: diagnoses disclosed outside the care team')
    expect(doc.events.find((e) => e.type === 'assessment_recorded')?.data).toMatchObject({
      decision: 'none',
      ico: {notifiable: false},
    })
    const md = await cli(['incident', 'export', id, '--format', 'md'])
    expect(md.stdout).toContain('not_required')
    expect(md.stdout).not.toMatch(/\bmet\b/)

    const report = await cli(['incident', 'report', id, '--for', 'ico'])
    expect(report.stdout).toContain('**Decision:** Not notifiable to the ICO: DSPT grid: likelihood 2')
    expect(report.stdout).toContain('keep this record with the breach log (Art. 33(5))')
    const verify = await cli(['incident', 'verify', id])
    expect(verify.code, verify.stdout + verify.stderr).toBe(0)
  })

  it('names each Art. 33(3) field still missing', async () => {
    const known = {breach_nature: FACTS.breach_nature, dpo_contact: FACTS.dpo_contact}
    const unknown = Object.fromEntries(
      ART33_FACTS.filter((f) => !(f.name in known)).map((f) => [f.name, f.type === 'integer' ? null : '']),
    )
    const id = await walked('missing', {
      likelihood: 4,
      impact: 4,
      facts: {...known, ...unknown},
      notifiable: true,
      awareAt: '80h ago',
    })
    const json = await cli(['incident', 'report', id, '--for', 'ico', '--json'])
    const r = JSON.parse(json.stdout) as {missing: {key: string; label: string; ref: string}[]}
    expect(r.missing.map((m) => m.key)).toEqual([
      'data_subject_categories',
      'data_subjects_approx',
      'record_categories',
      'records_approx',
      'likely_consequences',
      'measures_taken',
    ])
    expect(r.missing[1]).toEqual({
      key: 'data_subjects_approx',
      label: 'Approximate number of data subjects concerned',
      ref: 'Art. 33(3)(a)',
    })
    const md = await cli(['incident', 'report', id, '--for', 'ico'])
    expect(md.stdout).toContain('**Still missing (6):**')
    expect(md.stdout).toContain(
      '- Art. 33(3)(d) Measures taken or proposed to address the breach and mitigate its possible adverse effects (`measures_taken`)',
    )
    expect(md.stdout).toContain('| Art. 33(3)(a): Approximate number of data subjects concerned | **missing** |')
    expect(md.stdout).toMatch(/\| Clock \| late/)
    expect(md.stdout).toContain(
      'The ICO clock is late: a notification made after 72 hours must give the reasons for the delay (Art. 33(1)).',
    )
  })

  it('says plainly when nothing was assessed, and for nis when the operator is not an OES', async () => {
    const open = await cli(['incident', 'open', '--title', 'Not walked', '--json'])
    const id = String((JSON.parse(open.stdout) as {id: number}).id)
    const r = JSON.parse((await cli(['incident', 'report', id, '--for', 'dspt', '--json'])).stdout) as {
      decision: {notifiable: null; text: string}
      missing: {key: string}[]
    }
    expect(r.decision).toEqual({notifiable: null, text: 'Not assessed yet: no assessment step has been completed.'})
    expect(r.missing.map((m) => m.key)).toEqual(['assessment', 'ico_72h', ...ART33_FACTS.map((f) => f.name)])

    const nisOpen = await cli([
      'incident',
      'open',
      '--title',
      'NHS App outage',
      '--playbook',
      path.join('test', 'fixtures', 'playbooks', 'assessment', 'both.yaml'),
      '--json',
    ])
    const nisId = String((JSON.parse(nisOpen.stdout) as {id: number}).id)
    const file = path.join(tmp.dir, 'nis.yaml')
    fs.writeFileSync(
      file,
      `aware: {aware_at: now}\nassess: {dspt_likelihood: 1, dspt_impact: 1, nis_oes: false, assessment_reasoning: "NHS England national service, not a designated OES"}\nvars: {breach_nature: "", data_subject_categories: "", data_subjects_approx: null, record_categories: "", records_approx: null, dpo_contact: "", likely_consequences: "", measures_taken: ""}\nnot-required: {}\n`,
    )
    const walk = await cli(['incident', 'respond', nisId, '--answers', file])
    expect(walk.code, walk.stderr).toBe(0)
    const nis = await cli(['incident', 'report', nisId, '--for', 'nis'])
    expect(nis.stdout).toContain(
      '**Decision:** NIS notification not required: the operator is not a designated operator of essential services (OES), so NIS incident reporting does not apply.',
    )
    expect(nis.stdout).toContain('| NIS Regulations 2018: Designated operator of essential services (OES) | no |')
    expect(nis.stdout).not.toContain('Significant impact on the continuity')
    const bad = await cli(['incident', 'report', id, '--for', 'cqc'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('Expected --for=cqc to be one of: ico, dspt, nis, alert')
  })
})

describe('incident report --for alert', () => {
  const tmp = tmpDir()
  const db = path.join(tmp.dir, 'wk.sqlite')
  const cli = (args: string[]) => runCli([...args, '--db', db], {env: {WATCHKEEPER_ACTOR: 'cyber-lead'}})
  afterAll(() => tmp.cleanup())

  it('pre-fills the alert response and names what is still missing', async () => {
    const open = await cli([
      'incident',
      'open',
      '--title',
      'CC-4686 SonicWall SSL-VPN',
      '--playbook',
      'cyber-alert-high-severity',
      '--json',
    ])
    const id = String((JSON.parse(open.stdout) as {id: number}).id)
    for (const args of [
      ['receive', '--done', '--var', 'issued_at=6h ago', '--var', 'alert_ref=cc-4686'],
      ['acknowledge', '--done'],
      ['applicability', '--var', 'applicable=yes'],
    ]) {
      const r = await cli(['incident', 'step', id, ...args])
      expect(r.code, r.stderr).toBe(0)
    }

    const md = await cli(['incident', 'report', id, '--for', 'alert'])
    expect(md.code, md.stderr).toBe(0)
    expect(md.stdout).toContain(
      '**To:** NHS England, through the Respond to an NHS cyber alert service (digital.nhs.uk/services/respond-to-an-nhs-cyber-alert)',
    )
    expect(md.stdout).toContain('| Alert reference (e.g. cc-4686) | cc-4686 |')
    expect(md.stdout).toContain('**Still missing (1):**\n\n- Affected systems and their owners (`affected_assets`)')
    expect(md.stdout).toContain('| Remediation finished | not recorded |')
    const r = JSON.parse((await cli(['incident', 'report', id, '--for', 'alert', '--json'])).stdout) as {
      clocks: {name: string; outcome: string; startedAt: string; dueAt: string}[]
    }
    const alert = r.clocks.find((c) => c.name === 'nhs_alert_48h')!
    expect(alert.outcome).toBe('running')
    expect(Date.parse(alert.dueAt) - Date.parse(alert.startedAt)).toBe(48 * 3_600_000)
    expect(r.clocks.map((c) => c.name)).toContain('nhs_alert_update_3d')
  })
})

describe('notificationReport (pure)', () => {
  const T = Date.UTC(2026, 5, 1, 9)
  let seq = 0
  const ev = (type: string, data: Record<string, unknown>, at = T) => ({
    incidentId: 1,
    seq: ++seq,
    occurredAt: at,
    recordedAt: at,
    actor: 't',
    type,
    data,
    prevHash: '',
    hash: '',
  })
  const summary = {
    id: 1,
    title: 'NHS App unavailable',
    severity: 'SEV1',
    state: 'active',
    service: 'NHS App',
    openedAt: T,
  }

  it('leaves out the ICO parts of a DSPT report when only NIS was assessed', async () => {
    const {notificationReport} = await import('../../src/incidents/notification.js')
    const events = [
      ev('clock_started', {name: 'nis_72h', dueAt: T + 72 * 3_600_000, warnBeforeMs: []}),
      ev('variable_recorded', {name: 'nis_oes', value: true, step: 'nis'}),
      ev('variable_recorded', {name: 'nis_significant_impact', value: true, step: 'nis'}),
      ev('assessment_recorded', {
        step: 'nis',
        decision: 'nis',
        reasoning: 'national outage for 6 hours',
        unverified: [],
        nis: {
          notifiable: true,
          clock: 'nis_72h',
          because: 'a designated OES with significant impact on the continuity of the essential service',
          oes: true,
          significantImpact: true,
        },
      }),
    ]
    const r = notificationReport(summary, events as never, 'dspt', T + 3_600_000)
    expect(r.decision).toEqual({notifiable: true, text: 'Notifiable to DHSC (NIS).'})
    expect(r.sections.map((s) => s.title)).toEqual(['Incident', 'Timing', 'NIS', 'References'])
    expect(r.missing).toEqual([])
    expect(r.sections.find((s) => s.title === 'NIS')?.fields.find((f) => f.key === 'assessment_reasoning')?.value).toBe(
      'national outage for 6 hours',
    )
    expect(r.clocks).toMatchObject([{name: 'nis_72h', outcome: 'running'}])
  })
})
