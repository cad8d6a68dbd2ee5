import { peerIdFromString } from '@libp2p/peer-id'

/**
 * A peer id's one string form (12D3KooW…), as blocks and backup tables name
 * a vehicle's chain; undefined if `id` is no peer id in any form. The same id
 * written another way (a CID, bafz…) names no chain anywhere.
 */
export function canonicalPeerId (id: string): string | undefined {
  try {
    return peerIdFromString(id).toString()
  } catch {
    return undefined
  }
}
