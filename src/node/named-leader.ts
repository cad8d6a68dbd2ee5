/**
 * Whether a shared-chain write follows the leader a NOT_LEADER answer names.
 * The name comes from another node, so it is followed only where our own
 * view would send a write anyway: a member of our shared chain's election
 * that we are connected to and count as a member. Anything else (a bug or a
 * lie) would send the write to a node our consensus does not accept as the
 * leader, or round a circle.
 */
import { canonicalPeerId } from './peer-ids.ts'

export interface NamedLeaderView {
  self: string
  /** The node that answered NOT_LEADER. */
  answered: string
  /** Connected members of our network (peer id strings). */
  connected: readonly string[]
  /** Held as two processes may run its identity (clones.ts): no member meanwhile. */
  isClone: (peer: string) => boolean
  /** Who our shared replica accepts as its leader (ChainReplica.candidates). */
  candidates: readonly string[]
}

/** Why the leader `named` is not to be followed (said of it), or undefined when it is. */
export function namedLeaderProblem (named: string | undefined, v: NamedLeaderView): string | undefined {
  if (named == null || named === '') return 'it names none'
  // another form of an id (a CID) would be dialled as the same peer, and is no name a node sends
  if (canonicalPeerId(named) !== named) return 'it is not a peer id in its usual form'
  if (named === v.self) return 'it names this node'
  if (named === v.answered) return 'it names itself'
  if (!v.connected.includes(named)) return 'it is not a member connected here'
  if (v.isClone(named)) return 'it is held as a clone (two processes run its identity)'
  if (!v.candidates.includes(named)) return 'it is not a candidate to lead the shared chain here'
  return undefined
}
