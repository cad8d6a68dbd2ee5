/** HeldValues: the bytes of decided values a consensus log holds in memory, for compaction by bytes. */
import { describe, it, expect } from 'vitest'
import { HeldValues } from '../../../src/node/held-values.ts'
import type { Decided } from '../../../src/consensus/index.ts'

const data = (slot: number, bytes: number): Decided => ({ slot, value: { kind: 'data', id: `w${slot}`, data: new Uint8Array(bytes) }, booth: ['a'] })
const noop = (slot: number): Decided => ({ slot, value: { kind: 'noop' }, booth: ['a'] })

describe('node - held values', () => {
  it('counts data values once, in slot order, and forgets what is compacted', () => {
    const h = new HeldValues()
    h.note([data(1, 10), noop(2), data(3, 30)])
    // handed out again (a Ready after a restart): not counted twice
    h.note([data(3, 30), data(4, 40)])
    expect(h.bytes).toBe(80)
    expect(h.between(0, 4)).toBe(80)
    expect(h.between(1, 3)).toBe(30)
    h.dropTo(3)
    expect(h.bytes).toBe(40)
    expect(h.between(0, 10)).toBe(40)
    h.dropTo(9)
    expect(h.bytes).toBe(0)
  })

  it('finds where to compact so that what is kept fits a budget, never below the floor', () => {
    const h = new HeldValues()
    h.note([1, 2, 3, 4, 5, 6].map(slot => data(slot, 10)))
    // all of it fits: the floor decides
    expect(h.keepWithin(6, 60, 2)).toBe(2)
    // 25 bytes: slots 5 and 6 are kept, compacting up to 4
    expect(h.keepWithin(6, 25, 0)).toBe(4)
    expect(h.keepWithin(6, 25, 5)).toBe(5)
    // only slots up to `upTo` count as kept (those above are not applied yet)
    expect(h.keepWithin(4, 15, 0)).toBe(3)
    // a single value over the budget: compacted up to it
    const big = new HeldValues()
    big.note([data(1, 100)])
    expect(big.keepWithin(1, 50, 0)).toBe(1)
  })
})
