import { describe, it, expect } from 'vitest'
import { defaultLogger } from '@libp2p/logger'
import { createPaxos } from '../../../src/consensus/index.ts'
import type { Paxos } from '../../../src/consensus/index.ts'
import { ProposalPump } from '../../../src/node/proposal-pump.ts'
import { WriteLedger } from '../../../src/node/write-ledger.ts'

/** A shared chain's leader alone in its booth (a booth of one decides alone). */
function leader (): Paxos {
  const p = createPaxos({ id: 'a', booth: ['a'], election: { mode: 'elected', candidates: [{ id: 'a', priority: 0 }] }, electionTicks: 10, heartbeatTicks: 1, random: () => 0 })
  for (let i = 0; i < 30 && p.status().role !== 'leader'; i++) {
    p.tick()
    for (let rd = p.ready(); rd != null; rd = p.ready()) p.advance(rd)
  }
  expect(p.status().role).toBe('leader')
  return p
}

describe('node - booth upkeep of the proposal pump', () => {
  it('proposes a booth change only while a majority of the booth in force is connected; one refused loses its seat', () => {
    const paxos = leader()
    const quorum = { connected: false }
    const pump = new ProposalPump(
      { chainId: 'shared', kind: 'shared', self: 'a', now: () => 0, log: defaultLogger().forComponent('test'), connected: () => ['b', 'c'], refused: () => ['c'], boothSize: 4 },
      paxos,
      new WriteLedger('shared'),
      'nonce',
      { hasQuorum: () => quorum.connected, stall: () => undefined, memoryNow: () => 0 }
    )
    expect(pump.nextBooth(['a'])).toEqual(['a', 'b'])
    pump.checkBooth()
    pump.pump()
    // it could not be decided: nothing proposed (it would stand in flight, in the way of a better one)
    expect(paxos.hasReady()).toBe(false)
    // looked at again with the next pump, once the majority is back: decided at once by a booth of one
    quorum.connected = true
    pump.pump()
    const decided = []
    for (let rd = paxos.ready(); rd != null; rd = paxos.ready()) {
      decided.push(...rd.decided.map(d => d.value))
      paxos.advance(rd)
    }
    expect(decided).toContainEqual({ kind: 'booth', members: ['a', 'b'] })
  })
})
