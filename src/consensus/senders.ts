/**
 * Who may say what. A message's sender is checked before the message changes
 * anything: a ballot belongs to its sender, and only to a peer that may lead;
 * on a chain with proofs, what a member reports of our votes carries our
 * signatures. Decided values are taken only from peers that may teach them,
 * and promises and refusals count only from acceptors.
 */
import { ballotEquals } from './ballot.ts'
import { InvalidMessageError } from './errors.ts'
import { checkReported } from './proofs.ts'
import type { NodeState } from './node-state.ts'
import type { Message, PromiseMessage, ProposerProofs } from './types.ts'

/**
 * A chain with proofs: what a member reports about it must show our
 * signatures (proofs.ts). Unsigned evidence of lost votes answering our
 * campaign keeps that campaign from leading (it may be true); the message
 * is then refused like a made-up one.
 */
export function checkProofs (n: NodeState, msg: PromiseMessage | Extract<Message, { type: 'decided' }>, proofs: ProposerProofs): void {
  const c = n.campaignState
  if (checkReported(msg, n.log, n.s.id, c?.ballot.round ?? n.round + 1, proofs) === 'ok') return
  if (msg.type === 'promise' && n.role === 'candidate' && c != null && ballotEquals(msg.ballot, c.ballot) && c.asked.has(msg.from)) c.unsigned.add(msg.from)
  throw new InvalidMessageError(`${msg.type} from ${msg.from} shows, unsigned, votes of ours this node does not hold: it leads in no campaign such a promise answers`)
}

/** Rejects ballots their sender does not own, and ballots of non-proposers. */
export function checkSender (n: NodeState, msg: Message): void {
  if ((msg.type === 'nack' || msg.type === 'prePromise') && n.s.mode === 'fixed' &&
      msg.promised.round > 0 && msg.promised.proposer !== n.s.proposer) {
    // a chain with one proposer: no acceptor promises another's ballot (onPrepare checks mayLead), so a
    // refusal naming one is made up — a probe's single such nack, at round 2^52, stopped a vehicle's chain
    throw new InvalidMessageError(`${msg.type} from ${msg.from} names a promise of a ballot of ${msg.promised.proposer}, who may not lead this chain`)
  }
  if (msg.type !== 'prePrepare' && msg.type !== 'prepare' && msg.type !== 'accept' && msg.type !== 'heartbeat') {
    return
  }
  if (msg.ballot.proposer !== msg.from) {
    throw new InvalidMessageError(`${msg.type} from ${msg.from} carries a ballot of ${msg.ballot.proposer}`)
  }
  if (msg.ballot.round < 1) {
    throw new InvalidMessageError(`${msg.type} with round 0`)
  }
  if (!mayLead(n, msg.from)) {
    throw new InvalidMessageError(`${msg.from} may not lead this chain`)
  }
}

/**
 * Decided values and snapshots are taken from the leader this node follows
 * and from any node that may lead (a leader pushes them to learners), and
 * from peers it asked to catch it up, never from anyone else: a member of the network that is not part of
 * the chain could otherwise write blocks into it (a vehicle's own chain
 * takes messages about it from any member).
 */
export function mayTeach (n: NodeState, from: string): boolean {
  return from === n.leaderId || mayLead(n, from) || n.catchup.has(from)
}

/** A peer that may lead this chain (a leader pushes decided values to learners that do not follow it yet). */
export function mayLead (n: NodeState, from: string): boolean {
  return n.s.mode === 'fixed' ? from === n.s.proposer : n.s.candidates.some(c => c.id === from)
}

/** A member of a booth this node knows, or a peer its campaign asked: whose promises and refusals count. */
export function isAcceptor (n: NodeState, from: string): boolean {
  return n.log.epochs.some(e => e.members.includes(from)) || n.campaignState?.asked.has(from) === true
}
