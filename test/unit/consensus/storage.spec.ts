import { describe, expect, it } from 'vitest'
import { applyPersist, createPaxos, MemoryPaxosStorage } from '../../../src/consensus/index.ts'
import type { Entry, HardState, PaxosConfig } from '../../../src/consensus/index.ts'

const hard = (commit: number, compacted = 0): HardState => ({
  promised: { round: 1, proposer: 'a' }, round: 1, commit, compacted, booths: [{ slot: 1, members: ['a'] }]
})
const entry = (slot: number, id: string, decided = true): Entry => ({
  slot, ballot: { round: 1, proposer: 'a' }, value: { kind: 'data', id, data: Uint8Array.of(slot) }, booth: ['a'], decided
})

describe('consensus - persistence', () => {
  it('applies a Persist: hard state replaced, entries upserted, compacted entries deleted', () => {
    let state = applyPersist(undefined, { hardState: hard(0), entries: [entry(1, 'x', false), entry(2, 'y', false)] })
    state = applyPersist(state, { hardState: hard(2), entries: [entry(1, 'x'), entry(2, 'y')] })
    expect(state?.entries.map(e => [e.slot, e.decided])).toEqual([[1, true], [2, true]])
    state = applyPersist(state, { hardState: hard(2, 1), entries: [], compactTo: 1 })
    expect(state?.hardState.compacted).toBe(1)
    expect(state?.entries.map(e => e.slot)).toEqual([2])
  })

  it('keeps what a node persisted and rebuilds it from that alone', async () => {
    const storage = new MemoryPaxosStorage()
    expect(await storage.load()).toBeUndefined()
    const config: PaxosConfig = { id: 'a', booth: ['a'], election: { mode: 'fixed', proposer: 'a' }, electionTicks: 5, heartbeatTicks: 1, random: () => 0 }
    const p = createPaxos(config, await storage.load())
    p.tick()
    p.propose({ id: 'x', data: Uint8Array.of(7) })
    for (let rd = p.ready(); rd != null; rd = p.ready()) {
      await storage.save(rd.persist)
      p.advance(rd)
    }
    const loaded = await storage.load()
    expect(loaded?.hardState.commit).toBe(1)
    // load() hands out a copy: changing it changes nothing stored
    loaded?.entries.splice(0)
    const q = createPaxos({ ...config, applied: 1 }, await storage.load())
    expect(q.status()).toMatchObject({ commit: 1, applied: 1, promised: { round: 1, proposer: 'a' } })
    q.tick()
    expect(() => { q.propose({ id: 'x', data: Uint8Array.of(7) }) }).toThrow(expect.objectContaining({ name: 'DuplicateProposalError' }))
  })
})
