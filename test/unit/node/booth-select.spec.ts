import { describe, it, expect } from 'vitest'
import { selectBooth, sameBooth } from '../../../src/node/booth-select.ts'

describe('node - booth selection', () => {
  it('grows the genesis booth with connected vehicles up to the size, proposer first', () => {
    const booth = selectBooth({ chainId: 'A', self: 'A', current: ['A'], connected: ['B', 'C', 'D', 'E', 'F'], size: 4 })
    expect(booth).toHaveLength(4)
    expect(booth[0]).toBe('A')
    expect(new Set(booth).size).toBe(4)
  })

  it('replaces a departed member with a connected newcomer', () => {
    const booth = selectBooth({ chainId: 'A', self: 'A', current: ['A', 'B', 'C', 'D'], connected: ['B', 'C', 'E'], size: 4 })
    expect(sameBooth(booth, ['A', 'B', 'C', 'E'])).toBe(true)
  })

  it('never shrinks: without a replacement a departed member keeps its seat', () => {
    expect(selectBooth({ chainId: 'A', self: 'A', current: ['A', 'B', 'C', 'D'], connected: ['B'], size: 4 })).toEqual(['A', 'B', 'C', 'D'])
  })

  it('a member that refuses the chain loses its seat, replaced by a newcomer when there is one, else dropped; it is never seated', () => {
    // replaced: the newcomer takes its seat
    expect(sameBooth(selectBooth({ chainId: 'A', self: 'A', current: ['A', 'B', 'C', 'D'], connected: ['B', 'C', 'D', 'E'], size: 4, refused: ['D'] }), ['A', 'B', 'C', 'E'])).toBe(true)
    // nobody to replace it: the booth shrinks by its seat, while a departed member keeps its own
    expect(selectBooth({ chainId: 'A', self: 'A', current: ['A', 'B', 'C', 'D'], connected: ['B', 'D'], size: 4, refused: ['D'] })).toEqual(['A', 'B', 'C'])
    // connected and room in the booth: not taken
    expect(selectBooth({ chainId: 'A', self: 'A', current: ['A', 'B'], connected: ['B', 'C', 'D'], size: 4, refused: ['C'] })).toEqual(['A', 'B', 'D'])
    // the proposer keeps its own seat whatever the list says
    expect(selectBooth({ chainId: 'A', self: 'A', current: ['A', 'B'], connected: ['B'], size: 4, refused: ['A'] })).toEqual(['A', 'B'])
  })

  it('keeps a healthy booth as it is', () => {
    const current = ['A', 'B', 'C', 'D']
    expect(sameBooth(selectBooth({ chainId: 'A', self: 'A', current, connected: ['B', 'C', 'D', 'E'], size: 4 }), current)).toBe(true)
  })

  it('a lone vehicle has a booth of one; a smaller configured size drops departed members first', () => {
    expect(selectBooth({ chainId: 'A', self: 'A', current: ['A'], connected: [], size: 4 })).toEqual(['A'])
    expect(selectBooth({ chainId: 'A', self: 'A', current: ['A', 'B', 'C', 'D'], connected: ['B', 'D'], size: 3 })).toEqual(['A', 'B', 'D'])
  })

  it('spreads booths: different chains pick newcomers in different orders', () => {
    const connected = Array.from({ length: 20 }, (_, i) => `peer-${i}`)
    const picks = new Set(['A', 'B', 'C', 'D', 'E'].map(self => selectBooth({ chainId: self, self, current: [self], connected, size: 4 }).slice(1).join(',')))
    expect(picks.size).toBeGreaterThan(1)
  })
})
