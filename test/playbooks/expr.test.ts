import {describe, expect, it} from 'vitest'

import {test as check, ExprError, parseExpr, variablesOf} from '../../src/playbooks/expr.js'

describe('condition language', () => {
  const vars = {personal_data: 'yes', contained: false, likelihood: 3, impact: 2, name: "O'Brien"}

  it('compares, combines and negates', () => {
    expect(check('personal_data == "yes"', vars)).toBe(true)
    expect(check("personal_data != 'no' and not contained", vars)).toBe(true)
    expect(check('likelihood >= 3 and impact >= 2', vars)).toBe(true)
    expect(check('likelihood > 3 or (impact < 2)', vars)).toBe(false)
    expect(check('contained == false', vars)).toBe(true)
    expect(check('personal_data in ["yes", "unknown"]', vars)).toBe(true)
    expect(check('likelihood not in [1, 2]', vars)).toBe(true)
    expect(check('not not contained', vars)).toBe(false)
    expect(check('-1 < likelihood', vars)).toBe(true)
  })

  it('treats unset variables as equal to nothing', () => {
    expect(check('missing == "x"', vars)).toBe(false)
    expect(check('missing != "x"', vars)).toBe(true)
    expect(check('missing > 1', vars)).toBe(false)
    expect(check('missing', vars)).toBe(false)
  })

  it('names the variables a condition reads', () => {
    expect(variablesOf(parseExpr('a == 1 and (b or not c in ["x"])'))).toEqual(['a', 'b', 'c'])
  })

  it('rejects what is not in the language, with the offset', () => {
    const bad: [string, number][] = [
      ['a = 1', 2],
      ['a == ', 5],
      ['(a == 1', 7],
      ['a == 1)', 6],
      ['process.exit()', 7],
      ['"open', 0],
      ['', 0],
    ]
    for (const [src, at] of bad) {
      let error: unknown
      try {
        parseExpr(src)
      } catch (error_) {
        error = error_
      }

      expect(error, src).toBeInstanceOf(ExprError)
      expect((error as ExprError).offset, src).toBe(at)
    }
  })

  it('never evaluates code', () => {
    expect(() => check('constructor.constructor("return process")()', {})).toThrow(ExprError)
    expect(check('constructor == "x"', {})).toBe(false)
    expect(check('constructor or __proto__ or toString', {})).toBe(false)
  })
})
