/**
 * Whose word this node takes for the blocks a peer serves over
 * /vguard/sync/1.0.0 (see SyncAuthority in src/protocols/sync).
 *
 * A hash chain proves that blocks link to each other, not who made them:
 * any member could link blocks of its own making onto a vehicle's real tip
 * and serve them as that vehicle's chain. So, for a vehicle's chain:
 * - from the vehicle itself, its blocks are its word (the connection is
 *   authenticated: Noise proves the peer id, which is the chain id);
 * - from anyone else, only up to the tip of the newest backup table the
 *   vehicle signed that this node holds (verified when adopted): the fetch
 *   checks the headers up to that tip before it stores a block;
 * - with no such table, from nobody else.
 * The shared chain has no owner to sign it: its blocks are what consensus
 * decided. A node takes them from any member only up to the last block its
 * own consensus applied (a gap its store lost in a machine crash); beyond
 * that, consensus brings them (catch-up, or a snapshot whose tip the leader
 * names, fetched with that tip as the vouch). A chain whose id is not a peer
 * id has no owner to ask (nodes make no such chains; a library user may):
 * the hash chain alone decides.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { VerifiedTable } from '../backup/index.ts'
import type { SyncAuthority } from '../protocols/sync/index.ts'
import { SHARED_CHAIN } from './paxos-constants.ts'

const TRUST_PEER: SyncAuthority = { trust: 'peer' }

function isPeerId (id: string): boolean {
  try {
    peerIdFromString(id)
    return true
  } catch {
    return false
  }
}

export interface AuthoritySources {
  /** The newest verified backup table this node holds for a chain. */
  newestTable: (chainId: string) => VerifiedTable | undefined
  /** The last shared-chain block this node's consensus applied, if it runs the shared chain. */
  sharedTip: () => { height: number, hash: Uint8Array } | undefined
}

/** The policy, given what this node knows for sure about each chain. */
export function syncAuthority (sources: AuthoritySources): (chainId: string, peer: PeerId) => SyncAuthority {
  const { newestTable, sharedTip } = sources
  return (chainId, peer) => {
    if (chainId === SHARED_CHAIN) {
      const tip = sharedTip()
      if (tip == null || tip.height === 0) return { trust: 'none', reason: 'the shared chain comes through consensus here, which has applied no block of it yet' }
      return { trust: 'tip', height: tip.height, hash: tip.hash }
    }
    if (chainId === peer.toString() || !isPeerId(chainId)) return TRUST_PEER
    const table = newestTable(chainId)?.table
    if (table == null || table.height === 0) {
      return { trust: 'none', reason: `${peer.toString()} is not the chain's owner, and no backup table signed by the owner is held here` }
    }
    return { trust: 'tip', height: table.height, hash: table.tipHash }
  }
}
