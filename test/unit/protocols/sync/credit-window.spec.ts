import { describe, it, expect } from 'vitest'
import { CreditWindow } from '../../../../src/protocols/sync/credit-window.ts'

const MiB = 1024 * 1024

describe('sync - a requester grants credit as the exchange\'s throughput says', () => {
  it('asks for its least, then keeps about a second of the throughput outstanding, within its bounds', () => {
    let now = 0
    const w = new CreditWindow(2 * MiB, 8 * MiB, () => now)
    expect(w.initial).toBe(2 * MiB)
    // a slow link: 1 MiB in 2 s; a second of it is below the least: the frame's credit comes back
    now = 2_000
    expect(w.frame(1 * MiB)).toBe(1 * MiB)
    // 2 MiB in 2.5 s: still below the least
    now = 2_500
    expect(w.frame(1 * MiB)).toBe(1 * MiB)
  })

  it('grows to its most on a fast link, and gives each frame\'s credit back there', () => {
    let now = 0
    const w = new CreditWindow(2 * MiB, 8 * MiB, () => now)
    // 1 MiB in 10 ms: a second of it is far above the most
    now = 10
    expect(w.frame(1 * MiB)).toBe(7 * MiB)
    now = 20
    expect(w.frame(1 * MiB)).toBe(1 * MiB)
  })

  it('a frame past the credit is made up at the next grant: the responder is left with the window exactly', () => {
    let now = 0
    const w = new CreditWindow(2 * MiB, 2 * MiB, () => now)
    // the responder had 2 MiB and sent a 3 MiB frame (it sends while it has any credit): it is 1 MiB below zero
    now = 10
    expect(w.frame(3 * MiB)).toBe(3 * MiB)
    // and the next frame's credit comes back as before
    now = 20
    expect(w.frame(1 * MiB)).toBe(1 * MiB)
  })

  it('grants nothing while more is outstanding than the throughput keeps (the window shrinks)', () => {
    let now = 0
    const w = new CreditWindow(1 * MiB, 8 * MiB, () => now)
    now = 10
    expect(w.frame(1 * MiB)).toBe(8 * MiB)
    // the link slows down: 1 MiB more over 4 s
    now = 4_000
    expect(w.frame(1 * MiB)).toBe(0)
  })
})
