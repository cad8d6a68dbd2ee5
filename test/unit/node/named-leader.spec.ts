/**
 * Which leader a NOT_LEADER answer names that a shared-chain write follows
 * (src/node/named-leader.ts): only one our own view would accept as leader.
 */
import { describe, it, expect } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { namedLeaderProblem } from '../../../src/node/named-leader.ts'
import type { NamedLeaderView } from '../../../src/node/named-leader.ts'
import { madeUpPeerIds } from '../../utils/peer-ids.ts'

describe('node - the leader a NOT_LEADER answer names', () => {
  it('is followed only as a connected member of our network, no clone, a candidate of the shared chain, neither us nor the one that answered', async () => {
    const [self, answered, leader, stranger, clone, outsider] = await madeUpPeerIds(6)
    const view: NamedLeaderView = {
      self,
      answered,
      connected: [answered, leader, clone, outsider],
      isClone: (peer) => peer === clone,
      candidates: [self, answered, leader, clone]
    }
    expect(namedLeaderProblem(leader, view)).toBeUndefined()
    expect(namedLeaderProblem(undefined, view)).toBe('it names none')
    expect(namedLeaderProblem('', view)).toBe('it names none')
    expect(namedLeaderProblem('not a peer id', view)).toContain('not a peer id in its usual form')
    expect(namedLeaderProblem(peerIdFromString(leader).toCID().toString(), view)).toContain('not a peer id in its usual form')
    expect(namedLeaderProblem(self, view)).toBe('it names this node')
    expect(namedLeaderProblem(answered, view)).toBe('it names itself')
    expect(namedLeaderProblem(stranger, view)).toContain('not a member connected here')
    expect(namedLeaderProblem(clone, view)).toContain('held as a clone')
    expect(namedLeaderProblem(outsider, view)).toContain('not a candidate')
  })
})
