import {describe, expect, it} from 'vitest'

import {globMatch, globRegExp} from '../../src/util/glob.js'

describe('the one id glob', () => {
  it('matches * against any text and everything else literally', () => {
    expect(globMatch('pds-*', 'pds-fhir')).toBe(true)
    expect(globMatch('pds-*', 'pds-')).toBe(true)
    expect(globMatch('pds-*', 'xpds-fhir')).toBe(false)
    expect(globMatch('*-api', 'nhs-login-api')).toBe(true)
    expect(globMatch('a*b*c', 'aXXbYYc')).toBe(true)
    expect(globMatch('nhs.login', 'nhs.login')).toBe(true)
    expect(globMatch('nhs.login', 'nhsXlogin')).toBe(false)
    expect(globMatch('a.*', 'aXb')).toBe(false)
    expect(globMatch('(x)+[y]?', '(x)+[y]?')).toBe(true)
    expect(globMatch('exact', 'exact2')).toBe(false)
    expect(globRegExp('*').test('')).toBe(true)
  })
})
