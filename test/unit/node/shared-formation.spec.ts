import { describe, it, expect } from 'vitest'
import { formationStep } from '../../../src/node/shared-formation.ts'

const base = { self: 'm', priority: 0, now: 10_000, stableSince: 0, delay: 3_000 }

describe('node - shared chain formation', () => {
  it('the best-ranked vehicle founds once its view is stable and every peer said hello', () => {
    expect(formationStep({ ...base, peers: [{ id: 'a', hello: { priority: 0, sharedGenesis: '' } }] })).toEqual({ action: 'found' })
    // a greater peer id outranks us at equal priority
    expect(formationStep({ ...base, peers: [{ id: 'z', hello: { priority: 0, sharedGenesis: '' } }] })).toEqual({ action: 'wait' })
    // priority first
    expect(formationStep({ ...base, priority: 1, peers: [{ id: 'z', hello: { priority: 0, sharedGenesis: '' } }] })).toEqual({ action: 'found' })
  })

  it('waits: alone, a peer without hello, or a view that changed recently', () => {
    expect(formationStep({ ...base, peers: [] })).toEqual({ action: 'wait' })
    expect(formationStep({ ...base, peers: [{ id: 'a' }] })).toEqual({ action: 'wait' })
    expect(formationStep({ ...base, stableSince: 9_000, peers: [{ id: 'a', hello: { priority: 0, sharedGenesis: '' } }] })).toEqual({ action: 'wait' })
  })

  it('adopts a chain peers already run (the one most of them are in)', () => {
    expect(formationStep({ ...base, stableSince: 9_999, peers: [{ id: 'a', hello: { priority: 0, sharedGenesis: 'f' } }, { id: 'b' }] })).toEqual({ action: 'adopt', founder: 'f' })
    expect(formationStep({
      ...base,
      peers: [
        { id: 'a', hello: { priority: 0, sharedGenesis: 'f' } },
        { id: 'b', hello: { priority: 0, sharedGenesis: 'g' } },
        { id: 'c', hello: { priority: 0, sharedGenesis: 'g' } }
      ]
    })).toEqual({ action: 'adopt', founder: 'g' })
  })
})
