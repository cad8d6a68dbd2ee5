/**
 * A vehicle bringing its own chain back from the vehicles that hold it.
 *
 * A vehicle whose data dir was restored from an older copy, or lost its
 * database (its key kept), finds its booth ahead of it: the members answer
 * its catch-up with a snapshot, and keep no blocks to hand over. The
 * snapshot names where the chain stood (a point the vehicle itself told its
 * members, see ChainReplica.noteOwnerPoint); the blocks are with its
 * backups. They are fetched up to that point with it as the vouch: a holder
 * whose headers do not end on it is dropped with nothing stored, and the
 * next one is tried.
 */
import { ChainRecoveryError } from './consensus-errors.ts'

export interface OwnChainRecoveryInit {
  chainId: string
  /** Where the booth says the chain stood: the fetch ends on this block. */
  height: number
  hash: Uint8Array
  /** The member that answered the snapshot (a backup too, perhaps): asked after the holders, unless among them. */
  hint?: string
  /** Vehicles that may hold the chain, likeliest first (VGuardDB.ownChainHolders). */
  holders: () => Promise<string[]>
  /** Fetches the chain from `peer` up to the vouched block; throws if it cannot. */
  fetch: (peer: string, vouch: { height: number, hash: Uint8Array }) => Promise<void>
}

/**
 * Fetches the chain up to the point from the first holder that has it.
 * Resolves to that holder.
 *
 * @throws ChainRecoveryError naming every vehicle tried and why it failed
 */
export async function recoverOwnChain (init: OwnChainRecoveryInit): Promise<string> {
  const candidates = [...new Set([...await init.holders(), ...(init.hint != null ? [init.hint] : [])])]
  const vouch = { height: init.height, hash: init.hash }
  const failed: string[] = []
  for (const peer of candidates) {
    try {
      await init.fetch(peer, vouch)
      return peer
    } catch (err) {
      failed.push(`${peer}: ${(err as Error).name}: ${(err as Error).message}`)
    }
  }
  throw new ChainRecoveryError(`no vehicle handed over ${init.chainId} up to height ${init.height}` +
    (failed.length > 0 ? ` (tried ${failed.join('; ')})` : ' (no holder known and none connected)'))
}
