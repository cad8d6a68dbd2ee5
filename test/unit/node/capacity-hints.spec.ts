import { describe, it, expect } from 'vitest'
import { CapacityHints } from '../../../src/node/capacity-hints.ts'
import { madeUpPeerIds } from '../../utils/peer-ids.ts'
import { peerIdFromString } from '@libp2p/peer-id'

describe('CapacityHints - figures heard by gossip are ordered by the message they came by', () => {
  it('an older gossip message (a replay) does not replace newer figures; a newer one does', async () => {
    const [id] = await madeUpPeerIds(1)
    const hints = new CapacityHints()
    hints.heard(peerIdFromString(id), { free: 0, held: 5 }, 20n)
    hints.heard(peerIdFromString(id), { free: 1_000, held: 0 }, 10n)
    hints.heard(peerIdFromString(id), { free: 1_000, held: 0 }, 20n)
    expect(hints.of(id)).toEqual({ free: 0, held: 5 })
    hints.heard(peerIdFromString(id), { free: 7, held: 5 }, 21n)
    expect(hints.of(id)).toEqual({ free: 7, held: 5 })
  })

  it('a direct view is taken as it comes, and gossip after it is ordered afresh (a vehicle restarted with its clock set back)', async () => {
    const [id] = await madeUpPeerIds(1)
    const hints = new CapacityHints()
    hints.heard(peerIdFromString(id), { free: 0, held: 0 }, 1_000n)
    hints.heard(peerIdFromString(id), { free: 10, held: 0 })
    expect(hints.of(id)).toEqual({ free: 10, held: 0 })
    hints.heard(peerIdFromString(id), { free: 20, held: 0 }, 5n)
    expect(hints.of(id)).toEqual({ free: 20, held: 0 })
  })

  it('a forgotten member\'s order goes with its figures', async () => {
    const [id] = await madeUpPeerIds(1)
    const hints = new CapacityHints()
    hints.heard(peerIdFromString(id), { free: 0, held: 0 }, 1_000n)
    hints.forget(id)
    hints.heard(peerIdFromString(id), { free: 3, held: 0 }, 5n)
    expect(hints.of(id)).toEqual({ free: 3, held: 0 })
  })
})
