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

/** Why `chainId` names no chain any node can hold (a vehicle's peer id in its usual form, or 'shared'), or undefined. */
export function chainIdProblem (chainId: unknown): string | undefined {
  if (typeof chainId !== 'string' || chainId === '') return `a chain id is a non-empty string, got ${typeof chainId === 'string' ? '""' : typeof chainId}`
  if (chainId === 'shared') return undefined
  const canonical = canonicalPeerId(chainId)
  if (canonical == null) return `not a chain of a vehicle (peer id) or 'shared': ${chainId}`
  if (canonical !== chainId) return `give the peer id as ${canonical}, not as ${chainId}`
  return undefined
}
