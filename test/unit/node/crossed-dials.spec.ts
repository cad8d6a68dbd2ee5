/**
 * Which connection of a pair's crossed dials closes (secondOfCrossedPair):
 * only the smaller peer id acts, a second connection of ours always goes,
 * one the peer dialled goes only while the pair's other one is young.
 */
import { describe, it, expect } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection } from '@libp2p/interface'
import { CROSSED_DIAL_WINDOW, dialsAtOnce, secondOfCrossedPair } from '../../../src/node/crossed-dials.ts'
import { madeUpPeerIds } from '../../utils/peer-ids.ts'

/** What secondOfCrossedPair reads of a connection. */
function connection (id: string, peer: string, direction: Connection['direction'], upgraded: number, status: Connection['status'] = 'open'): Connection {
  return { id, remotePeer: peerIdFromString(peer), status, direction, timeline: { open: upgraded - 5, upgraded } } as unknown as Connection
}

describe('node - crossed dials', () => {
  it('the smaller id closes a second connection as it opens, whoever dialled it while the first is young; the larger id never does', async () => {
    const [a, b] = (await madeUpPeerIds(2)).sort()
    const [smaller, larger] = [peerIdFromString(a), peerIdFromString(b)]
    expect(dialsAtOnce(smaller, larger)).toBe(true)
    expect(dialsAtOnce(larger, smaller)).toBe(false)
    const now = 100_000
    const first = connection('first', b, 'outbound', now - 200)
    for (const direction of ['outbound', 'inbound'] as const) {
      const second = connection('second', b, direction, now)
      expect(secondOfCrossedPair(smaller, second, [first, second], now), `a second ${direction} one`).toBe(true)
      // alone, it is no second
      expect(secondOfCrossedPair(smaller, second, [second], now)).toBe(false)
      // the larger id leaves it to the smaller one: the pair never closes both
      expect(secondOfCrossedPair(larger, connection('second', a, direction, now), [connection('first', a, 'inbound', now - 200), connection('second', a, direction, now)], now)).toBe(false)
    }
  })

  it('keeps the peer\'s new dial when the other connection is old (it may be half-open) or no longer open', async () => {
    const [a, b] = (await madeUpPeerIds(2)).sort()
    const smaller = peerIdFromString(a)
    const now = 100_000
    const theirs = connection('theirs', b, 'inbound', now)
    const old = connection('old', b, 'outbound', now - CROSSED_DIAL_WINDOW)
    expect(secondOfCrossedPair(smaller, theirs, [old, theirs], now)).toBe(false)
    const young = connection('young', b, 'outbound', now - CROSSED_DIAL_WINDOW + 1)
    expect(secondOfCrossedPair(smaller, theirs, [young, theirs], now)).toBe(true)
    expect(secondOfCrossedPair(smaller, theirs, [connection('closing', b, 'outbound', now - 100, 'closing'), theirs], now)).toBe(false)
    // a second one we dialled goes whatever the first one's age
    const ours = connection('ours', b, 'outbound', now)
    expect(secondOfCrossedPair(smaller, ours, [old, ours], now)).toBe(true)
  })
})
