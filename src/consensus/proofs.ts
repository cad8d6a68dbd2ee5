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
 * nothing, but a value decided other than ours: that ends a campaign) it
 * believes a reported value only with its own signature of that slot, round
 * and value, or when it is the value it holds there (a member's vote from
 * before proofs existed), at no round it has not used.
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

/**
 * What a report shows: `ok` (nothing we cannot check), or `unsigned`: it
 * shows, without our signature, a value or a commit we lost, or a vote at a
 * round we did not use. A member of an earlier version, or votes it cast
 * before proofs existed, show no signatures, and may be true: believed, a
 * liar could write into the chain; ignored, a data dir restored from an
 * older copy could decide other values for slots already decided (a review
 * found the vehicle then led with its stale promise). So the vehicle leads
 * in no campaign such a report answered: its chain waits (safe), as it did
 * for made-up evidence before proofs. A signature that does not check is
 * made up: the message is refused (InvalidMessageError), as if never sent.
 */
export type Verdict = 'ok' | 'unsigned'

/**
 * Checks what a promise or decided answer from a member reports about our
 * chain. `round`: the round we campaign with (votes at or above it we have
 * not cast). Caps a promise's commit at the highest one it proves.
 *
 * @throws InvalidMessageError for a signature that does not check
 */
export function checkReported (msg: PromiseMessage | DecidedMessage, log: PaxosLog, self: string, round: number, proofs: ProposerProofs): Verdict {
  const reported: Reported[] = msg.type === 'promise'
    ? msg.entries.map(e => ({ slot: e.slot, value: e.value, proof: e.proof, ballot: e.decided ? undefined : e.ballot }))
    : msg.entries
  let verdict: Verdict = 'ok'
  for (const r of reported) {
    // below our commit a report changes nothing, unless it is a vote at a round we did not use (lost votes),
    // or another value decided than the one we decided there (a lost history: it ends our campaign, see Divergence)
    if (r.slot <= log.commit && (r.ballot == null || r.ballot.proposer !== self || r.ballot.round < round) && !decidedOtherwise(r, log)) continue
    const shown = vouched(r, log, self, proofs)
    if (shown === 'forged') throw new InvalidMessageError(`${msg.type} from ${msg.from} shows a signature of ours that does not check, at slot ${r.slot}`)
    if (shown === 'unsigned') verdict = 'unsigned'
  }
  const last = log.last()
  if (msg.type === 'promise' && msg.commit > last) {
    const proven = Math.max(log.commit, ...reported.filter(r => r.proof != null).map(r => r.slot), provenCommit(msg, proofs))
    if (proven <= last) verdict = 'unsigned'
    // a commit claimed past what it proves: a liar with a real signed commit named 1e9, and was asked, alone, to catch us up
    msg.commit = Math.min(msg.commit, Math.max(proven, log.commit))
  }
  return verdict
}

/** A decided value other than the one we decided at its slot. */
function decidedOtherwise (r: Reported, log: PaxosLog): boolean {
  const held = log.get(r.slot)
  return r.ballot == null && held?.decided === true && !valuesEqual(held.value, r.value)
}

function provenCommit (msg: PromiseMessage, proofs: ProposerProofs): number {
  const p = msg.commitProof
  if (p == null) return 0
  if (!proofs.verifyCommit(p.commit, p.signature)) throw new InvalidMessageError(`promise from ${msg.from} shows a signed commit of ours that does not check`)
  return p.commit
}

function vouched (r: Reported, log: PaxosLog, self: string, proofs: ProposerProofs): 'yes' | 'unsigned' | 'forged' {
  if (r.ballot != null && r.ballot.proposer !== self) return 'forged'
  // the value we hold there, at a round we used, needs no signature: one made before a
  // change of the signed bytes would not check, and whatever a member attaches to it is moot
  const held = log.get(r.slot)
  if (held != null && valuesEqual(held.value, r.value) && (r.ballot == null || r.ballot.round <= held.ballot.round)) return 'yes'
  if (r.proof == null) return 'unsigned'
  return (r.ballot == null || r.ballot.round === r.proof.round) && proofs.verify(r.slot, r.proof.round, r.value, r.proof.signature) ? 'yes' : 'forged'
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

  /** The proposer: signs the commit a message to a member announces (a snapshot's slot is one: every slot ≤ it is decided). */
  attach (msg: Message): void {
    if (this.proofs == null || msg.to === this.self || !announces(msg)) return
    const commit = announced(msg)
    if (this.signed?.commit !== commit) this.signed = { commit, signature: this.proofs.signCommit(commit) }
    msg.commitProof = this.signed.signature
  }

  /** A member: keeps the proposer's signature of a commit higher than any it holds (a snapshot's too: its commit jumps there). */
  note (msg: Message): void {
    if (this.proposer == null || this.proposer === this.self || msg.from !== this.proposer) return
    if (!announces(msg) || msg.commitProof == null || announced(msg) <= (this.held?.commit ?? 0)) return
    this.held = { commit: announced(msg), signature: msg.commitProof }
    this.dirty = true
  }
}

type Announcing = Extract<Message, { type: 'accept' | 'heartbeat' | 'decided' | 'snapshot' }>

function announces (msg: Message): msg is Announcing {
  return msg.type === 'accept' || msg.type === 'heartbeat' || msg.type === 'decided' || msg.type === 'snapshot'
}

/** The commit a message announces: every slot ≤ it is decided. */
function announced (msg: Announcing): number {
  return msg.type === 'snapshot' ? msg.slot : msg.commit
}
