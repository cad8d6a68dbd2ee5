import { describe, it, expect } from 'vitest'
import { RepeatFilter } from '../../../src/protocols/peer-exchange/repeat-filter.ts'

const view = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes)

describe('protocols - peer-exchange periodic rounds', () => {
  it('send the first view, then repeat an unchanged one only every refresh period', () => {
    const repeats = new RepeatFilter(60_000)
    expect(repeats.worthSending(view(1, 2), 0)).toBe(true)
    repeats.sent(view(1, 2), 0)
    // an equal view in another buffer is still the same view
    expect(repeats.worthSending(view(1, 2), 10_000)).toBe(false)
    expect(repeats.worthSending(view(1, 2), 59_999)).toBe(false)
    expect(repeats.worthSending(view(1, 2), 60_000)).toBe(true)
  })

  it('send a changed view at once', () => {
    const repeats = new RepeatFilter(60_000)
    repeats.sent(view(1, 2), 0)
    expect(repeats.worthSending(view(1, 3), 10_000)).toBe(true)
    expect(repeats.worthSending(view(1, 2, 0), 10_000)).toBe(true)
    expect(repeats.worthSending(view(1), 10_000)).toBe(true)
  })

  it('count an announcement a trigger sent: the refresh period starts over from it', () => {
    const repeats = new RepeatFilter(60_000)
    repeats.sent(view(7), 0)
    // a newcomer subscribed at 50 s: the same view went out to it
    repeats.sent(view(7), 50_000)
    expect(repeats.worthSending(view(7), 100_000)).toBe(false)
    expect(repeats.worthSending(view(7), 110_000)).toBe(true)
  })
})
