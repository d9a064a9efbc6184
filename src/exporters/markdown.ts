import type {ExportInput} from './input.js'
import {type TimelineEvent, verifyChain} from '../incidents/chain.js'
import {clockNotesText, clockOutcomeText} from '../incidents/clocks.js'
import {commandRunOf, exitText, EXPORT_OUTPUT_CAP, neutralise, outputExcerpt} from '../incidents/command-output.js'
import {DECISION_TYPES, describeEvent} from '../incidents/describe.js'
import {firstOf, type IncidentEvent, ofType, readable} from '../incidents/events.js'
import {formatLondon, formatUtc} from '../incidents/time.js'
import {quoteArg} from '../playbooks/engine.js'
import {termText} from '../ui/terminal-text.js'
import {formatDuration} from '../util/duration.js'

/** Text safe inside a Markdown table cell: no pipes, no line breaks, no raw HTML. */
export function mdCell(s: unknown): string {
  return termText(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('|', String.raw`\|`)
    .replaceAll(/\r?\n/g, ' ')
}

function mdText(s: unknown): string {
  return termText(s, {multiline: true}).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** Time spent in each severity while the incident was open (resolved/closed ends it). */
export function timeInSeverity(input: ExportInput): Record<string, number> {
  const out: Record<string, number> = {}
  let current: string | undefined
  let since = 0
  const end = input.summary.resolvedAt ?? input.summary.closedAt ?? input.now
  for (const e of readable(input.events)) {
    if (e.type === 'incident_opened') {
      current = e.data.severity
      since = e.occurredAt
    } else if (e.type === 'severity_changed' && current) {
      out[current] = (out[current] ?? 0) + (e.occurredAt - since)
      current = e.data.to
      since = e.occurredAt
    }
  }

  if (current) out[current] = (out[current] ?? 0) + Math.max(0, end - since)
  return out
}

/** Follow-ups: checklist items recorded as not done, and notes that start with "action:". */
export function actionItems(input: ExportInput): string[] {
  const out: string[] = []
  for (const e of readable(input.events)) {
    if (e.type === 'checklist_ticked' && e.data.done === false)
      out.push(`${String(e.data.text)} (not done at step ${String(e.data.step)})`)
    if (e.type === 'note' && /^\s*action:/i.test(e.data.text)) out.push(e.data.text.replace(/^\s*action:\s*/i, ''))
  }

  return out
}

/** London time beside the UTC time: the date only where it differs from the UTC date (a row need not say it twice). */
function londonBeside(ms: number): string {
  const london = formatLondon(ms)
  return london.slice(0, 10) === formatUtc(ms).slice(0, 10) ? london.slice(11) : london
}

/** A fence longer than any run of backticks in the text, so the text cannot close it (CommonMark 4.5). */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  return '`'.repeat(Math.max(3, longest + 1))
}

/** One command run: a transcript in a fenced block (no Markdown or HTML is read inside it), then its result. */
function commandBlock(e: TimelineEvent): string[] {
  const r = commandRunOf(e.data)
  const ex = outputExcerpt(r, EXPORT_OUTPUT_CAP)
  const body = [`$ ${neutralise(r.argv.map(quoteArg).join(' '))}`, ...ex.lines]
  const fence = fenceFor(body.join('\n'))
  return [
    `### ${formatUtc(e.occurredAt)} at step ${mdText(neutralise(String(e.data.step ?? '')))}`,
    '',
    `${fence}text`,
    ...body,
    fence,
    '',
    `**${mdText(exitText(r))}**${r.durationMs === undefined ? '' : ` in ${formatDuration(r.durationMs)}`}; ${r.outputBytes} bytes of output, SHA-256 \`${mdCell(r.outputSha256)}\`.` +
      (ex.cut ? ` Output cut: ${mdText(ex.cut)}` : ''),
  ]
}

type Lines = string[]

function header(input: ExportInput, events: readonly TimelineEvent[]): Lines {
  const {summary: s} = input
  const chain = verifyChain(events, s.id)
  const end = s.resolvedAt ?? s.closedAt
  const L: Lines = [`# Post-incident review: ${mdText(s.title)}`, '']
  if (s.exerciseId !== null && s.exerciseId !== undefined)
    L.push(
      `> **EXERCISE**: this record comes from exercise ${s.exerciseId}, a rehearsal against a simulated estate, not a real incident.`,
      '',
    )
  L.push('| | |', '|---|---|')
  L.push(`| Incident | ${s.id} |`, `| Severity | ${mdCell(s.severity)} |`, `| State | ${mdCell(s.state)} |`)
  if (s.service) L.push(`| Service | ${mdCell(s.service)} |`)
  L.push(`| Opened | ${formatUtc(s.openedAt)} (${formatLondon(s.openedAt)}) |`)
  if (s.resolvedAt) L.push(`| Resolved | ${formatUtc(s.resolvedAt)} (${formatLondon(s.resolvedAt)}) |`)
  if (s.closedAt) L.push(`| Closed | ${formatUtc(s.closedAt)} |`)
  if (end) L.push(`| Duration | ${formatDuration(end - s.openedAt)} |`)
  if (input.playbook) L.push(`| Playbook | ${mdCell(input.playbook.name)} (${mdCell(input.playbook.id)}) |`)
  L.push(
    `| Timeline | ${events.length} events, chain head \`${chain.head}\`${chain.ok ? '' : ' — **the chain does not verify**'} |`,
    '',
  )
  return L
}

function summarySection(input: ExportInput, events: readonly TimelineEvent[], typed: readonly IncidentEvent[]): Lines {
  const {summary: s} = input
  const L: Lines = ['## Summary', '']
  const evidence = ofType(typed, 'evidence_attached')
  // How long it took is in the table above (Duration) and under Resolution; the summary does not say it a third time.
  L.push(
    `Opened as ${mdText(s.severity)} by ${mdText(events[0]?.actor ?? 'unknown')}${s.service ? ` for ${mdText(s.service)}` : ''}; now ${mdText(s.state)}.`,
  )
  const [first] = evidence
  const last = evidence.at(-1)
  if (first && last) {
    const d = first.data
    L.push(
      '',
      `First evidence: check ${mdText(d.checkId)} was ${mdText(d.status)} at ${formatUtc(first.occurredAt)}: ${mdText(d.summary)}.` +
        (evidence.length > 1
          ? ` ${evidence.length - 1} more result${evidence.length > 2 ? 's were' : ' was'} attached as evidence, the last at ${formatUtc(last.occurredAt)} (see the timeline).`
          : ''),
    )
  }

  const walkEnd = firstOf(typed, 'walk_completed')
  if (input.playbook)
    L.push(
      '',
      walkEnd
        ? `The playbook walk reached its end at ${formatUtc(walkEnd.occurredAt)}.`
        : 'The playbook walk has not reached its end.',
    )
  L.push('')
  return L
}

function notesSection(typed: readonly IncidentEvent[]): Lines {
  const L: Lines = ['## What happened', '']
  const notes = ofType(typed, 'note').sort((a, b) => a.occurredAt - b.occurredAt || a.seq - b.seq)
  if (notes.length === 0) L.push('No scribe notes were recorded.')
  for (const e of notes) L.push(`- ${formatUtc(e.occurredAt)} — ${mdText(e.data.text)} (${mdText(e.actor)})`)
  L.push('')
  return L
}

function resolutionSection(input: ExportInput, typed: readonly IncidentEvent[]): Lines {
  const L: Lines = ['## Resolution', '']
  const milestones = (['active', 'mitigated', 'resolved', 'closed'] as const)
    .flatMap((st) => firstOf(typed, 'state_changed', (e) => e.data.to === st) ?? [])
    .map((e) => [e.data.to, e] as const)
  if (milestones.length === 0) L.push('The incident has not left triage.')
  else {
    L.push('| Milestone | Time (UTC) | Since opened |', '|---|---|---|')
    for (const [st, e] of milestones)
      L.push(`| ${st} | ${formatUtc(e.occurredAt)} | ${formatDuration(e.occurredAt - input.summary.openedAt)} |`)
  }

  L.push('')
  return L
}

function impactSection(input: ExportInput): Lines {
  const L: Lines = ['## Impact', '', '| Measure | Value |', '|---|---|']
  for (const [k, v] of Object.entries(timeInSeverity(input))) L.push(`| Time in ${mdCell(k)} | ${formatDuration(v)} |`)
  for (const c of input.summary.checks) {
    const rs = input.results.filter((r) => r.checkId === c)
    const bad = rs.filter((r) => r.status !== 'ok')
    L.push(
      `| Check ${mdCell(c)} | ${rs.length} results in the window, ${bad.length} not ok${bad.length > 0 ? ` (first ${formatUtc(bad[0].ts)}, last ${formatUtc(bad.at(-1)?.ts ?? 0)})` : ''} |`,
    )
  }

  L.push('')
  return L
}

function respondersSection(input: ExportInput): Lines {
  const L: Lines = ['## Responders', '']
  const roles = Object.entries(input.summary.roles)
  if (roles.length === 0) L.push('No roles were assigned.')
  else {
    L.push('| Role | Person |', '|---|---|')
    for (const [r, p] of roles) L.push(`| ${mdCell(input.playbook?.roles[r]?.name ?? r)} | ${mdCell(p)} |`)
  }

  L.push('')
  return L
}

function timelineSection(events: readonly TimelineEvent[]): Lines {
  const L: Lines = ['## Timeline', '', '| Time (UTC) | Europe/London | Event | Actor |', '|---|---|---|---|']
  for (const e of events) {
    const late = e.recordedAt - e.occurredAt > 60_000 ? ` _(recorded ${formatUtc(e.recordedAt)})_` : ''
    L.push(
      `| ${formatUtc(e.occurredAt)} | ${londonBeside(e.occurredAt)} | ${mdCell(describeEvent(e))}${late} | ${mdCell(e.actor)} |`,
    )
  }

  L.push('', '## Decisions', '')
  const decisions = events.filter((e) => DECISION_TYPES.has(e.type))
  if (decisions.length === 0) L.push('None recorded.')
  for (const e of decisions) L.push(`- ${formatUtc(e.occurredAt)} — ${mdText(describeEvent(e))} (${mdText(e.actor)})`)
  L.push('')
  return L
}

function clocksSection(input: ExportInput): Lines {
  const L: Lines = ['## Regulatory clocks', '']
  const {clocks} = input.summary
  if (clocks.length === 0) L.push('No clocks were started.')
  else {
    L.push(
      '| Clock | To | Basis | Started (UTC) | Due (UTC) | Stopped (UTC) | Outcome | Reasoning and corrections |',
      '|---|---|---|---|---|---|---|---|',
    )
    for (const c of clocks) {
      const outcome = clockOutcomeText(c, input.now)
      const strong = /^(late|overdue)/.test(outcome) ? `**${outcome}**` : outcome
      L.push(
        `| ${mdCell(c.name)} | ${mdCell(c.to)} | ${mdCell(c.basis)} | ${formatUtc(c.startedAt)} | ${formatUtc(c.dueAt)} | ${c.stoppedAt ? formatUtc(c.stoppedAt) : ''} | ${strong} | ${mdCell(clockNotesText(c).join(' · '))} |`,
      )
    }
  }

  L.push('')
  return L
}

function closingSections(input: ExportInput, events: readonly TimelineEvent[]): Lines {
  const L: Lines = []
  const commands = events.filter((e) => e.type === 'command_run')
  if (commands.length > 0) {
    L.push('## Commands run', '')
    for (const e of commands) L.push(...commandBlock(e), '')
  }

  L.push('## Action items', '')
  const actions = actionItems(input)
  if (actions.length === 0) L.push('None recorded (add them as notes starting "action:").')
  for (const a of actions) L.push(`- [ ] ${mdText(a)}`)
  L.push(
    '',
    '## Verification',
    '',
    `Recompute the chain with \`watchkeeper incident verify ${input.summary.id}\`, or offline from the JSON export with \`watchkeeper incident verify --file FILE\`. The head above must match.`,
    '',
  )
  return L
}

/** A post-incident review in the PagerDuty post-mortem shape. */
export function markdownExport(input: ExportInput): string {
  const {events} = input
  const typed = readable(events)
  return [
    ...header(input, events),
    ...summarySection(input, events, typed),
    ...notesSection(typed),
    ...resolutionSection(input, typed),
    ...impactSection(input),
    ...respondersSection(input),
    ...timelineSection(events),
    ...clocksSection(input),
    ...closingSections(input, events),
  ].join('\n')
}
