/**
 * What a replica's outgoing messages carry beside the Paxos message: the
 * chain point a snapshot names, a member's newest point of its vehicle's
 * chain, and, on our own chain, where it stands and how far its backups
 * hold it. Each is what the receiver needs to tell one history from another
 * or to know what to fetch.
 */
import type { Message } from '../consensus/index.ts'
import type { ChainMessage } from '../protocols/paxos/index.ts'
import type { MemberHold } from './member-hold.ts'
import type { ReplicaPosition } from './replica-position.ts'
import type { ReplicaDeps } from './replica-types.ts'

type EnvelopeDeps = Pick<ReplicaDeps, 'chainId' | 'kind' | 'heldHeight'>

/** A message of the chain `d` names, wrapped with what its receiver needs (ChainMessage). */
export function wrapMessage (d: EnvelopeDeps, position: ReplicaPosition, hold: MemberHold, message: Message): ChainMessage {
  if (message.type === 'snapshot' && position.compactPoint != null && position.compactPoint.slot === message.slot) {
    return { chainId: d.chainId, message, point: { height: position.compactPoint.height, hash: position.compactPoint.hash } }
  }
  // a member: the newest point it knows where the vehicle's chain stood (its proposer compares it:
  // OwnChainGuard.divergesAt), for a lost history the values shown cannot tell (compacted away, or the same no-op);
  // with a catch-up, below the slot asked from: no history is taught on top of another (ChainReplica.step)
  if (d.kind === 'member' && (message.type === 'promise' || message.type === 'catchup')) {
    const at = hold.newestUpTo(message.type === 'promise' ? message.commit : message.slot - 1, position.compactPoint)
    if (at != null) return { chainId: d.chainId, message, chainAt: { slot: at.slot, height: at.height, hash: at.hash } }
  }
  // our own chain: tell the booth where it stands, for the snapshots its members answer (ChainReplica.noteOwnerPoint)
  if (d.kind === 'own' && (message.type === 'accept' || message.type === 'heartbeat')) {
    const held = d.heldHeight?.()
    if (position.cursor.slot > 0) return { chainId: d.chainId, message, chainAt: { ...position.cursor }, ...(held != null ? { held } : {}) }
    if (held != null) return { chainId: d.chainId, message, held }
  }
  return { chainId: d.chainId, message }
}
