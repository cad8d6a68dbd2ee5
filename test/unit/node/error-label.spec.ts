/**
 * How events and metric labels name an error: a class by its name, a plain
 * Error by its code (a transfer cut by a reset was counted as outcome="Error",
 * which said nothing), and anything else as 'Error', so labels stay few.
 */
import { describe, it, expect } from 'vitest'
import { errorLabel, NodeStoppedError } from '../../../src/node/errors.ts'

describe('node - errorLabel', () => {
  it('names a class, a plain error by its code, and falls back to Error', () => {
    expect(errorLabel(new NodeStoppedError())).toBe('NodeStoppedError')
    expect(errorLabel(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe('ECONNRESET')
    expect(errorLabel(Object.assign(new Error('reset'), { code: 'ERR_STREAM_RESET' }))).toBe('ERR_STREAM_RESET')
    // a code that is no short upper-case word would make labels without end
    expect(errorLabel(Object.assign(new Error('x'), { code: 'peer 12D3KooW… went away' }))).toBe('Error')
    expect(errorLabel(Object.assign(new Error('x'), { code: 42 }))).toBe('Error')
    expect(errorLabel(new Error('plain'))).toBe('Error')
    expect(errorLabel('a string')).toBe('Error')
    expect(errorLabel(undefined)).toBe('Error')
  })
})
