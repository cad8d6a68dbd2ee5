import { describe, it, expect } from 'vitest'
import { CreditWindow } from '../../../../src/protocols/sync/credit-window.ts'

const MiB = 1024 * 1024

describe('sync - a requester grants credit as the exchange\'s throughput says', () => {
  /** A window of [min, max] on a clock the test sets; `frame(ms, bytes)`: a frame of `bytes` arrives at `ms`, the credit it grants. */
  function credit (min: number, max: number): { w: CreditWindow, frame: (ms: number, bytes: number) => number } {
    let now = 0
    const w = new CreditWindow(min, max, () => now)
    return { w, frame: (ms, bytes) => { now = ms; return w.frame(bytes) } }
  }

  it('asks for its least, and on a slow link gives each frame\'s credit back, no more', () => {
    const { w, frame } = credit(2 * MiB, 8 * MiB)
    expect(w.initial).toBe(2 * MiB)
    // 1 MiB in 2 s, then 2 MiB in 2.5 s: a second of it is below the least
    expect(frame(2_000, 1 * MiB)).toBe(1 * MiB)
    expect(frame(2_500, 1 * MiB)).toBe(1 * MiB)
  })

  it('grows to its most on a fast link, and gives each frame\'s credit back there', () => {
    const { frame } = credit(2 * MiB, 8 * MiB)
    // 1 MiB in 10 ms: a second of it is far above the most
    expect(frame(10, 1 * MiB)).toBe(7 * MiB)
    expect(frame(20, 1 * MiB)).toBe(1 * MiB)
  })

  it('a frame past the credit is made up at the next grant: the responder is left with the window exactly', () => {
    const { frame } = credit(2 * MiB, 2 * MiB)
    // the responder had 2 MiB and sent a 3 MiB frame (it sends while it has any credit): 1 MiB below zero
    expect(frame(10, 3 * MiB)).toBe(3 * MiB)
    expect(frame(20, 1 * MiB)).toBe(1 * MiB)
  })

  it('grants nothing while more is outstanding than the throughput keeps (the window shrinks)', () => {
    const { frame } = credit(1 * MiB, 8 * MiB)
    expect(frame(10, 1 * MiB)).toBe(8 * MiB)
    // the link slows down: 1 MiB more over 4 s
    expect(frame(4_000, 1 * MiB)).toBe(0)
  })
})
