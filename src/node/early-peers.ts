/**
 * Peers libp2p met before the peering listened for its events: libp2p starts
 * (mDNS, dials, identify) before the node starts the peering, and what
 * happened in that gap was told to nobody. These replay it from the peer
 * store to the peering's own handlers (src/node/peering.ts).
 */
import type { Logger, PeerId } from '@libp2p/interface'
import type { VGuardLibp2p } from './libp2p.ts'

export interface EarlyPeersInit {
  libp2p: VGuardLibp2p
  /** Whether the peering still runs: nothing is replayed once it stops. */
  running: () => boolean
  onIdentify: (evt: CustomEvent<{ peerId: PeerId, agentVersion?: string }>) => void
  onDiscovery: (evt: CustomEvent<{ id: PeerId, multiaddrs: Array<{ toString: () => string }> }>) => void
  log: Logger
}

/**
 * mDNS runs from libp2p.start(), before we listen: a peer found in that gap
 * was announced to nobody. It is in the peer store, which holds nothing else
 * at this point (it lives in memory), so announce and meet everyone it lists.
 */
export async function announceEarlyDiscoveries (init: EarlyPeersInit & { isDenied: (peerId: PeerId) => boolean }): Promise<void> {
  try {
    for (const peer of await init.libp2p.peerStore.all()) {
      if (!init.running() || peer.addresses.length === 0 || init.isDenied(peer.id)) continue
      // as if libp2p's announcement had reached us: the event too, not only the dial
      init.onDiscovery(new CustomEvent('peer:discovery', { detail: { id: peer.id, multiaddrs: peer.addresses.map(a => a.multiaddr) } }))
    }
  } catch (err) {
    init.log.error('could not read the peer store: %s', (err as Error).message)
  }
}

/**
 * libp2p starts (and may connect and identify peers) before we listen: a
 * peer identified in that gap would never count as a member. Judge those
 * from what identify left in the peer store.
 */
export function judgeEarlyConnections (init: EarlyPeersInit & { isMember: (id: string) => boolean }): void {
  for (const peerId of new Set(init.libp2p.getConnections().map(c => c.remotePeer))) {
    if (init.isMember(peerId.toString())) continue
    init.libp2p.peerStore.get(peerId)
      .then((peer) => {
        const agent = peer.metadata.get('AgentVersion')
        if (agent != null && init.running() && init.libp2p.getConnections(peerId).length > 0) {
          init.onIdentify(new CustomEvent('peer:identify', { detail: { peerId, agentVersion: new TextDecoder().decode(agent) } }))
        }
      })
      .catch(() => {})
  }
}
