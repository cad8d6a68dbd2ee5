/**
 * A peer may hold at most MAX_CONNECTIONS_PER_PEER connections with a node:
 * each connection carries every protocol's inbound stream limit, so a probe
 * that opened 40 from one peer id held 40 times the stream buffers and took a
 * node past 1 GiB. Real libp2p nodes as the node builds them, on loopback.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { MAX_CONNECTIONS_PER_PEER } from '../../src/node/libp2p.ts'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { startedLibp2p } from '../utils/libp2p.ts'

describe('libp2p - connections per peer', () => {
  const nodes: VGuardLibp2p[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  })

  async function node (): Promise<VGuardLibp2p> {
    const libp2p = await startedLibp2p(`conns-${process.pid}`)
    nodes.push(libp2p)
    return libp2p
  }

  it(`refuses a peer's connections beyond ${MAX_CONNECTIONS_PER_PEER}, and takes new ones once it has fewer`, async () => {
    const [target, peer, other] = [await node(), await node(), await node()]
    const address = target.getMultiaddrs()[0]
    // one at a time, each waited for at the target (the dialler may count a refused connection as
    // open for a moment: its side of the upgrade can finish first); what counts is what stays open
    for (let i = 1; i <= MAX_CONNECTIONS_PER_PEER + 3; i++) {
      await peer.dial(address, { force: true, signal: AbortSignal.timeout(5_000) }).catch(() => {})
      await expect.poll(() => target.getConnections(peer.peerId).length).toBe(Math.min(i, MAX_CONNECTIONS_PER_PEER))
    }
    await expect.poll(() => peer.getConnections(target.peerId).filter(c => c.status === 'open').length).toBe(MAX_CONNECTIONS_PER_PEER)
    expect(target.getConnections(peer.peerId)).toHaveLength(MAX_CONNECTIONS_PER_PEER)
    // another peer is not affected
    await other.dial(address)
    await expect.poll(() => target.getConnections(other.peerId).length).toBe(1)
    // one closed: room for one more
    await peer.getConnections(target.peerId)[0].close()
    await expect.poll(() => target.getConnections(peer.peerId).length).toBe(MAX_CONNECTIONS_PER_PEER - 1)
    await peer.dial(address, { force: true, signal: AbortSignal.timeout(5_000) })
    await expect.poll(() => target.getConnections(peer.peerId).length).toBe(MAX_CONNECTIONS_PER_PEER)
  })
})
