/**
 * What the proposer of a chain with one proposer (a vehicle's own) believes
 * of the values its members report (ProposerProofs in types.ts).
 *
 * Such a proposer holds every value it ever proposed (persisted before any
 * accept leaves), so a member's report can only teach it something when its
 * data dir lost votes: a value at a slot past what it holds, a slot decided
 * past it, an acceptance at a round it has not used. A booth member (any host
 * of an open network) could make those up: a made-up decided value became a
 * block of the vehicle's chain, and made-up evidence of lost votes had the
 * vehicle wait on every member. So above its commit (below, a report changes
 * nothing) it believes a reported value only with its own signature of that
 * slot, round and value, or when it is the value it holds there (a member's
 * vote from before proofs existed), at no round it has not used.
 */
import { InvalidMessageError } from './errors.ts'
import { valuesEqual } from './values.ts'
import type { PaxosLog } from './log.ts'
import type { Ballot, CommitProof, DecidedMessage, Message, PromiseMessage, ProposerProofs, Value, ValueProof } from './types.ts'

interface Reported {
  slot: number
  value: Value
  proof?: ValueProof
  /** The ballot it was accepted at; undefined for a decided value (any ballot chose it). */
  ballot?: Ballot
}

/** Throws InvalidMessageError when msg reports a value of ours we did not sign, or a commit past our log we did not sign. */
export function checkReported (msg: PromiseMessage | DecidedMessage, log: PaxosLog, self: string, proofs: ProposerProofs): void {
  const reported: Reported[] = msg.type === 'promise'
    ? msg.entries.map(e => ({ slot: e.slot, value: e.value, proof: e.proof, ballot: e.decided ? undefined : e.ballot }))
    : msg.entries
  for (const r of reported) {
    if (r.slot > log.commit && !vouched(r, log, self, proofs)) {
      throw new InvalidMessageError(`${msg.type} from ${msg.from} reports a value at slot ${r.slot} that this proposer did not sign`)
    }
  }
  const last = log.last()
  if (msg.type === 'promise' && msg.commit > last && !reported.some(r => r.slot > last) && !provesCommitPast(msg.commitProof, last, proofs)) {
    // a commit past every slot we hold says we lost votes: believed with a value or a commit we signed past them only
    throw new InvalidMessageError(`promise from ${msg.from} says slots up to ${msg.commit} are decided, past the last this proposer holds (${last}), and shows no value or commit it signed past it`)
  }
}

function provesCommitPast (p: CommitProof | undefined, last: number, proofs: ProposerProofs): boolean {
  return p != null && p.commit > last && proofs.verifyCommit(p.commit, p.signature)
}

function vouched (r: Reported, log: PaxosLog, self: string, proofs: ProposerProofs): boolean {
  if (r.ballot != null && r.ballot.proposer !== self) return false
  if (r.proof != null) {
    return (r.ballot == null || r.ballot.round === r.proof.round) && proofs.verify(r.slot, r.proof.round, r.value, r.proof.signature)
  }
  const held = log.get(r.slot)
  return held != null && valuesEqual(held.value, r.value) && (r.ballot == null || r.ballot.round <= held.ballot.round)
}

/**
 * Commits on a chain with proofs: its proposer signs every commit it
 * announces (on accepts, heartbeats and decided values), and each member
 * keeps the highest one it heard, in its hard state, and shows it in its
 * promises. Members compact their logs, so a member that tells a proposer
 * whose data dir went back of a commit past what it holds may hold no value
 * of those slots to show: the signed commit shows it instead.
 */
export class CommitProofs {
  /** A member: the highest commit its proposer signed that it heard. */
  held?: CommitProof
  /** held changed since the hard state was last persisted. */
  dirty = false
  private readonly self: string
  private readonly proposer?: string
  private readonly proofs?: ProposerProofs
  /** The proposer: its last signature (one per commit, however many messages carry it). */
  private signed?: CommitProof

  constructor (self: string, proposer: string | undefined, proofs: ProposerProofs | undefined, held: CommitProof | undefined) {
    this.self = self
    this.proposer = proposer
    this.proofs = proofs
    this.held = held
  }

  /** The proposer: signs the commit a message to a member announces. */
  attach (msg: Message): void {
    if (this.proofs == null || msg.to === this.self || (msg.type !== 'accept' && msg.type !== 'heartbeat' && msg.type !== 'decided')) return
    if (this.signed?.commit !== msg.commit) this.signed = { commit: msg.commit, signature: this.proofs.signCommit(msg.commit) }
    msg.commitProof = this.signed.signature
  }

  /** A member: keeps the proposer's signature of a commit higher than any it holds. */
  note (msg: Message): void {
    if (this.proposer == null || this.proposer === this.self || msg.from !== this.proposer) return
    if (msg.type !== 'accept' && msg.type !== 'heartbeat' && msg.type !== 'decided') return
    if (msg.commitProof == null || msg.commit <= (this.held?.commit ?? 0)) return
    this.held = { commit: msg.commit, signature: msg.commitProof }
    this.dirty = true
  }
}
