import { SHARED_CHAIN } from './paxos-constants.ts'
import type { VGuardDB } from './vguarddb.ts'

/** A chain held for another vehicle (neither ours nor the network's shared one). */
export function isCopy (self: string, chainId: string): boolean {
  return chainId !== self && chainId !== SHARED_CHAIN
}

/**
 * Temporary storage is what this node keeps only because it saw it (e.g. as
 * a booth member). Never temporary: its own chain, the shared chain, and a
 * chain whose newest backup table names this node active. A copy with no
 * table at all, or one its owner has since offered a newer epoch (or the
 * table's own, the table naming this node neither active nor obsolete), is
 * unclaimed: a fresh backup whose table is still on its way (gossiped
 * after the round, or handed over with a release), a partial copy a round
 * short of k left to resume, or a push nobody asked for. The storage master
 * keeps it whole for τ, then prunes it like any temporary chain — else any
 * peer could fill this node for good.
 */
export function temporaryStanding (self: string, vguarddb: VGuardDB, chainId: string): boolean | 'unclaimed' {
  if (!isCopy(self, chainId)) return false
  const standing = vguarddb.copyStanding(chainId)
  return standing === 'active' ? false : standing === 'unclaimed' ? 'unclaimed' : true
}
