import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {SEAL_TYPE, sealerFromPem} from '../../src/incidents/chain.js'
import {adjustClock, openIncident, restartClock, startClock, stopClock} from '../../src/incidents/service.js'
import {openDatabase} from '../../src/store/db.js'
import {eventsOf, setSealer} from '../../src/store/incidents.js'
import {tmpDir} from '../helpers/cli.js'

describe('clock changes on a sealed timeline', () => {
  const tmp = tmpDir('wk-clock-seal-')
  afterAll(() => tmp.cleanup())

  it('each returns the clock event it wrote, not the seal written after it', () => {
    const db = openDatabase(path.join(tmp.dir, 'wk.db'))
    try {
      const pem = crypto.generateKeyPairSync('ed25519').privateKey.export({type: 'pkcs8', format: 'pem'})
      fs.writeFileSync(path.join(tmp.dir, 'seal.pem'), pem)
      setSealer(db, sealerFromPem(pem))
      const t0 = Date.UTC(2026, 4, 6, 7, 40)
      const a = {db, actor: 'tester', now: t0}
      const {id} = openIncident(a, {title: 'EPR down', severity: 'SEV2'})
      const started = startClock({...a, now: t0 + 1000}, id, 'nhs_alert_update_3d')
      expect(started).toMatchObject({type: 'clock_started', data: {name: 'nhs_alert_update_3d'}})
      const restarted = restartClock({...a, now: t0 + 60_000}, id, 'nhs_alert_update_3d', 'update sent')
      expect(restarted).toMatchObject({
        type: 'clock_restarted',
        data: {name: 'nhs_alert_update_3d', dueAt: t0 + 60_000 + 3 * 86_400_000},
      })
      const adjusted = adjustClock({...a, now: t0 + 120_000}, id, 'nhs_alert_update_3d', {
        field: 'start',
        at: t0 - 60_000,
        reason: 'issued earlier',
      })
      expect(adjusted).toMatchObject({type: 'clock_adjusted', data: {from: t0 + 1000, to: t0 - 60_000}})
      const stopped = stopClock({...a, now: t0 + 180_000}, id, 'nhs_alert_update_3d', {outcome: 'notified'})
      expect(stopped).toMatchObject({type: 'clock_stopped', data: {outcome: 'notified'}})
      expect(eventsOf(db, id).at(-1)?.type).toBe(SEAL_TYPE)
    } finally {
      db.close()
    }
  })
})
