/**
 * Redaction of secrets (the values `${env:…}` filled in) by meaning, not by bytes. A secret reaches text
 * in many spellings: raw, percent-encoded by URL parsing (query, path, fragment, encodeURIComponent,
 * either hex case), form-encoded (`+` for a space), base64 and base64url (also inside a longer encoded
 * run, such as a Basic credential), JSON-escaped (once or twice, and with non-ASCII as \uXXXX), and cut short where an
 * error quotes only the start (`"k3y-that-m"...`) or a message is truncated. Every spelling becomes `***`.
 */

export const REDACTED = '***'

/** Secrets shorter than this are not redacted: replacing two letters everywhere would garble all output. */
const MIN_SECRET = 3
/** Shortest fragment of a cut-off secret, and shortest base64 run, that is still recognised. */
const MIN_FRAGMENT = 6

function escapeRegExp(s: string): string {
  return s.replaceAll(/[.*+?^${}()|[\]\\/-]/g, String.raw`\$&`)
}

function tryForm(f: () => string): string[] {
  try {
    return [f()]
  } catch {
    return []
  }
}

/** The runs of base64 every encoding of text containing `secret` holds, whatever the secret's byte offset. */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const out: string[] = []
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64')
    // Characters whose 6 bits all come from the secret's bytes.
    const core = b64.slice(Math.ceil((8 * pad) / 6), Math.floor((8 * (pad + bytes.length)) / 6))
    if (core.length >= MIN_FRAGMENT) out.push(core, core.replaceAll('+', '-').replaceAll('/', '_'))
  }

  return out
}

/** Every spelling of a secret this module knows, longest first. */
export function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1)
  const ascii = (upper: boolean) =>
    json.replaceAll(/[\u0080-\uFFFF]/g, (c) => {
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0')
      return String.raw`\u` + (upper ? hex.toUpperCase() : hex)
    })
  const percent = [
    encodeURIComponent(secret),
    ...tryForm(() => encodeURI(secret)),
    ...tryForm(() => new URL('http://h/?' + secret).search.slice(1)),
    ...tryForm(() => new URL('http://h/' + secret).pathname.slice(1)),
    ...tryForm(() => new URL('http://h/#' + secret).hash.slice(1)),
    new URLSearchParams({k: secret}).toString().slice(2),
  ]
  const forms = [
    secret,
    json,
    ascii(false),
    ascii(true),
    // Quoted again, as when a JSON-escaped value is shown inside another JSON string.
    ...[json, ascii(false), ascii(true)].map((j) => JSON.stringify(j).slice(1, -1)),
    ...percent,
    ...percent.map((p) => p.replaceAll(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())),
    ...base64Cores(secret),
  ]
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET).sort((a, b) => b.length - a.length)
}

/** `abcdef(?:g(?:h)?)?`: the form cut short after at least MIN_FRAGMENT characters (the whole form is matched before). */
function prefixPattern(form: string): string {
  const chars = [...form]
  return (
    chars.slice(0, MIN_FRAGMENT).map(escapeRegExp).join('') +
    chars.slice(MIN_FRAGMENT).reduceRight((rest, c) => `(?:${escapeRegExp(c)}${rest})?`, '')
  )
}

function suffixPattern(form: string): string {
  const chars = [...form]
  const tail = chars.slice(-MIN_FRAGMENT).map(escapeRegExp).join('')
  return chars.slice(0, -MIN_FRAGMENT).reduce((rest, c) => `(?:${rest}${escapeRegExp(c)})?`, '') + tail
}

const CUT = String.raw`["']?(?:\.\.\.|…)`

/** Redacts a fixed set of secrets; build one per set and reuse it. */
export class Redactor {
  private readonly forms: string[]
  private readonly fragments?: RegExp

  constructor(secrets: Iterable<string>) {
    const usable = [...new Set(secrets)].filter((s) => typeof s === 'string' && s.length >= MIN_SECRET)
    this.forms = [...new Set(usable.flatMap(secretForms))].sort((a, b) => b.length - a.length)
    const long = this.forms.filter((f) => [...f].length > MIN_FRAGMENT)
    if (long.length > 0) {
      // A form cut off where a message truncates it: before "...", "…" or the end; after them or the start.
      const cut = long.flatMap((f) => [
        `(?:${prefixPattern(f)})(?=${CUT}|$)`,
        `(?:(?<=^|${CUT})(?:${suffixPattern(f)}))`,
      ])
      this.fragments = new RegExp(cut.join('|'), 'g')
    }
  }

  get empty(): boolean {
    return this.forms.length === 0
  }

  text(s: string): string {
    if (this.forms.length === 0 || s.length === 0) return s
    let out = s
    for (const f of this.forms) if (out.includes(f)) out = out.split(f).join(REDACTED)
    return this.fragments ? out.replace(this.fragments, REDACTED) : out
  }

  /** Every string inside a value (object keys too), as a copy. */
  value<T>(v: T): T {
    if (this.forms.length === 0) return v
    const walk = (x: unknown): unknown => {
      if (typeof x === 'string') return this.text(x)
      if (Array.isArray(x)) return x.map(walk)
      if (x && typeof x === 'object' && !(x instanceof Date) && !Buffer.isBuffer(x))
        return Object.fromEntries(Object.entries(x).map(([k, y]) => [this.text(k), walk(y)]))
      return x
    }

    return walk(v) as T
  }
}

// A check keeps one secrets array for its life, so its redactor is built once.
const built = new WeakMap<readonly string[], Redactor>()
function redactorFor(secrets: readonly string[]): Redactor {
  let r = built.get(secrets)
  if (!r) built.set(secrets, (r = new Redactor(secrets)))
  return r
}

/** Replaces every spelling of every secret in the strings of a value with ***. */
export function redact<T>(value: T, secrets: readonly string[]): T {
  return secrets.length === 0 ? value : redactorFor(secrets).value(value)
}

export function redactText(text: string, secrets: readonly string[]): string {
  return secrets.length === 0 ? text : redactorFor(secrets).text(text)
}
