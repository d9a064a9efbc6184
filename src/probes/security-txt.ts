/**
 * security.txt (RFC 9116) parsing and judgement, on the body and Content-Type already fetched.
 * Problems use the sectxt tool's vocabulary where one exists (see docs/posture.md).
 */

export interface SecurityTxt {
  fields: {name: string; value: string; line: number}[]
  contacts: string[]
  expires: string[]
  signed: boolean
  /** Line-level problems: not "Name: value", empty names or values. */
  errors: string[]
}

export type SecurityTxtProblem =
  | {kind: 'invalid_media'; detail: string}
  | {kind: 'invalid_charset'; detail: string}
  | {kind: 'not_text'; detail: string}
  | {kind: 'no_contact'}
  | {kind: 'no_expire'}
  | {kind: 'multi_expire'}
  | {kind: 'invalid_expiry'; detail: string}
  | {kind: 'expired'; detail: string}
  | {kind: 'expiring'; days: number}
  | {kind: 'long_expiry'; days: number}
  | {kind: 'invalid_line'; detail: string}
  | {kind: 'insecure_uri'; detail: string}

export function parseSecurityTxt(text: string): SecurityTxt {
  const out: SecurityTxt = {fields: [], contacts: [], expires: [], signed: false, errors: []}
  let body = text
  if (body.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) {
    out.signed = true
    const start = body.indexOf('\n\n')
    const end = body.indexOf('-----BEGIN PGP SIGNATURE-----')
    body = body.slice(start === -1 ? 0 : start + 2, end === -1 ? undefined : end).replaceAll(/^- /gm, '')
  }

  const lines = body.split(/\r?\n/)
  for (const [i, line] of lines.entries()) {
    const t = line.trim()
    if (t === '' || t.startsWith('#')) continue
    const m = /^([A-Za-z0-9-]*):(\s*)(.*)$/.exec(line)
    if (!m) {
      out.errors.push(`line ${i + 1}: not "Field: value"`)
      continue
    }

    if (!m[1]) out.errors.push(`line ${i + 1}: empty field name`)
    else if (m[3].trim()) {
      const name = m[1].toLowerCase()
      const value = m[3].trim()
      out.fields.push({name, value, line: i + 1})
      if (name === 'contact') out.contacts.push(value)
      if (name === 'expires') out.expires.push(value)
    } else {
      out.errors.push(`line ${i + 1}: empty value for ${m[1]}`)
    }
  }

  return out
}

const DAY = 86_400_000
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/** Judges a fetched security.txt; `now` is epoch ms. */
export function judgeSecurityTxt(
  body: Buffer,
  contentType: string | undefined,
  now: number,
  opts: {warnDays?: number} = {},
): {parsed?: SecurityTxt; problems: SecurityTxtProblem[]; expiresAt?: number} {
  const problems: SecurityTxtProblem[] = []
  const ct = (contentType ?? '').toLowerCase()
  const mime = ct.split(';')[0].trim()
  if (mime !== 'text/plain')
    problems.push({
      kind: 'invalid_media',
      detail: contentType ? `Content-Type is ${contentType.slice(0, 80)}` : 'no Content-Type',
    })
  const charset = /charset\s*=\s*"?([^";\s]+)/.exec(ct)?.[1]
  if (mime === 'text/plain' && charset && charset !== 'utf-8')
    problems.push({kind: 'invalid_charset', detail: `charset ${charset}`})
  // Binary content (NUL bytes, or not valid UTF-8) is not a policy file; stop there.
  const text = new TextDecoder('utf-8', {fatal: false}).decode(body)
  if (body.includes(0) || text.includes('\uFFFD')) {
    problems.push({kind: 'not_text', detail: 'the body is not UTF-8 text'})
    return {problems}
  }

  const parsed = parseSecurityTxt(text.replace(/^\uFEFF/, ''))
  for (const e of parsed.errors.slice(0, 5)) problems.push({kind: 'invalid_line', detail: e})
  if (parsed.contacts.length === 0) problems.push({kind: 'no_contact'})
  for (const c of parsed.contacts)
    if (/^http:/i.test(c)) problems.push({kind: 'insecure_uri', detail: `Contact ${c} is not https`})
  let expiresAt: number | undefined
  if (parsed.expires.length === 0) problems.push({kind: 'no_expire'})
  else {
    if (parsed.expires.length > 1) problems.push({kind: 'multi_expire'})
    const v = parsed.expires[0]
    const t = Date.parse(v)
    if (!ISO_8601.test(v) || Number.isNaN(t))
      problems.push({kind: 'invalid_expiry', detail: `Expires "${v.slice(0, 60)}" is not an RFC 3339 date-time`})
    else {
      expiresAt = t
      const days = (t - now) / DAY
      if (t <= now) problems.push({kind: 'expired', detail: `expired ${v}`})
      else if (days < (opts.warnDays ?? 30)) problems.push({kind: 'expiring', days: Math.floor(days)})
      else if (days > 366) problems.push({kind: 'long_expiry', days: Math.floor(days)})
    }
  }

  return {parsed, problems, ...(expiresAt === undefined ? {} : {expiresAt})}
}
