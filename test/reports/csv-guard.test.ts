import {describe, expect, it} from 'vitest'

import {csvField as exportField} from '../../src/exporters/csv.js'
import {type Column, renderCsv, csvField as reportField} from '../../src/reports/render.js'

interface Row {
  name: string
  n: number | null
}
const columns: Column<Row>[] = [
  {header: 'name', raw: (r) => r.name},
  {header: 'n', raw: (r) => r.n},
]

describe('one CSV writer with the formula guard', () => {
  it(String.raw`guards report CSV cells that start with = + - @ (a tab is shown as \t text)`, () => {
    const csv = renderCsv(columns, [
      {name: '=HYPERLINK("http://x")', n: 1},
      {name: '+1+1', n: null},
      {name: '-2', n: -2},
      {name: '@SUM(A1)', n: 0},
      {name: '\tx', n: 3},
    ])
    expect(csv.split('\r\n')).toEqual([
      'name,n',
      '"\'=HYPERLINK(""http://x"")",1',
      "'+1+1,",
      "'-2,-2",
      "'@SUM(A1),0",
      String.raw`\tx,3`,
      '',
    ])
  })

  it('is the same writer for incident exports and reports', () => {
    expect(reportField).toBe(exportField)
    expect(exportField('=1+1')).toBe("'=1+1")
    expect(exportField('a,b')).toBe('"a,b"')
    expect(exportField(null)).toBe('')
    expect(exportField(-1.5)).toBe('-1.5')
  })
})
