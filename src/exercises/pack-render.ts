/** The evidence pack as Markdown and as one self-contained HTML file (no scripts, every string escaped). */
import type {TimelineEvent} from '../incidents/chain.js'
import type {ExercisePack, Measure} from './report.js'
import {esc} from '../exporters/html.js'
import {mdCell} from '../exporters/markdown.js'
import {describeEvent} from '../incidents/describe.js'
import {formatUtc} from '../incidents/time.js'
import {formatDuration} from '../util/duration.js'

const dur = (ms: number | null) => (ms === null ? '-' : ms < 1000 ? `${ms} ms` : formatDuration(ms))
const met = (m: boolean | null) => (m === null ? '-' : m ? 'met' : 'MISSED')
const at = (t: string | null) => (t === null ? '-' : formatUtc(Date.parse(t)))

function measure(m: Measure): string {
  return `${dur(m.realMs)} real, ${dur(m.scenarioMs)} in scenario time${m.expected ? `; expected within ${m.expected}: ${met(m.met)}` : ''}`
}

interface Table {
  head: string[]
  rows: unknown[][]
}

interface Section {
  title: string
  text?: string[]
  table?: Table
}

/** The exercise at a glance: scenario, scale, when it ran, its incident and the two headline measures. */
function summary(p: ExercisePack): Section {
  const e = p.exercise
  return {
    title: 'Summary',
    table: {
      head: ['', ''],
      rows: [
        ['Scenario', `${e.title} (${e.scenario}, SHA-256 ${e.scenarioSha256.slice(0, 16)}…)`],
        ['Exercise type (NHS EPRR)', `${e.exerciseType}: ${e.eprr}`],
        ['Playbook', e.playbook],
        [
          'Compression',
          `${e.compression}× (72 h of clock ran in ${formatDuration(Math.round((72 * 3_600_000) / e.compression))})`,
        ],
        ['Ran', `${at(e.startedAt)} to ${at(e.endedAt)}${e.endReason ? ` (${e.endReason})` : ''}`],
        [
          'Exercise incident',
          `${p.incident.id}: ${p.incident.title}, opened ${at(p.incident.openedAt)} by ${p.incident.openedBy}`,
        ],
        ['Time to detect', `${measure(p.detection)}${p.detection.checkId ? ` (check ${p.detection.checkId})` : ''}`],
        [
          'Time to declare',
          `${measure(p.declaration)}${p.declaration.by ? ` (${p.declaration.by}: ${p.declaration.how})` : ''}`,
        ],
        ['Test channels', e.testChannels.length > 0 ? e.testChannels.join(', ') : 'none (every notifier blocked)'],
      ],
    },
  }
}

/** Each clock at both scales: the compressed exercise length and what it stands for in real time. */
function clocks(p: ExercisePack): Section {
  return {
    title: 'Clocks (compressed and real scale)',
    table: {
      head: [
        'Clock',
        'To',
        'Outcome',
        'Length (exercise)',
        'Length (real)',
        'Used (exercise)',
        'Used (real scale)',
        'Started',
        'Due',
        'Stopped',
        'Expected',
      ],
      rows: p.clocks.map((c) => [
        c.name,
        c.to ?? '',
        c.outcome,
        dur(c.durationMs),
        dur(c.realDurationMs),
        dur(c.usedMs),
        dur(c.usedRealScaleMs),
        at(c.startedAt),
        at(c.dueAt),
        at(c.stoppedAt),
        c.expected ? `${c.expected}: ${met(c.met)}` : met(c.met),
      ]),
    },
  }
}

/** Every inject, when it was released, and the responses it drew (with what a good answer covers). */
function injects(p: ExercisePack): Section {
  return {
    title: 'Injects and responses',
    table: {
      head: ['Inject', 'Kind', 'At', 'Released (UTC)', 'Text', 'For', 'Responses'],
      rows: p.injects.map((i) => [
        i.id,
        i.kind + (i.fault ? ` (${i.fault} on ${i.target})` : i.target ? ` (${i.target})` : ''),
        i.at,
        at(i.releasedAt),
        i.text ?? 'not released',
        i.to.join(', '),
        [
          ...i.responses.map((r) => `${r.actor}${r.role ? ` (${r.role})` : ''} at ${at(r.at)}: ${r.text}`),
          ...(i.expects ? [`A good answer covers: ${i.expects}`] : []),
        ].join(' / '),
      ]),
    },
  }
}

/** The pack's sections in order, shared by the Markdown and the HTML. */
function sections(p: ExercisePack): Section[] {
  return [
    summary(p),
    {
      title: 'Participants and roles',
      table: {
        head: ['Name', 'Role', 'Organisation', 'Events', 'Steps completed', 'Decisions'],
        rows: p.participants.map((x) => [x.name, x.role, x.organisation ?? '', x.events, x.steps, x.decisions]),
      },
    },
    {
      title: 'Expectations',
      table: {
        head: ['What', 'Expected', 'Actual', 'Outcome'],
        rows: p.expectations.map((x) => [x.what, x.expected, x.actual, met(x.met)]),
      },
    },
    clocks(p),
    {
      title: 'Decisions',
      table: {
        head: ['#', 'Time (UTC)', 'Scenario time', 'Who', 'Role', 'Decision'],
        rows: p.decisions.map((x) => [x.seq, at(x.at), x.offset, x.actor, x.role ?? '', x.text]),
      },
    },
    injects(p),
    {
      title: 'Lessons-learned actions',
      table: {
        head: ['Action', 'Owner', 'Due', 'CAF', 'Recorded by'],
        rows: p.actions.map((a) => [a.text, a.owner, a.due, a.caf ?? '', `${a.recordedBy} at ${at(a.at)}`]),
      },
    },
    {
      title: 'What this pack evidences',
      table: {
        head: ['Framework', 'Ref', 'Outcome', 'Evidence'],
        rows: p.assurance.map((a) => [a.framework, a.ref, a.title, a.evidence]),
      },
    },
    {title: 'Sources of the scenario', text: p.exercise.sources.map((s) => `${s.title}: ${s.url}`)},
  ]
}

export function packMarkdown(p: ExercisePack, events: readonly TimelineEvent[], head: string): string {
  const L: string[] = [
    `# EXERCISE evidence pack: ${mdCell(p.exercise.title)}`,
    '',
    `> **EXERCISE** ${p.exercise.id}: a rehearsal against a simulated estate. Nothing here happened to a real service.`,
    '',
  ]
  for (const s of sections(p)) {
    L.push(`## ${s.title}`, '')
    if (s.table) {
      if (s.table.rows.length === 0) L.push('None.', '')
      else
        L.push(
          `| ${s.table.head.map(mdCell).join(' | ')} |`,
          `|${s.table.head.map(() => '---').join('|')}|`,
          ...s.table.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
          '',
        )
    }

    for (const t of s.text ?? []) L.push(`- ${mdCell(t)}`)
    if (s.text) L.push('')
  }

  L.push(
    '## Timeline',
    '',
    '| # | Time (UTC) | Actor | Event |',
    '|---|---|---|---|',
    ...events.map(
      (e) => `| ${e.seq} | ${formatUtc(e.occurredAt)} | ${mdCell(e.actor)} | ${mdCell(describeEvent(e))} |`,
    ),
    '',
    `Chain head \`${head}\` over ${events.length} events. The JSON pack (\`watchkeeper exercise report ${p.exercise.id} --format json\`) verifies offline with \`watchkeeper exercise verify FILE\` or \`watchkeeper incident verify --file FILE\`.`,
    '',
  )
  return L.join('\n')
}

export function packHtml(p: ExercisePack, events: readonly TimelineEvent[], head: string): string {
  const table = (t: Table) =>
    t.rows.length === 0
      ? '<p>None.</p>'
      : `<table><thead><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`
  const body = sections(p)
    .map(
      (s) =>
        `<h2>${esc(s.title)}</h2>\n${s.table ? table(s.table) : ''}${s.text ? `<ul>${s.text.map((t) => `<li>${esc(t)}</li>`).join('')}</ul>` : ''}`,
    )
    .join('\n')
  return `<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`EXERCISE evidence pack: ${p.exercise.title}`)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:2rem;color:#212b32;max-width:1200px}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d8dde0}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #d8dde0;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f4f5}.banner{background:#ffeb3b;padding:.5rem 1rem;font-weight:bold}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
</style>
</head>
<body>
<h1 id="title">${esc(`EXERCISE evidence pack: ${p.exercise.title}`)}</h1>
<p class="banner">EXERCISE ${esc(p.exercise.id)}: a rehearsal against a simulated estate. Nothing here happened to a real service.</p>
${body}
<h2>Timeline</h2>
${table({head: ['#', 'Time (UTC)', 'Actor', 'Event'], rows: events.map((e) => [e.seq, formatUtc(e.occurredAt), e.actor, describeEvent(e)])})}
<p>Chain head <span class="mono">${esc(head)}</span> over ${events.length} events. Verify the JSON pack with <code>watchkeeper exercise verify FILE</code>.</p>
</body>
</html>
`
}
