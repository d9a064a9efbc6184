/**
 * Untrusted text (incident titles and notes pasted from a phishing mail, summaries and banners from
 * monitored services) rendered for a terminal or a plain-text export. Every C0 and C1 control, DEL,
 * ESC, and the Unicode line separators and bidirectional overrides ("Trojan Source") are shown
 * visibly as `\x1b`, `\u202e`…, so no text can set the window title, clear the screen, move the
 * cursor, write the clipboard (OSC 52), overwrite a line with CR or reorder what a reader sees.
 * Tab is shown too; newline is kept only in multi-line text.
 */

// C0 but LF, DEL, C1, LS/PS, bidi embeddings/overrides/isolates, and the implicit marks.
const CONTROLS = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g

const IS_CONTROL = new RegExp(CONTROLS.source)
const NAMED: Record<string, string> = {'\t': String.raw`\t`, '\n': String.raw`\n`, '\r': String.raw`\r`}

function visible(c: string): string {
  const code = c.charCodeAt(0)
  return (
    NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
  )
}

/** Untrusted text made safe to print: one line unless `multiline` (then CRLF and LF stay line breaks). */
export function termText(value: unknown, opts: {multiline?: boolean} = {}): string {
  const s = value === undefined || value === null ? '' : String(value)
  const text = opts.multiline ? s.replaceAll('\r\n', '\n') : s
  return text.replaceAll(CONTROLS, visible).replaceAll('\n', opts.multiline ? '\n' : String.raw`\n`)
}

/** Our own colour codes (SGR, `ESC [ … m`). */
const SGR = /\u001B\[[0-9;]*m/y

/**
 * For cells and lines that mix our colours with text: every control but the SGR colour sequences is
 * shown visibly. A guard for text a caller forgot to pass through termText; it lets colours through.
 */
export function guardStyled(s: string, opts: {multiline?: boolean} = {}): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === '\u001B') {
      SGR.lastIndex = i
      const m = SGR.exec(s)
      if (m) {
        out += m[0]
        i += m[0].length - 1
        continue
      }
    }

    out += IS_CONTROL.test(c) || (c === '\n' && !opts.multiline) ? visible(c) : c
  }

  return out
}
