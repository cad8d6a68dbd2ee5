/**
 * Strangers cannot take a node's room for connections from its members.
 * libp2p refuses an inbound connection, before any pruning, once the node has
 * maxConnections (300) open; peers that never answer identify are held 16 s
 * or more each (peer ids cost nothing), so an open network's strangers could
 * fill those 300 and a vehicle dialling in was refused for as long as they
 * kept them. Real libp2p nodes over TCP on
 * loopback: the strangers are bare libp2p nodes with no identify.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TestCluster } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { MAX_CONNECTIONS } from '../../src/node/libp2p.ts'
import { MAX_STRANGER_CONNECTIONS } from '../../src/node/stranger-room.ts'

/** A peer that dials and never answers identify (no identify service): no member, never refused. */
async function stranger (): Promise<Libp2p> {
  return await createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

/**
 * Waits for the strangers past the limit to be closed: a dialler's dial can end a moment before
 * the node has handled the connection's open (a loaded CI run counted 62 of 61 at once). Well
 * under the ~10 s a stranger is held before identify is retried, so a node without the limit
 * still fails it.
 */
async function roomKept (node: Libp2p): Promise<void> {
  await waitFor(() => node.getConnections().length <= MAX_STRANGER_CONNECTIONS + 1, {
    timeout: 3_000,
    message: `at most ${MAX_STRANGER_CONNECTIONS} strangers and the member connected`,
    state: () => ({ open: node.getConnections().length, statuses: [...new Set(node.getConnections().map(c => c.status))] })
  })
}

describe('peering - strangers and the connection limit', () => {
  const cluster = new TestCluster()
  const strangers: Libp2p[] = []
  afterEach(async () => {
    await Promise.allSettled(strangers.splice(0).map(async s => { await s.stop() }))
    await cluster.teardown()
  })

  /**
   * Opens `count` connections to `target`, one a stranger: peer ids cost nothing, and a node
   * closes a peer's second connection as a crossed dial when its own id is the smaller.
   */
  async function flood (target: Multiaddr, count: number): Promise<void> {
    const peers = await Promise.all(Array.from({ length: count }, stranger))
    strangers.push(...peers)
    // a batch at a time: the node takes 100 inbound handshakes at once
    for (let i = 0; i < peers.length; i += 50) {
      await Promise.allSettled(peers.slice(i, i + 50).map(async peer => await peer.dial(target, { signal: AbortSignal.timeout(10_000) })))
    }
  }

  it('lets a new vehicle dial in while strangers that never answer identify hold all they can, and never closes a member for them', async () => {
    const A = await cluster.create()
    await A.start()
    await flood(A.multiaddrs[0], MAX_CONNECTIONS)

    // A knows nothing of B: only B's inbound dial can join them
    const B = await cluster.create({ bootstrap: [A.multiaddrs[0].toString()] })
    await B.start()
    // well within the ~10 s the strangers' connections were held at least (none was closed in time without the limit)
    await waitFor(() => A.peers().some(p => p.peerId === B.peerId.toString()), {
      timeout: 5_000,
      message: 'A to count B a member',
      state: () => ({ open: A.libp2p.getConnections().length })
    })
    const [member] = A.libp2p.getConnections(B.peerId)
    // none of the strangers was up the ~10 s before identify is retried: the oldest were closed to make room
    await roomKept(A.libp2p)

    // more strangers push out older strangers, never the member
    await flood(A.multiaddrs[0], MAX_STRANGER_CONNECTIONS * 2)
    await roomKept(A.libp2p)
    expect(member.status).toBe('open')
  }, 60_000)
})
