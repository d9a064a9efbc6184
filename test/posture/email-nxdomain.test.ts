import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {emailSecurityProbe} from '../../src/probes/email-security.js'
import {type DnsServer, startDnsServer} from '../helpers/dns-server.js'
import {ids, probeCtx} from './ctx.js'

let dns: DnsServer
beforeAll(async () => {
  dns = await startDnsServer({'exists.test': [{type: 'A', data: '127.0.0.1'}]})
})
afterAll(() => dns.close())

describe('email-security on a domain that does not exist', () => {
  it('says the domain does not exist instead of listing every missing record', async () => {
    const obs = await emailSecurityProbe.run(
      'nowhere.test',
      {target: 'nowhere.test'},
      probeCtx({resolver: `127.0.0.1:${dns.port}`}),
    )
    expect(obs.status).toBe('crit')
    expect(obs.summary).toBe('nowhere.test does not exist in DNS (NXDOMAIN)')
    expect(ids(obs)).toEqual(['email.domain.nxdomain'])
  })

  it('a domain that exists without mail records is judged record by record', async () => {
    const obs = await emailSecurityProbe.run(
      'exists.test',
      {target: 'exists.test'},
      probeCtx({resolver: `127.0.0.1:${dns.port}`}),
    )
    expect(ids(obs)).toEqual(expect.arrayContaining(['email.mx.missing', 'email.spf.missing', 'email.dmarc.missing']))
    expect(ids(obs)).not.toContain('email.domain.nxdomain')
  })
})
