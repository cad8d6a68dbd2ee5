import { describe, it, expect } from 'vitest'
import { asError } from '../../../src/protocols/framing.ts'
import { StreamEndedError } from '../../../src/protocols/errors.ts'

describe('framing - what a write cut short rejects with', () => {
  it('an Error stays as it is', () => {
    const err = new RangeError('too long')
    expect(asError(err)).toBe(err)
  })

  it('a close event gives the error it carries', () => {
    const cause = new Error('reset by the peer')
    const evt = Object.assign(new Event('close'), { error: cause })
    expect(asError(evt)).toBe(cause)
  })

  it('a close event with no error is a StreamEndedError', () => {
    const err = asError(new Event('close'))
    expect(err).toBeInstanceOf(StreamEndedError)
    expect(err.message).toBe('the stream ended (close) while a write waited for room')
  })

  it('anything else becomes an Error with its text', () => {
    expect(asError('gone')).toMatchObject({ message: 'gone' })
  })
})
