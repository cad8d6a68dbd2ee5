import { describe, it, expect } from 'vitest'
import { bestCandidate, formationStep, heardPriority, strandedStep, listedChainStep, permissionedGenesis, wellFormedBest, wellFormedBooth, wellFormedGenesis } from '../../../src/node/shared-formation.ts'
import { MAX_PRIORITY } from '../../../src/node/config.ts'
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

  it('waits for a better vehicle two hops away: the best its peers see (vehicles that met through one bootstrap peer)', () => {
    // our one peer 'a' sees 'z' too, which outranks us: 'z' founds, not we
    expect(formationStep({ ...base, peers: [{ id: 'a', hello: { priority: 0, sharedGenesis: '', formingBest: { peer: 'z', priority: 0 } } }] })).toEqual({ action: 'wait' })
    expect(formationStep({ ...base, peers: [{ id: 'a', hello: { priority: 0, sharedGenesis: '', formingBest: { peer: 'b', priority: 2 } } }] })).toEqual({ action: 'wait' })
    // 'a' sees us as its best, or one we outrank: we found
    expect(formationStep({ ...base, peers: [{ id: 'a', hello: { priority: 0, sharedGenesis: '', formingBest: { peer: 'm', priority: 0 } } }] })).toEqual({ action: 'found' })
    expect(formationStep({ ...base, priority: 3, peers: [{ id: 'a', hello: { priority: 0, sharedGenesis: '', formingBest: { peer: 'z', priority: 2 } } }] })).toEqual({ action: 'found' })
  })

  it('does not wait for a peer that refuses (it left every chain its members run, and founds none), but still for the best it sees', () => {
    const refusing = { priority: 5, sharedGenesis: '', sharedRefused: true }
    expect(formationStep({ ...base, peers: [{ id: 'z', hello: refusing }] })).toEqual({ action: 'found' })
    // a better vehicle it sees (its formingBest leaves itself out) is waited for
    expect(formationStep({ ...base, peers: [{ id: 'z', hello: { ...refusing, formingBest: { peer: 'y', priority: 1 } } }] })).toEqual({ action: 'wait' })
    // without the flag (an older peer, or one that would found) it ranks as before
    expect(formationStep({ ...base, peers: [{ id: 'z', hello: { priority: 5, sharedGenesis: '' } }] })).toEqual({ action: 'wait' })
  })

  it('adopts no chain it left, and founds none beside peers that run only such chains', () => {
    const left = (c: { founder: string, founding?: string }): boolean => c.founder === 'f' && (c.founding == null || c.founding === 'aa')
    const running = (founding: string): { priority: number, sharedGenesis: string, founding: string } => ({ priority: 0, sharedGenesis: 'f', founding })
    expect(formationStep({ ...base, left, peers: [{ id: 'a', hello: running('aa') }] })).toEqual({ action: 'wait', left: true })
    expect(formationStep({ ...base, left, peers: [{ id: 'a', hello: running('aa') }, { id: 'b', hello: { priority: 0, sharedGenesis: 'g' } }] })).toEqual({ action: 'adopt', founder: 'g' })
    // the founder's other founding is another chain
    expect(formationStep({ ...base, left, peers: [{ id: 'a', hello: running('bb') }] })).toEqual({ action: 'adopt', founder: 'f' })
  })

  it('a stranded chain is left for the one connected members run, only when none of them runs ours', () => {
    const none = (): boolean => false
    const mine = { founder: 's', founding: 'aa' }
    expect(strandedStep({ mine, peers: [], left: none })).toBeUndefined()
    expect(strandedStep({ mine, peers: [{ founder: 's', founding: 'aa' }, { founder: 'j', founding: 'bb' }], left: none })).toBeUndefined()
    // a member that does not know our founding yet may run ours
    expect(strandedStep({ mine, peers: [{ founder: 's' }, { founder: 'j' }], left: none })).toBeUndefined()
    expect(strandedStep({ mine, peers: [{ founder: 'j', founding: 'bb' }], left: none })).toEqual({ founder: 'j', founding: 'bb' })
    // the founder's chain of another founding is not ours
    expect(strandedStep({ mine, peers: [{ founder: 's', founding: 'cc' }], left: none })).toEqual({ founder: 's', founding: 'cc' })
    // the one most run, then the greater founder id; its founding as most of them say
    expect(strandedStep({ mine, peers: [{ founder: 'j' }, { founder: 'k', founding: 'dd' }, { founder: 'k', founding: 'dd' }, { founder: 'k', founding: 'ee' }], left: none })).toEqual({ founder: 'k', founding: 'dd' })
    expect(strandedStep({ mine, peers: [{ founder: 'j' }, { founder: 'k' }], left: none })).toEqual({ founder: 'k' })
    // never a chain left before, nor a permissioned one
    expect(strandedStep({ mine, peers: [{ founder: 'j', founding: 'bb' }], left: c => c.founder === 'j' })).toBeUndefined()
    expect(strandedStep({ mine, peers: [{ founder: 'members:' + '0'.repeat(32) }], left: none })).toBeUndefined()
  })

  it('announces the best of itself and its peers by their own ranks', () => {
    expect(bestCandidate('m', 0, [])).toEqual({ id: 'm', priority: 0 })
    expect(bestCandidate('m', 0, [{ id: 'a', priority: 0 }, { id: 'z', priority: 0 }])).toEqual({ id: 'z', priority: 0 })
    expect(bestCandidate('m', 1, [{ id: 'a', priority: 0 }, { id: 'z', priority: 0 }])).toEqual({ id: 'm', priority: 1 })
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

  it('takes a hello\'s formingBest only if it names a peer id in its one form with a whole priority', () => {
    const peer = '12D3KooWBvaTfKjQ1YYu7UHgiLLGXDWNaxdK3NWdcB9kk6TN6K6f'
    // a priority no vehicle can have is taken as the nearest one can
    expect(wellFormedBest({ peer, priority: -3 })).toEqual({ peer, priority: 0 })
    expect(wellFormedBest({ peer, priority: 5_000_000 })).toEqual({ peer, priority: MAX_PRIORITY })
    for (const bad of [{ peer: '', priority: 0 }, { peer: 'z', priority: 0 }, { peer: ' ' + peer, priority: 0 }, { peer, priority: 1.5 }, { peer, priority: 2 ** 60 }]) {
      expect(wellFormedBest(bad), JSON.stringify(bad)).toBeUndefined()
    }
  })

  it('takes a hello\'s priority as a vehicle can have it: 0 to MAX_PRIORITY, higher still higher', () => {
    expect([-5, 0, 7, MAX_PRIORITY, MAX_PRIORITY + 1, 2 ** 60, Number.NaN].map(heardPriority)).toEqual([0, 0, 7, MAX_PRIORITY, MAX_PRIORITY, MAX_PRIORITY, 0])
  })

  it('a member whose own permissioned chain holds nothing runs the one most members run, if its list covers that chain\'s booth', () => {
    const old = permissionedGenesis(['a', 'b'], 'c')
    const grown = permissionedGenesis(['a', 'b', 'c'], 'd')
    const hello = (g: { id: string, booth: string[] }): { priority: number, sharedGenesis: string, sharedBooth: string[] } => ({ priority: 0, sharedGenesis: g.id, sharedBooth: g.booth })
    const allowed = new Set(['a', 'b', 'c', 'd'])
    // the added member (d) among the three that run the old chain: it joins theirs
    expect(listedChainStep({ mine: grown, peers: [hello(old), hello(old), hello(old)], allowed })).toEqual(old)
    // a booth with someone off its list: not a chain it may run
    expect(listedChainStep({ mine: grown, peers: [hello(old), hello(old)], allowed: new Set(['a', 'd']) })).toEqual(grown)
    // no booth known, or not a permissioned chain: no vote
    expect(listedChainStep({ mine: grown, peers: [{ priority: 0, sharedGenesis: old.id }, { priority: 0, sharedGenesis: 'a' }], allowed })).toEqual(grown)
    // members added together do not outvote the chain that runs: one that has decided something goes first
    const running = { ...hello(old), sharedHeld: true }
    expect(listedChainStep({ mine: grown, peers: [running, hello(grown), hello(grown), hello(grown)], allowed })).toEqual(old)
    // two fresh members with different ids, one vote each: both settle on the greater id
    const [x, y] = [old, grown].sort((p, q) => p.id < q.id ? -1 : 1)
    expect(listedChainStep({ mine: x, peers: [hello(y)], allowed })).toEqual(y)
    expect(listedChainStep({ mine: y, peers: [hello(x)], allowed })).toEqual(y)
  })

  it('takes a hello\'s booth only if it is 1 to 64 distinct peer ids, each in its one form, and the list its id digests', () => {
    const peer = '12D3KooWBvaTfKjQ1YYu7UHgiLLGXDWNaxdK3NWdcB9kk6TN6K6f'
    const other = '12D3KooWDQgx9wBw6QkWPPqYWWTZnNG6ckJutjhzBgXwQWi7fgQL'
    const genesis = permissionedGenesis([other], peer)
    expect(wellFormedBooth(genesis.id, genesis.booth)).toEqual(genesis.booth)
    // another list than the one the id names: a member's bug or lie; the right one in another order
    expect(wellFormedBooth(genesis.id, [peer])).toBeUndefined()
    expect(wellFormedBooth(genesis.id, [...genesis.booth].reverse())).toBeUndefined()
    for (const bad of [[], [peer, peer], ['x'], Array.from({ length: 65 }, () => peer)]) expect(wellFormedBooth(genesis.id, bad)).toBeUndefined()
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
