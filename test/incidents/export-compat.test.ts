import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {gatherExport} from '../../src/exporters/gather.js'
import {exportEvents, jsonExport, verifyExportText} from '../../src/exporters/json.js'
import {verifyChain, verifySeals} from '../../src/incidents/chain.js'
import {decodeTimeline} from '../../src/incidents/events.js'
import {verifyIncident} from '../../src/incidents/service.js'
import {openDatabase} from '../../src/store/db.js'
import {eventsOf} from '../../src/store/incidents.js'

const FIXTURES = path.resolve(__dirname, '../fixtures/exports')
const EXPORT = path.join(FIXTURES, 'ransomware-sealed-main.json')
const DB = path.join(FIXTURES, 'ransomware-sealed-main.db')
const KEY = crypto.createPublicKey(fs.readFileSync(path.join(FIXTURES, 'ransomware-seal.pub.pem')))
const HEAD = '0cae062f8aa9d9e90ca8d2b97af9bd14f1f0f552477e84a300766a5618d823e1'

describe('an export and a database written by an earlier watchkeeper', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wk-compat-'))
  afterAll(() => fs.rmSync(tmp, {recursive: true, force: true}))

  it('the export verifies: chain, head, summary, clocks, digest, bytes and every seal', () => {
    const text = fs.readFileSync(EXPORT, 'utf8')
    expect(verifyExportText(text)).toEqual({ok: true, incidentId: 1, count: 301, head: HEAD, problems: []})
    const events = exportEvents(text)
    expect(verifySeals(events, KEY)).toMatchObject({
      ok: true,
      seals: 143,
      sealedThrough: 300,
      unsealed: 0,
      problems: [],
    })
    const decoded = decodeTimeline(events)
    expect(decoded.problems.map((p) => p.message)).toEqual([])
    expect(new Set(decoded.events.map((e) => e.type)).size).toBe(24)
  })

  it('the database verifies, and an export of it today has the same events, clocks and chain as the old export', () => {
    const file = path.join(tmp, 'copy.db')
    fs.copyFileSync(DB, file)
    const db = openDatabase(file)
    try {
      expect(verifyIncident(db, 1)).toMatchObject({ok: true, count: 301, head: HEAD, mismatches: []})
      expect(verifySeals(eventsOf(db, 1), KEY).ok).toBe(true)
      const old = JSON.parse(fs.readFileSync(EXPORT, 'utf8')) as {
        exportedAt: string
        incident: unknown
        clocks: unknown
        events: unknown
        chain: unknown
      }
      const now = Date.parse(old.exportedAt)
      const text = jsonExport(gatherExport(db, 1, now))
      expect(text).toBe(fs.readFileSync(EXPORT, 'utf8'))
      expect(verifyChain(eventsOf(db, 1), 1).head).toBe(HEAD)
    } finally {
      db.close()
    }
  })
})
