import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {Notification, NotifierConfig} from '../../src/notify/types.js'
import type {Clock} from '../../src/types.js'
import {NotificationDispatcher} from '../../src/notify/dispatcher.js'
import {PROVIDERS} from '../../src/notify/providers/index.js'
import {sendNotification} from '../../src/notify/send.js'
import {type DB, openDatabase} from '../../src/store/db.js'
import {deliveries} from '../../src/store/monitor.js'
import {tmpDir} from '../helpers/cli.js'
import {closedPort, startHttp} from '../helpers/servers.js'
import {FakeClock} from '../monitor/fake-clock.js'
import {webhookReceiver} from '../monitor/harness.js'

const SECRET_PATH = '/services/T000/B000/very-secret-token'

const failing: Notification = {
  event: 'failing',
  severity: 'crit',
  at: Date.UTC(2026, 10, 25, 9, 30),
  title: 'FAILING: NHS login authorize',
  instance: 'probe-leeds',
  text: 'failing after 3 failed results: HTTP 503 in 120 ms',
  check: {
    id: 'nhs-login-authorize',
    name: 'NHS login authorize',
    service: 'NHS login',
    target: 'https://auth.login.nhs.uk/authorize',
    state: 'failing',
    previous: 'ok',
  },
  resultId: 42,
}

function notifier(
  url: string,
  type: 'webhook' | 'slack' | 'teams',
  extra: Partial<NotifierConfig> = {},
): NotifierConfig {
  const provider = PROVIDERS.get(type)!
  const settings = provider.parse({type, url: '${env:HOOK}'}, {HOOK: url}, (key, message) => {
    throw new Error(`${key}: ${message}`)
  })
  return {
    name: `n-${type}`,
    type,
    provider,
    settings,
    from: '${env:HOOK}',
    events: null,
    minIntervalMs: 60_000,
    retries: 3,
    timeoutMs: 2000,
    expireMs: 86_400_000,
    ...extra,
  }
}

let tmp: {dir: string; cleanup: () => void}
let db: DB
beforeEach(() => {
  tmp = tmpDir('wk-notify-')
  db = openDatabase(path.join(tmp.dir, 'wk.db'))
})
afterEach(() => {
  db.close()
  tmp.cleanup()
})

describe('providers against a loopback receiver', () => {
  it('posts the generic JSON payload', async () => {
    const rx = await webhookReceiver()
    const out = await sendNotification(notifier(rx.url + SECRET_PATH, 'webhook'), failing)
    expect(out).toEqual({ok: true, attempts: 1, httpStatus: 200})
    expect(rx.received[0].path).toBe(SECRET_PATH)
    expect(rx.received[0].body).toEqual({
      source: 'watchkeeper',
      event: 'failing',
      severity: 'crit',
      title: failing.title,
      text: failing.text,
      at: '2026-11-25T09:30:00.000Z',
      check: failing.check,
      resultId: 42,
      instance: 'probe-leeds',
    })
    await rx.close()
  })

  it('retries 500s with backoff and succeeds; gives up on a 400 at once', async () => {
    const rx = await webhookReceiver([500, 503])
    expect(await sendNotification(notifier(rx.url + SECRET_PATH, 'slack'), failing, {backoffMs: 10})).toEqual({
      ok: true,
      attempts: 3,
      httpStatus: 200,
    })
    expect(rx.attempts).toBe(3)
    const bad = await webhookReceiver([400])
    const out = await sendNotification(notifier(bad.url + SECRET_PATH, 'slack'), failing, {backoffMs: 10})
    expect(out).toMatchObject({ok: false, attempts: 1, httpStatus: 400})
    await Promise.all([rx.close(), bad.close()])
  })
})

describe('NotificationDispatcher', () => {
  const clock = (): Clock & {t: number} => {
    const c = {t: Date.UTC(2026, 10, 25, 9, 0), now: () => c.t}
    return c
  }

  it('logs every delivery without the URL, and keeps an undelivered one in the outbox when the notifier is down', async () => {
    const port = await closedPort()
    const url = `http://127.0.0.1:${port}${SECRET_PATH}?token=abcdef123`
    const c = clock()
    const d = new NotificationDispatcher(
      db,
      new Map([['down', {...notifier(url, 'slack'), name: 'down', retries: 2}]]),
      {clock: c, backoffMs: 10},
    )
    expect(d.notify(failing, ['down'])).toBe(1)
    expect(deliveries(db)[0].status).toBe('pending')
    expect(await d.drain(5000)).toBe(true)
    const [row] = deliveries(db)
    expect(row).toMatchObject({
      notifier: 'down',
      provider: 'slack',
      event: 'failing',
      checkId: 'nhs-login-authorize',
      status: 'pending',
      attempts: 3,
      lastAttemptAt: c.t,
      expiresAt: c.t + 86_400_000,
    })
    // Waits 10 ms, 20 ms, then the outbox carries on with 40 ms (±20 %).
    expect(row.nextAttemptAt! - c.t).toBeGreaterThanOrEqual(32)
    expect(row.nextAttemptAt! - c.t).toBeLessThanOrEqual(48)
    expect(row.error).toMatch(/ECONNREFUSED/)
    d.stop()
    const everything = JSON.stringify(db.prepare('SELECT * FROM notifications').all())
    expect(everything).not.toContain('very-secret-token')
    expect(everything).not.toContain('abcdef123')
    expect(everything).not.toContain(String(port) + '/services')
  })

  it('refuses for good on a 4xx: failed at once, no later round', async () => {
    const rx = await webhookReceiver([400])
    const d = new NotificationDispatcher(db, new Map([['ops', {...notifier(rx.url, 'webhook'), name: 'ops'}]]), {
      clock: clock(),
      backoffMs: 10,
    })
    d.notify(failing, ['ops'])
    await d.drain(5000)
    expect(deliveries(db)[0]).toMatchObject({status: 'failed', attempts: 1, httpStatus: 400, nextAttemptAt: null})
    expect(d.backlog).toBe(0)
    await rx.close()
  })

  it('suppresses a repeat within min_interval, but not a changed message or a repeat after it', async () => {
    const rx = await webhookReceiver()
    const c = clock()
    const d = new NotificationDispatcher(db, new Map([['ops', {...notifier(rx.url, 'webhook'), name: 'ops'}]]), {
      clock: c,
    })
    d.notify(failing, ['ops'])
    c.t += 10_000
    d.notify(failing, ['ops'])
    c.t += 10_000
    d.notify(
      {...failing, event: 'recovered', severity: 'ok', check: {...failing.check!, state: 'ok', previous: 'failing'}},
      ['ops'],
    )
    c.t += 10_000
    d.notify(failing, ['ops'])
    c.t += 61_000
    d.notify(failing, ['ops'])
    await d.drain(5000)
    // A repeat is suppressed; after a different message, or once min_interval (60 s) has passed, it goes again.
    expect(deliveries(db).map((r) => `${r.event} ${r.status}`)).toEqual([
      'failing sent',
      'failing suppressed',
      'recovered sent',
      'failing sent',
      'failing sent',
    ])
    expect(rx.received.length).toBe(4)
    await rx.close()
  })

  it('sends only the events a notifier asks for', async () => {
    const rx = await webhookReceiver()
    const d = new NotificationDispatcher(
      db,
      new Map([['pager', {...notifier(rx.url, 'webhook'), name: 'pager', events: new Set(['incident' as const])}]]),
      {clock: clock()},
    )
    expect(d.notify(failing, ['pager'])).toBe(0)
    expect(
      d.notify({...failing, event: 'incident-opened', incident: {id: 7, title: 'NHS login down'}}, ['pager']),
    ).toBe(1)
    await d.drain(5000)
    expect(rx.received.map((r) => r.body.event)).toEqual(['incident-opened'])
    await rx.close()
  })

  it('never makes the caller wait for a slow notifier', async () => {
    const slow = await startHttp(() => {
      // never answers
    })
    const d = new NotificationDispatcher(
      db,
      new Map([['slow', {...notifier(slow.url, 'webhook'), name: 'slow', timeoutMs: 300, retries: 0}]]),
      {clock: clock()},
    )
    const t0 = performance.now()
    for (let i = 0; i < 50; i++) d.notify({...failing, check: {...failing.check!, id: `c${i}`}}, ['slow'])
    expect(performance.now() - t0).toBeLessThan(200)
    expect(d.backlog).toBe(50)
    d.stop()
    await slow.close()
  })

  it('retries from the outbox with backoff, in order, and gives up at expire_after', async () => {
    const rx = await webhookReceiver([503, 503, 503])
    const fake = new FakeClock()
    const outcomes: string[] = []
    const logs: string[] = []
    const d = new NotificationDispatcher(
      db,
      new Map([['ops', {...notifier(rx.url, 'webhook'), name: 'ops', retries: 0, expireMs: 3_600_000}]]),
      {
        clock: fake,
        timers: fake,
        backoffMs: 1000,
        onOutcome: (_, o) => outcomes.push(o),
        log: (level, m) => logs.push(`${level} ${m}`),
      },
    )
    d.notify(failing, ['ops'])
    d.notify({...failing, event: 'recovered', severity: 'ok', check: {...failing.check!, state: 'ok'}}, ['ops'])
    await d.drain(5000)
    expect(deliveries(db).map((r) => `${r.event} ${r.status} ${r.attempts}`)).toEqual([
      'failing pending 1',
      'recovered pending 0',
    ])
    await fake.advance(1300)
    await d.drain(5000)
    await fake.advance(2600)
    await d.drain(5000)
    expect(rx.attempts).toBe(3)
    await fake.advance(5000)
    await d.drain(5000)
    await d.drain(5000)
    // The recovery never overtakes the failure it resolves.
    expect(rx.received.map((r) => r.body.event)).toEqual(['failing', 'recovered'])
    expect(deliveries(db).map((r) => `${r.event} ${r.status} ${r.attempts}`)).toEqual([
      'failing sent 4',
      'recovered sent 1',
    ])
    expect(outcomes).toEqual(['retrying', 'retrying', 'retrying', 'sent', 'sent'])
    expect(logs[0]).toMatch(
      /^warn notifier ops: "FAILING: NHS login authorize" not delivered after 1 attempt\(s\): HTTP 503: try later; next try 2026-11-25T09:00:0[01]/,
    )
    await rx.close()

    const port = await closedPort()
    const gone = new NotificationDispatcher(
      db,
      new Map([
        ['gone', {...notifier(`http://127.0.0.1:${port}/`, 'webhook'), name: 'gone', retries: 0, expireMs: 10_000}],
      ]),
      {
        clock: fake,
        timers: fake,
        backoffMs: 1000,
        onOutcome: (_, o) => outcomes.push(o),
        log: (level, m) => logs.push(`${level} ${m}`),
      },
    )
    gone.notify({...failing, check: {...failing.check!, id: 'other'}}, ['gone'])
    for (let i = 0; i < 6; i++) {
      await gone.drain(5000)
      await fake.advance(4000)
    }

    await gone.drain(5000)
    const last = deliveries(db, {notifier: 'gone'})[0]
    expect(last).toMatchObject({status: 'expired', nextAttemptAt: null})
    expect(last.attempts).toBeGreaterThanOrEqual(3)
    expect(last.error).toMatch(
      /^not delivered within expire_after \(10s\) after \d attempt\(s\); last error: ECONNREFUSED/,
    )
    expect(logs.at(-1)).toMatch(/^error notifier gone: gave up on "FAILING: NHS login authorize"/)
    expect(outcomes.at(-1)).toBe('expired')
    expect(gone.backlog).toBe(0)
  })

  it('holds a message for maintenance: logged as held, never sent', async () => {
    const rx = await webhookReceiver()
    const d = new NotificationDispatcher(db, new Map([['ops', {...notifier(rx.url, 'webhook'), name: 'ops'}]]), {
      clock: clock(),
    })
    expect(d.notify(failing, ['ops'], {hold: 'maintenance: database upgrade'})).toBe(0)
    await d.drain(1000)
    expect(deliveries(db)).toMatchObject([{status: 'held', error: 'maintenance: database upgrade', attempts: 0}])
    expect(rx.attempts).toBe(0)
    await rx.close()
  })

  it('a restart resumes the outbox with the attempts so far, and expires what is past expire_after without sending it', async () => {
    const rx = await webhookReceiver()
    const c = clock()
    const ops = {...notifier(rx.url, 'webhook'), name: 'ops', expireMs: 3_600_000}
    const first = new NotificationDispatcher(db, new Map([['ops', ops]]), {clock: c})
    first.stop() // stopped before it sends: what it queues stays in the outbox
    // Two messages a killed process left in the outbox: one raised 10 min ago after 4 attempts, one 2 h ago.
    first.notify({...failing, at: c.t}, ['ops'])
    first.notify({...failing, check: {...failing.check!, id: 'old'}}, ['ops'])
    db.prepare('UPDATE notifications SET attempts = 4, created_at = ?, expires_at = ? WHERE id = 1').run(
      c.t - 600_000,
      c.t + 3_000_000,
    )
    db.prepare('UPDATE notifications SET attempts = 9, created_at = ?, expires_at = ? WHERE id = 2').run(
      c.t - 7_200_000,
      c.t - 3_600_000,
    )
    const second = new NotificationDispatcher(db, new Map([['ops', ops]]), {clock: c})
    expect(second.resumePending()).toBe(2)
    await second.drain(5000)
    expect(deliveries(db).map((r) => `${r.checkId} ${r.status} ${r.attempts}`)).toEqual([
      'nhs-login-authorize sent 5',
      'old expired 9',
    ])
    expect(rx.received.length).toBe(1)
    await rx.close()
  })

  it('resends at start what a stopped process left pending', async () => {
    const rx = await webhookReceiver()
    const hang = await startHttp(() => {})
    const first = new NotificationDispatcher(db, new Map([['ops', {...notifier(hang.url, 'webhook'), name: 'ops'}]]), {
      clock: clock(),
    })
    first.notify(failing, ['ops'])
    first.stop()
    await hang.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(deliveries(db)[0].status).toBe('pending')
    const second = new NotificationDispatcher(db, new Map([['ops', {...notifier(rx.url, 'webhook'), name: 'ops'}]]), {
      clock: clock(),
    })
    expect(second.resumePending()).toBe(1)
    await second.drain(5000)
    expect(deliveries(db).map((r) => r.status)).toEqual(['sent'])
    expect(rx.received[0].body.title).toBe(failing.title)
    await rx.close()
  })
})
