import fs from 'node:fs'
import nodemailer from 'nodemailer'

import {facts, plainText} from '../format.js'
import type {Notification} from '../types.js'
import {envRefSchema, envValue, type AttemptResult, type NotifierProvider} from './provider.js'

export interface EmailSettings {
  host: string
  port: number
  /** starttls: plain connection upgraded with STARTTLS, refused without it; tls: TLS from the first byte (465); optional: STARTTLS when offered. */
  tls: 'starttls' | 'tls' | 'optional'
  user?: string
  password?: string
  userEnv?: string
  passwordEnv?: string
  from: string
  to: string[]
  subjectPrefix: string
  /** PEM bundle trusted besides the system roots (a private relay's CA). */
  ca?: string
  caFile?: string
}

const SUBJECT_LABEL: Record<Notification['severity'], string> = {crit: 'CRIT', warn: 'WARN', ok: 'OK', info: 'INFO'}

/** "[watchkeeper] CRIT FAILING: NHS login authorize (probe-leeds)": severity first so mail rules can sort on it. */
export function emailSubject(s: Pick<EmailSettings, 'subjectPrefix'>, n: Notification): string {
  const subject = `${s.subjectPrefix ? s.subjectPrefix + ' ' : ''}${SUBJECT_LABEL[n.severity]} ${n.title}${n.instance ? ` (${n.instance})` : ''}`
  return subject.replace(/[\r\n]+/g, ' ').slice(0, 200)
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const COLOUR: Record<Notification['severity'], string> = {crit: '#d5281b', warn: '#ffb81c', ok: '#007f3b', info: '#005eb8'}

/** The HTML part: the title, the text and a table of facts; links for http(s) values only. */
export function emailHtml(n: Notification): string {
  const rows = facts(n).map(([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${html(k)}</th><td>${/^https?:\/\/\S+$/.test(v) ? `<a href="${html(v)}">${html(v)}</a>` : html(v)}</td></tr>`)
  return `<!doctype html><html><body style="font-family:Arial,sans-serif">` +
    `<h2 style="border-left:6px solid ${COLOUR[n.severity]};padding-left:8px">${html(n.title)}</h2>` +
    `<p>${html(n.text).replace(/\n/g, '<br>')}</p><table>${rows.join('')}</table>` +
    `<p style="color:#4c6272;font-size:12px">Sent by watchkeeper${n.instance ? ` on ${html(n.instance)}` : ''}.</p></body></html>`
}

const ADDRESS = '^[^\\s@<>,;]+@[^\\s@<>,;]+$'

// SMTP failures that will not go away by waiting: refused credentials, addresses, message, TLS.
const PERMANENT = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'EMESSAGE', 'ETLS', 'EOAUTH2'])

export const emailProvider: NotifierProvider<EmailSettings> = {
  type: 'email',
  description: 'email over SMTP (STARTTLS required by default), plain-text and HTML parts',
  properties: {
    host: {type: 'string', minLength: 1, description: 'SMTP server (submission) host name'},
    port: {type: 'integer', minimum: 1, maximum: 65_535, description: 'SMTP port (default 587; 465 with tls: tls)'},
    tls: {enum: ['starttls', 'tls', 'optional'], description: 'starttls (default: STARTTLS is required, the message is never sent in the clear), tls (TLS from the start, port 465) or optional (STARTTLS when offered; for a relay on a private network)'},
    username: envRefSchema('SMTP AUTH user name'),
    password: envRefSchema('SMTP AUTH password'),
    from: {type: 'string', pattern: ADDRESS, description: 'sender address'},
    to: {type: 'array', items: {type: 'string', pattern: ADDRESS}, minItems: 1, uniqueItems: true, description: 'recipient addresses'},
    subject_prefix: {type: 'string', maxLength: 50, description: 'put before every subject (default "[watchkeeper]")'},
    ca_file: {type: 'string', minLength: 1, description: 'PEM file of CA certificates to trust besides the system ones (a private relay)'},
  },
  required: ['host', 'from', 'to'],
  parse(raw, env, complain) {
    let ok = true
    const user = raw.username === undefined ? undefined : envValue(raw.username, 'username', env, complain, 'the SMTP user name of this notifier')
    const password = raw.password === undefined ? undefined : envValue(raw.password, 'password', env, complain, 'the SMTP password of this notifier')
    if ((raw.username === undefined) !== (raw.password === undefined)) {
      complain(raw.username === undefined ? 'password' : 'username', 'give username and password together (SMTP AUTH), or neither')
      ok = false
    }
    if ((raw.username !== undefined && !user) || (raw.password !== undefined && !password)) ok = false
    const tls = (raw.tls as EmailSettings['tls'] | undefined) ?? 'starttls'
    let ca: string | undefined
    if (typeof raw.ca_file === 'string') {
      try {
        ca = fs.readFileSync(raw.ca_file, 'utf8')
        if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it')
      } catch (error) {
        complain('ca_file', `cannot read ${raw.ca_file}: ${(error as Error).message}`)
        ok = false
      }
    }
    if (!ok) return undefined
    return {
      host: String(raw.host), port: (raw.port as number | undefined) ?? (tls === 'tls' ? 465 : 587), tls,
      ...(user && password ? {user: user.value, userEnv: user.name, password: password.value, passwordEnv: password.name} : {}),
      from: String(raw.from), to: raw.to as string[], subjectPrefix: (raw.subject_prefix as string | undefined) ?? '[watchkeeper]',
      ...(ca ? {ca, caFile: String(raw.ca_file)} : {}),
    }
  },
  from: (s) => `smtp://${s.host}:${s.port}${s.userEnv ? ` as \${env:${s.userEnv}}/\${env:${s.passwordEnv}}` : ''}`,
  secrets: (s) => [s.password ?? '', s.user ?? ''].filter((x) => x.length >= 4),
  async send(s, n, ctx): Promise<AttemptResult> {
    const transport = nodemailer.createTransport({
      host: s.host, port: s.port, secure: s.tls === 'tls', requireTLS: s.tls === 'starttls', opportunisticTLS: s.tls === 'optional',
      ...(s.user ? {auth: {user: s.user, pass: s.password}} : {}),
      tls: {minVersion: 'TLSv1.2', ...(s.ca ? {ca: s.ca} : {})},
      connectionTimeout: ctx.timeoutMs, greetingTimeout: ctx.timeoutMs, socketTimeout: ctx.timeoutMs,
    })
    const onAbort = () => transport.close()
    ctx.signal?.addEventListener('abort', onAbort, {once: true})
    try {
      const info = await transport.sendMail({from: s.from, to: s.to, subject: emailSubject(s, n), text: plainText(n), html: emailHtml(n),
        headers: {'X-Watchkeeper-Event': n.event}})
      const refused = (info.rejected ?? []).length
      if (refused > 0) return {ok: false, retryable: false, error: `${refused} recipient(s) refused: ${info.response}`}
      return {ok: true, retryable: false, detail: String(info.response ?? '')}
    } catch (error) {
      const e = error as Error & {code?: string; responseCode?: number; response?: string}
      const temporary = e.responseCode !== undefined ? e.responseCode >= 400 && e.responseCode < 500 : !PERMANENT.has(e.code ?? '')
      return {ok: false, retryable: temporary && !ctx.signal?.aborted, error: `${e.code ? e.code + ' ' : ''}${e.message.split('\n')[0]}`}
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort)
      transport.close()
    }
  },
}
