import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {clockRegistry} from '../../src/incidents/clock-load.js'
import {loadPlaybookRef} from '../../src/playbooks/load.js'
import {ORG_TYPES, type Playbook, type Step} from '../../src/playbooks/model.js'
import {ROOT} from '../helpers/cli.js'

/** The facts the shipped playbooks must hold (docs/incidents.md, "Shipped playbooks"). */
const dir = path.join(ROOT, 'playbooks')
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'))
const load = (id: string): Playbook => loadPlaybookRef(path.join(dir, `${id}.yaml`))
const text = (s: Step): string =>
  [s.name, s.description, ...(s.type === 'manual' ? (s.checklist ?? []) : [])].filter(Boolean).join('\n')
const step = (p: Playbook, id: string): Step => {
  const s = p.steps.find((x) => x.id === id)
  expect(s, `${p.id} has step ${id}`).toBeDefined()
  return s as Step
}

/** Every file under a folder (or the file itself), with its text. */
const texts = (...rel: string[]): [string, string][] =>
  rel.flatMap((r) => {
    const abs = path.join(ROOT, r)
    if (fs.statSync(abs).isFile()) return [[r, fs.readFileSync(abs, 'utf8')] as [string, string]]
    return fs
      .readdirSync(abs, {recursive: true, encoding: 'utf8'})
      .filter((f) => fs.statSync(path.join(abs, f)).isFile())
      .map((f) => [path.join(r, f), fs.readFileSync(path.join(abs, f), 'utf8')] as [string, string])
  })

describe('shipped playbook content', () => {
  it('ransomware: payment is never a decision, and the step says it is banned', () => {
    const p = load('ransomware-nhs-trust')
    for (const s of p.steps) {
      expect(text(s), s.id).not.toMatch(/board|position on (any )?ransom|encourage payment/i)
      if (s.type === 'decision')
        expect(`${s.name} ${s.if ?? ''} ${JSON.stringify(s.ask)}`, s.id).not.toMatch(/pay|ransom/i)
    }

    for (const v of Object.keys(p.variables)) expect(v).not.toMatch(/pay|ransom_decision/)
    const demand = text(step(p, 'ransom-demand'))
    expect(demand).toMatch(/Do not pay and do not engage/)
    expect(demand).toMatch(/banned from paying ransoms/)
    expect(demand).toMatch(/CSOC/)
    expect(p.description).toContain('22 July 2025')
  })

  it('ransomware: disks, memory and logs are preserved before the wipe; exfiltration is assumed; EPRR and harm review are steps', () => {
    const p = load('ransomware-nhs-trust')
    const evidence = step(p, 'preserve-evidence')
    expect(evidence.type === 'command' && [evidence.next, step(p, evidence.on_failure as string).next]).toEqual([
      'preserve-systems',
      'preserve-systems',
    ])
    expect(text(step(p, 'preserve-systems'))).toMatch(
      /memory and disk images[\s\S]*Secure Boundary log retention[\s\S]*180 days/,
    )
    expect(text(step(p, 'eradicate'))).toMatch(
      /Wipe and rebuild infected devices only once their disk and memory images and logs are preserved/,
    )
    expect(text(step(p, 'exfiltration'))).toMatch(
      /data theft as well as encryption until forensic evidence rules it out/,
    )
    expect(text(step(p, 'critical-incident'))).toMatch(
      /critical incident[\s\S]*ICB on-call and the NHS England regional on-call/,
    )
    expect(text(step(p, 'harm-review'))).toMatch(/170 harm incidents/)
  })

  it('Report Fraud, not Action Fraud; the CSOC, not the Data Security Centre', () => {
    for (const [f, t] of texts('playbooks', 'docs', 'README.md')) expect(t, f).not.toMatch(/Data Security Centre/i)
    for (const [f, t] of texts('playbooks')) {
      expect(t, f).not.toMatch(/Action Fraud/i)
      if (t.includes('0300 303 5222')) expect(t, f).toMatch(/National Cyber Security Operations Centre|CSOC/)
      expect(t, f).not.toMatch(/GOV\.UK\/REPORT-CYBER/)
    }

    expect(
      texts('playbooks')
        .map(([, t]) => t)
        .join('\n'),
    ).toContain('Report Fraud (0300 123 2040)')
  })

  it('Mail Check and Web Check appear only as retired services', () => {
    for (const [f, t] of texts('playbooks', 'checks', 'docs', 'README.md')) {
      if (/Mail Check|Web Check/.test(t))
        expect(t, f).toMatch(/retired (the Mail Check and Web Check services\s+)?on\s+31 March 2026/)
      expect(t, f).not.toMatch(/(use|run|see|checked with) (NCSC('s)? )?(Mail|Web) Check\b/i)
    }
  })

  it('NHS Digital only as the former name of NHS England Digital', () => {
    for (const [f, t] of texts('playbooks', 'checks')) {
      for (const m of t.matchAll(/NHS Digital(?! DNS)/g))
        expect(t.slice(Math.max(0, (m.index ?? 0) - 10), (m.index ?? 0) + 40), f).toMatch(
          /then NHS Digital, now NHS England|NHS England Digital/,
        )
    }
  })

  it('every playbook has sources, a review date and references by organisation type (CAF for trusts, 6.x for the rest)', () => {
    for (const f of files) {
      const p = load(f.replace('.yaml', ''))
      expect(p.sources?.length, p.id).toBeGreaterThan(0)
      for (const s of p.sources ?? []) expect(s.url, p.id).toMatch(/^https:\/\//)
      expect(p.review_by, p.id).toMatch(/^\d{4}-\d{2}-\d{2}$/)
      expect(p.references?.trust, p.id).toMatch(/CAF/)
      for (const org of ['icb', 'csu', 'alb'] as const)
        expect(p.references?.[org], `${p.id} ${org}`).toBe(p.references?.trust)
      expect(p.references?.default, p.id).toMatch(/DSPT (standard )?6|6\.\d\.\d/)
      expect(p.variables.org_type?.values, p.id).toEqual(Object.keys(ORG_TYPES))
      expect(p.variables.org_type?.external, p.id).toBe(true)
    }
  })

  it("supplier: the Advanced pattern, the processor's Art. 33(2) notice and the supplier charter", () => {
    const p = load('supplier-compromise')
    expect(p.description).toMatch(/Advanced[\s\S]*NHS 111/)
    expect(text(step(p, 'supplier-notice'))).toMatch(/Art\. 33\(2\)/)
    const charter = text(step(p, 'charter-check'))
    for (const c of [
      /patched and in support/,
      /Standards Met/,
      /MFA/,
      /24\/7/,
      /Immutable backups/,
      /Board-level exercising/,
      /Timely reporting/,
    ])
      expect(charter).toMatch(c)
    expect(p.sources?.map((s) => s.url)).toContain(
      'https://digital.nhs.uk/cyber-and-data-security/guidance-and-assurance/cyber-security-charter-for-suppliers-to-the-nhs',
    )
  })

  it('email spoofing: the NHSmail team, NCSC SERS and the NHS England DNS team', () => {
    const p = load('email-spoofing-dmarc')
    const report = text(step(p, 'report-samples'))
    expect(report).toMatch(/NHSmail team/)
    expect(report).toContain('report@phishing.gov.uk')
    expect(text(step(p, 'fix-records'))).toMatch(/request to the NHS England DNS team/)
  })

  it('certificates: CA-initiated revocation runs on the Baseline Requirements deadlines', () => {
    const p = load('tls-certificate-incident')
    expect(p.variables.cause.values).toEqual(expect.arrayContaining(['ca-revocation', 'ca-distrust']))
    // The clock definitions live in clocks/*.yaml (i8-clocks), not in the playbook.
    const defs = clockRegistry([])
    expect(defs.get('ca_revocation_24h')).toMatchObject({duration: 'PT24H', basis: expect.stringContaining('4.9.1.1')})
    expect(defs.get('ca_revocation_5d')).toMatchObject({duration: 'P5D', basis: expect.stringContaining('4.9.1.1')})
  })

  it('national endpoint: the NIS branch is reached only through the designated-OES question', () => {
    const p = load('ddos-national-endpoint')
    const into = p.steps.filter((s) => JSON.stringify(s).includes('"nis"') && s.id !== 'nis').map((s) => s.id)
    expect(into).toEqual(['oes'])
    expect(step(p, 'oes')).toMatchObject({type: 'decision', ask: 'nis_oes', then: 'nis', else: 'national-route'})
    expect(step(p, 'nis')).toMatchObject({type: 'assessment', assess: ['nis']})
  })
})
