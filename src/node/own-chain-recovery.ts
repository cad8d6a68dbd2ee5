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
import type { InvalidBlockError } from '../chain/index.ts'
import { ChainRecoveryError, OWN_CONFLICT_RECOVERY, OwnChainConflictError } from './consensus-errors.ts'

export interface OwnChainRecoveryInit {
  chainId: string
  /** Where the booth says the chain stood: the fetch ends on this block. */
  height: number
  hash: Uint8Array
  /** The member that answered the snapshot (a backup too, perhaps): asked after the holders, unless among them; its chain proves no conflict unless it is one. */
  hint?: string
  /** Vehicles that may hold the chain, likeliest first (VGuardDB.ownChainHolders). */
  holders: () => Promise<string[]>
  /**
   * Of them, those our own signed tables name: only their chains prove a
   * conflict (a member that merely answered a tip request for our chain may
   * hold one it made up). @default every holder
   */
  named?: () => Promise<string[]>
  /** Fetches the chain from `peer` up to the vouched block; throws if it cannot. */
  fetch: (peer: string, vouch: { height: number, hash: Uint8Array }) => Promise<void>
  /** How far this node holds the chain: a holder whose next block does not follow it holds another chain. */
  tipHeight?: number
}

/**
 * Fetches the chain up to the point from the first holder that has it.
 * Resolves to that holder.
 *
 * @throws OwnChainConflictError when none handed it over and a holder holds
 * another chain (its block after our tip does not follow it: we lost our
 * database and wrote alone, say); ChainRecoveryError naming every vehicle
 * tried and why it failed
 */
export async function recoverOwnChain (init: OwnChainRecoveryInit): Promise<string> {
  const tried = await init.holders()
  const named = new Set(init.named == null ? tried : await init.named())
  const candidates = [...new Set([...tried, ...(init.hint != null ? [init.hint] : [])])]
  const vouch = { height: init.height, hash: init.hash }
  const failed: string[] = []
  const diverged: string[] = []
  for (const peer of candidates) {
    try {
      await init.fetch(peer, vouch)
      return peer
    } catch (err) {
      const e = err as InvalidBlockError
      // only a vehicle our own tables named tells: blocks carry no signature, and any member can make up a chain
      // of our id and serve it (a review: one promise naming such a chain's block stopped our chain for good)
      const anotherChain = init.tipHeight != null && init.tipHeight > 0 && e.name === 'InvalidBlockError' && e.reason === 'WrongPrevHash' && e.height === init.tipHeight + 1
      if (anotherChain && named.has(peer)) diverged.push(peer)
      failed.push(`${peer}: ${(err as Error).name}: ${(err as Error).message}`)
    }
  }
  // one that holds another chain tells enough (the others may be away); nothing was stored either way
  if (diverged.length > 0) {
    const tip = init.tipHeight as number
    throw new OwnChainConflictError(`${init.chainId}'s chain went another way than the one its backups hold (up to height ${init.height}): ` +
      `their block ${tip + 1} does not follow its block ${tip} (${diverged.join(', ')}); its database lost while none of them was reachable? ` +
      `Nothing was written, and the backups keep their copies. ${OWN_CONFLICT_RECOVERY}`)
  }
  throw new ChainRecoveryError(`no vehicle handed over ${init.chainId} up to height ${init.height}` +
    (failed.length > 0 ? ` (tried ${failed.join('; ')})` : ' (no holder known and none connected)'))
}

/** Who may hold our own chain (VGuardDB.ownChainHolders): every candidate, and those our own tables name. */
export interface KnownHolders { holders: string[], named: string[] }

/**
 * Whom a fetch of our own chain asks, for `peer`'s snapshot or point:
 * every holder, then `peer`; for a point a member named (`proof`), the
 * holders our own tables name only. The member chose the point's hash: a
 * chain it made up that ends on it (served by itself, or by any member that
 * answered a tip request for our chain) was fetched and stored, forged blocks
 * on top of our acknowledged ones (a review).
 */
export function fetchPlan (known: KnownHolders, peer: string, proof: boolean): Pick<OwnChainRecoveryInit, 'holders' | 'named' | 'hint'> {
  return {
    holders: async () => proof ? known.named : known.holders,
    named: async () => known.named,
    ...(proof ? {} : { hint: peer })
  }
}
