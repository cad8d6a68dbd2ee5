import { describe, it, expect } from 'vitest'
import { formationStep, permissionedGenesis, wellFormedGenesis } from '../../../src/node/shared-formation.ts'
import { MAX_BOOTH_SIZE } from '../../../src/consensus/index.ts'

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

  it('does not adopt a permissioned chain (its booth comes from an allow list this node lacks)', () => {
    const members = permissionedGenesis(['x', 'y'], 'z').id
    expect(formationStep({ ...base, stableSince: 9_999, peers: [{ id: 'a', hello: { priority: 0, sharedGenesis: members } }] })).toEqual({ action: 'wait' })
    expect(formationStep({ ...base, peers: [{ id: 'a', hello: { priority: 0, sharedGenesis: members } }, { id: 'b', hello: { priority: 0, sharedGenesis: 'f' } }] })).toEqual({ action: 'adopt', founder: 'f' })
  })

  it('takes a hello\'s shared chain id only if it is none, a peer id in its one form, or a permissioned genesis id', () => {
    const peer = '12D3KooWBvaTfKjQ1YYu7UHgiLLGXDWNaxdK3NWdcB9kk6TN6K6f'
    for (const good of ['', peer, permissionedGenesis([peer], peer).id]) expect(wellFormedGenesis(good)).toBe(good)
    for (const bad of ['members:00', 'members:' + '0'.repeat(31) + 'G', 'not a peer id', ' ' + peer, 'bafzaajaiaejca' + 'a'.repeat(40)]) expect(wellFormedGenesis(bad)).toBeUndefined()
  })

  it('gives every member of a permissioned network the same genesis, whatever the order of its list and whether it names itself', () => {
    const a = permissionedGenesis(['c', 'b', 'a'], 'a')
    const b = permissionedGenesis(['a', 'c'], 'b')
    const c = permissionedGenesis(['a', 'b', 'c', 'b'], 'c')
    expect(a).toEqual({ booth: ['a', 'b', 'c'], id: expect.stringMatching(/^members:[0-9a-f]{32}$/) })
    expect(b).toEqual(a)
    expect(c).toEqual(a)
    // another membership is another chain
    expect(permissionedGenesis(['a', 'b', 'c', 'd'], 'a').id).not.toBe(a.id)
  })

  it('caps a permissioned genesis booth at the largest booth, the id still covering the whole list', () => {
    const ids = Array.from({ length: MAX_BOOTH_SIZE + 6 }, (_, i) => `p${String(i).padStart(3, '0')}`)
    const g = permissionedGenesis(ids, 'p000')
    expect(g.booth).toEqual(ids.slice(0, MAX_BOOTH_SIZE))
    expect(permissionedGenesis(ids.slice(0, MAX_BOOTH_SIZE), 'p000').id).not.toBe(g.id)
  })
})
