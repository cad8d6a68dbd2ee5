import { describe, it, expect } from 'vitest'
import { setBounded } from '../../../src/node/bounded.ts'

describe('node - bounded maps', () => {
  it('keeps the newest entries up to the bound; setting a key again makes it the newest', () => {
    const map = new Map<string, number>()
    for (let i = 0; i < 10; i++) setBounded(map, `k${i}`, i, 3)
    expect([...map.keys()]).toEqual(['k7', 'k8', 'k9'])
    setBounded(map, 'k7', 70, 3)
    setBounded(map, 'k10', 10, 3)
    expect([...map.entries()]).toEqual([['k9', 9], ['k7', 70], ['k10', 10]])
  })
})
