import fs from 'node:fs'

import type {Notification} from '../../types.js'
import type {EmailConfig} from './schema.js'
import {errorInfo} from '../../errors.js'
import {facts, plainText} from '../../format.js'
import {type AttemptResult, type Complain, envRefs, envValue, type NotifierProvider} from '../provider.js'

/** `tls:`: starttls, plain connection upgraded with STARTTLS, refused without it; tls, TLS from the first byte (465); optional, STARTTLS when offered. */
export const TLS_MODES = ['starttls', 'tls', 'optional'] as const

export interface EmailSettings {
  host: string
  port: number
  tls: (typeof TLS_MODES)[number]
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
  return subject.replaceAll(/[\r\n]+/g, ' ').slice(0, 200)
}

function html(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

const COLOUR: Record<Notification['severity'], string> = {
  crit: '#d5281b',
  warn: '#ffb81c',
  ok: '#007f3b',
  info: '#005eb8',
}

/** The HTML part: the title, the text and a table of facts; links for http(s) values only. */
export function emailHtml(n: Notification): string {
  const rows = facts(n).map(
    ([k, v]) =>
      `<tr><th align="left" style="padding:2px 12px 2px 0">${html(k)}</th><td>${/^https?:\/\/\S+$/.test(v) ? `<a href="${html(v)}">${html(v)}</a>` : html(v)}</td></tr>`,
  )
  return (
    `<!doctype html><html><body style="font-family:Arial,sans-serif">` +
    `<h2 style="border-left:6px solid ${COLOUR[n.severity]};padding-left:8px">${html(n.title)}</h2>` +
    `<p>${html(n.text).replaceAll('\n', '<br>')}</p><table>${rows.join('')}</table>` +
    `<p style="color:#4c6272;font-size:12px">Sent by watchkeeper${n.instance ? ` on ${html(n.instance)}` : ''}.</p></body></html>`
  )
}

// SMTP failures that will not go away by waiting: refused credentials, addresses, message, TLS.
const PERMANENT = new Set(['EAUTH', 'ENOAUTH', 'EENVELOPE', 'EMESSAGE', 'ETLS', 'EOAUTH2'])

/** SMTP AUTH credentials: `username` and `password` together, both from the environment, or neither. */
function credentials(
  config: EmailConfig,
  env: NodeJS.ProcessEnv,
  complain: Complain,
): Pick<EmailSettings, 'user' | 'userEnv' | 'password' | 'passwordEnv'> | undefined {
  const user =
    config.username === undefined
      ? undefined
      : envValue(config.username, 'username', env, complain, 'the SMTP user name of this notifier')
  const password =
    config.password === undefined
      ? undefined
      : envValue(config.password, 'password', env, complain, 'the SMTP password of this notifier')
  if ((config.username === undefined) !== (config.password === undefined)) {
    complain(
      config.username === undefined ? 'password' : 'username',
      'give username and password together (SMTP AUTH), or neither',
    )
    return undefined
  }

  if ((config.username !== undefined && !user) || (config.password !== undefined && !password)) return undefined
  return user && password
    ? {user: user.value, userEnv: user.name, password: password.value, passwordEnv: password.name}
    : {}
}

/** The PEM bundle of `ca_file:`, or a complaint. */
function readCa(file: string, complain: Complain): string | undefined {
  try {
    const ca = fs.readFileSync(file, 'utf8')
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it')
    return ca
  } catch (error) {
    complain('ca_file', `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`)
    return undefined
  }
}

export const emailProvider: NotifierProvider<EmailConfig, EmailSettings> = {
  type: 'email',
  schema: () => import('./schema.js'),
  parse(config, env, complain) {
    const auth = credentials(config, env, complain)
    const ca = config.ca_file === undefined ? undefined : readCa(config.ca_file, complain)
    if (!auth || (config.ca_file !== undefined && ca === undefined)) return undefined
    const tls = config.tls ?? 'starttls'
    return {
      host: config.host,
      port: config.port ?? (tls === 'tls' ? 465 : 587),
      tls,
      ...auth,
      from: config.from,
      to: config.to,
      subjectPrefix: config.subject_prefix ?? '[watchkeeper]',
      ...(ca && config.ca_file ? {ca, caFile: config.ca_file} : {}),
    }
  },
  from: (s) => `smtp://${s.host}:${s.port}${s.userEnv ? ` as ${envRefs(s.userEnv)}/${envRefs(s.passwordEnv)}` : ''}`,
  secrets: (s) => [s.password ?? '', s.user ?? ''].filter((x) => x.length >= 4),
  async send(s, n, ctx): Promise<AttemptResult> {
    // Loaded on first use: nothing else needs nodemailer, and `check validate` reads this file.
    const {default: nodemailer} = await import('nodemailer')
    const transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.tls === 'tls',
      requireTLS: s.tls === 'starttls',
      opportunisticTLS: s.tls === 'optional',
      ...(s.user ? {auth: {user: s.user, pass: s.password}} : {}),
      tls: {minVersion: 'TLSv1.2', ...(s.ca ? {ca: s.ca} : {})},
      connectionTimeout: ctx.timeoutMs,
      greetingTimeout: ctx.timeoutMs,
      socketTimeout: ctx.timeoutMs,
    })
    const onAbort = () => transport.close()
    ctx.signal?.addEventListener('abort', onAbort, {once: true})
    try {
      const info = await transport.sendMail({
        from: s.from,
        to: s.to,
        subject: emailSubject(s, n),
        text: plainText(n),
        html: emailHtml(n),
        headers: {'X-Watchkeeper-Event': n.event},
      })
      const refused = (info.rejected ?? []).length
      if (refused > 0) return {ok: false, retryable: false, error: `${refused} recipient(s) refused: ${info.response}`}
      return {ok: true, retryable: false, detail: String(info.response ?? '')}
    } catch (error) {
      const e = errorInfo(error)
      const temporary =
        e.responseCode === undefined ? !PERMANENT.has(e.code ?? '') : e.responseCode >= 400 && e.responseCode < 500
      return {
        ok: false,
        retryable: temporary && !ctx.signal?.aborted,
        error: `${e.code ? e.code + ' ' : ''}${e.message.split('\n')[0]}`,
      }
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort)
      transport.close()
    }
  },
}
