import {SMTPServer, type SMTPServerOptions} from 'smtp-server'

import {issueCert} from './certs.js'

export interface ReceivedMail {
  from: string
  to: string[]
  raw: string
  /** Whether the session was upgraded with STARTTLS before the message. */
  secure: boolean
  user?: string
}

export interface SmtpReceiver {
  port: number
  /** PEM of the CA that signed the server's certificate. */
  ca: string
  mails: ReceivedMail[]
  auths: {user: string; secure: boolean}[]
  close(): Promise<void>
}

/**
 * A real SMTP server on 127.0.0.1 (smtp-server) with STARTTLS on a generated certificate and AUTH PLAIN/LOGIN
 * for `user`/`password`. `starttls: false` disables the STARTTLS command (a relay without TLS).
 */
export async function smtpReceiver(
  opts: {user?: string; password?: string; starttls?: boolean; reply?: () => Error | undefined} = {},
): Promise<SmtpReceiver> {
  const leaf = await issueCert({hosts: ['localhost', '127.0.0.1']})
  const mails: ReceivedMail[] = []
  const auths: {user: string; secure: boolean}[] = []
  const starttls = opts.starttls ?? true
  const options: SMTPServerOptions = {
    key: leaf.key,
    cert: leaf.fullchain,
    logger: false,
    banner: 'watchkeeper test relay',
    disabledCommands: starttls ? [] : ['STARTTLS'],
    authOptional: !opts.user,
    allowInsecureAuth: !starttls,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, session, cb) {
      auths.push({user: auth.username ?? '', secure: session.secure})
      if (auth.username === opts.user && auth.password === opts.password) return cb(null, {user: auth.username})
      return cb(Object.assign(new Error('Invalid username or password'), {responseCode: 535}))
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const refuse = opts.reply?.()
        if (refuse) return cb(refuse)
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: session.user as string | undefined,
        })
        cb()
      })
    },
  }
  const server = new SMTPServer(options)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = (server as unknown as {server: {address(): {port: number}}}).server.address()
  return {
    port: address.port,
    ca: leaf.ca,
    mails,
    auths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
