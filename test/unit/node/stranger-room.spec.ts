import { describe, it, expect } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection } from '@libp2p/interface'
import { strangersPastLimit } from '../../../src/node/stranger-room.ts'
import { madeUpPeerIds } from '../../utils/peer-ids.ts'

/** What strangersPastLimit reads of a connection. */
function connection (id: string, peer: string, open: number, status: Connection['status'] = 'open', direction: Connection['direction'] = 'inbound'): Connection {
  return { id, remotePeer: peerIdFromString(peer), status, direction, timeline: { open } } as unknown as Connection
}

describe('node - stranger room', () => {
  it('picks the oldest open connections of peers not known for members beyond the limit, never a member\'s', async () => {
    const [member, s1, s2, s3] = await madeUpPeerIds(4)
    const connections = [
      connection('m-old', member, 1),
      connection('s2', s2, 30),
      connection('s1-closing', s1, 5, 'closing'),
      connection('s1', s1, 20),
      connection('s3', s3, 40)
    ]
    const isMember = (peer: { toString: () => string }): boolean => peer.toString() === member
    expect(strangersPastLimit(connections, isMember, 3).map(c => c.id)).toEqual([])
    expect(strangersPastLimit(connections, isMember, 2).map(c => c.id)).toEqual(['s1'])
    expect(strangersPastLimit(connections, isMember, 0).map(c => c.id)).toEqual(['s1', 's2', 's3'])
  })

  it('counts no connection we dialled: a vehicle joining a fleet dials tens of them at once, each unidentified for a moment', async () => {
    const [s1, s2, s3] = await madeUpPeerIds(3)
    const connections = [connection('ours-1', s1, 1, 'open', 'outbound'), connection('theirs', s2, 2), connection('ours-2', s3, 3, 'open', 'outbound')]
    expect(strangersPastLimit(connections, () => false, 1).map(c => c.id)).toEqual([])
    expect(strangersPastLimit(connections, () => false, 0).map(c => c.id)).toEqual(['theirs'])
  })
})
