/*
 * Shields-style flat badges: a grey label and a coloured message, text sized with textLength so it fits
 * whatever font the viewer has. Every string is escaped for XML.
 */

export function xmlEscape(s: string): string {
  // Characters XML 1.0 does not allow are dropped rather than written.

  return s
    .replaceAll(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
}

// Widths of Verdana 11 px (what shields.io measures with), by class of character; others take the wide value.
const NARROW = new Set("fijlrt!|.,:;'()[] ")
const WIDE = new Set('mwMW%@')
function width(text: string): number {
  let w = 0
  for (const ch of text) w += NARROW.has(ch) ? 3.9 : WIDE.has(ch) ? 10.5 : /[A-Z0-9]/.test(ch) ? 7.6 : 6.9
  return Math.ceil(w)
}

/** Colours with at least 4.5:1 contrast against white text. */
export const BADGE_COLOURS = {
  ok: '#1d7a35',
  degraded: '#8a5a00',
  failing: '#b3261e',
  maintenance: '#3f51b5',
  pending: '#5f6b73',
  unknown: '#6a1b9a',
  info: '#005eb8',
} as const
export type BadgeColour = keyof typeof BADGE_COLOURS

/** A badge saying `label: message`; the title and aria-label carry both words for screen readers. */
export function badgeSvg(label: string, message: string, colour: BadgeColour): string {
  const l = label.slice(0, 80)
  const m = message.slice(0, 40)
  const lw = width(l) + 10
  const mw = width(m) + 10
  const total = lw + mw
  const title = xmlEscape(`${l}: ${m}`)
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="${title}" viewBox="0 0 ${total} 20">` +
    `<title>${title}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${total}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${mw}" height="20" fill="${BADGE_COLOURS[colour]}"/>` +
    `<rect width="${total}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` +
    `<text x="${lw / 2}" y="14" textLength="${lw - 10}" lengthAdjust="spacingAndGlyphs">${xmlEscape(l)}</text>` +
    `<text x="${lw + mw / 2}" y="14" textLength="${mw - 10}" lengthAdjust="spacingAndGlyphs">${xmlEscape(m)}</text></g></svg>\n`
  )
}

/** A badge label: the name cut to 48 characters (with …), then what the badge says of it. */
export function badgeLabel(name: string, suffix = ''): string {
  const n = [...name]
  return (n.length > 48 ? n.slice(0, 47).join('') + '…' : name) + (suffix ? ` ${suffix}` : '')
}

/** The badge colour of an availability: green from 99.9 %, amber from 99 %, red below. */
export function uptimeColour(pct: number | null): BadgeColour {
  return pct === null ? 'pending' : pct >= 99.9 ? 'ok' : pct >= 99 ? 'degraded' : 'failing'
}

/** `99.95%`, `100%`, or `no data`. */
export function formatPercent(pct: number | null): string {
  if (pct === null) return 'no data'
  if (pct >= 100) return '100%'
  // Rounded down, so 99.9996 is not shown as 100%.
  const digits = pct >= 99.99 ? 3 : pct >= 10 ? 2 : 1
  return `${(Math.floor(pct * 10 ** digits) / 10 ** digits).toFixed(digits)}%`
}

export function formatMs(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`
}
