import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import type {NotifierConfig} from '../../../src/notify/types.js'
import {sendNotification} from '../../../src/notify/send.js'
import {smtpReceiver} from '../../helpers/smtp.js'
import {failing, incident, providerHarness} from './helpers.js'

const {dir, servers, one} = providerHarness()

describe('email over SMTP', () => {
  function emailNotifier(port: number, ca: string, extra = ''): NotifierConfig {
    const caFile = path.join(dir(), 'relay-ca.pem')
    fs.writeFileSync(caFile, ca)
    return one(
      `  mail:\n    type: email\n    host: localhost\n    port: ${port}\n    username: "\${env:SMTP_USER}"\n    password: "\${env:SMTP_PASSWORD}"\n` +
        `    from: watchkeeper@trust.nhs.net\n    to: [oncall@trust.nhs.net, duty@trust.nhs.net]\n    ca_file: ${caFile}\n    retries: 0\n${extra}`,
      {SMTP_USER: 'wk-relay', SMTP_PASSWORD: 'S3cret-relay-pw'},
    )
  }

  it('upgrades with STARTTLS, authenticates, and sends plain-text and HTML parts with a clear subject', async () => {
    const smtp = await smtpReceiver({user: 'wk-relay', password: 'S3cret-relay-pw'})
    servers.push(smtp)
    const n = emailNotifier(smtp.port, smtp.ca)
    expect(n.from).toBe(`smtp://localhost:${smtp.port} as \${env:SMTP_USER}/\${env:SMTP_PASSWORD}`)
    const out = await sendNotification(n, incident)
    expect(out).toMatchObject({ok: true, attempts: 1})
    expect(out.detail).toMatch(/^250/)
    expect(smtp.auths).toEqual([{user: 'wk-relay', secure: true}])
    const [mail] = smtp.mails
    expect(mail).toMatchObject({
      from: 'watchkeeper@trust.nhs.net',
      to: ['oncall@trust.nhs.net', 'duty@trust.nhs.net'],
      secure: true,
      user: 'wk-relay',
    })
    const raw = mail.raw.replaceAll(/=\r?\n/g, '').replaceAll(/\r?\n /g, ' ')
    expect(raw).toMatch(
      /^Subject: \[watchkeeper\] CRIT Incident #7 opened: NHS login authorize failing \(probe-leeds\)\r?$/m,
    )
    expect(raw).toMatch(/Content-Type: multipart\/alternative/)
    expect(raw).toMatch(/Content-Type: text\/plain/)
    expect(raw).toMatch(/Content-Type: text\/html/)
    expect(raw).toContain('Respond:')
    expect(raw).toContain('watchkeeper incident respond 7')
    expect(raw).toContain('<h2')
    expect(raw).not.toContain('S3cret-relay-pw')
  })

  it('refuses to send when STARTTLS is required and the server does not offer it; optional sends without', async () => {
    const smtp = await smtpReceiver({user: 'wk-relay', password: 'S3cret-relay-pw', starttls: false})
    servers.push(smtp)
    const out = await sendNotification(emailNotifier(smtp.port, smtp.ca), failing)
    expect(out).toMatchObject({ok: false, attempts: 1, retryable: false})
    expect(out.error).toMatch(/ETLS/)
    expect(smtp.mails).toEqual([])
    expect(smtp.auths).toEqual([])
    const plain = await smtpReceiver({starttls: false})
    servers.push(plain)
    const caFile = path.join(dir(), 'ca.pem')
    fs.writeFileSync(caFile, plain.ca)
    const n = one(
      `  relay: {type: email, host: 127.0.0.1, port: ${plain.port}, tls: optional, from: wk@trust.nhs.net, to: [ops@trust.nhs.net]}\n`,
      {},
    )
    expect(await sendNotification(n, failing)).toMatchObject({ok: true})
    expect(plain.mails[0].secure).toBe(false)
  })

  it('wrong credentials fail at once without the password in the error; a 4xx reply is retried', async () => {
    const smtp = await smtpReceiver({user: 'wk-relay', password: 'other-password'})
    servers.push(smtp)
    const out = await sendNotification(emailNotifier(smtp.port, smtp.ca), failing)
    expect(out).toMatchObject({ok: false, retryable: false})
    expect(out.error).toMatch(/EAUTH/)
    expect(out.error).not.toContain('S3cret-relay-pw')
    let busy = 1
    const flaky = await smtpReceiver({
      user: 'wk-relay',
      password: 'S3cret-relay-pw',
      reply: () => (busy-- > 0 ? Object.assign(new Error('Try again later'), {responseCode: 451}) : undefined),
    })
    servers.push(flaky)
    const n = emailNotifier(flaky.port, flaky.ca, '')
    expect(await sendNotification({...n, retries: 1}, failing, {backoffMs: 5})).toMatchObject({ok: true, attempts: 2})
    expect(flaky.mails.length).toBe(1)
  })
})
