/**
 * The acceptor: phase 1b and phase 2b.
 *
 * Rules (Lamport, "Paxos Made Simple"):
 * - promise a ballot only if it is ≥ every ballot promised before; refuse
 *   lower ones with a nack that names the promise;
 * - accept at a ballot only if it is ≥ the promise (and raise the promise to it),
 *   and never a second value at one slot under one ballot;
 * - a promise reports every value accepted at a slot the candidate asked about
 *   (and the decided value just below them, for the candidate to compare).
 *
 * Replies are only returned here; the Paxos node queues them in the next
 * Ready, whose persist part (the new promise, the accepted entry) the driver
 * writes before it sends them. So a reply never leaves before what it
 * vouches for is durable.
 */
import { ZERO_BALLOT, compareBallots, copyBallot } from './ballot.ts'
import { valuesEqual } from './values.ts'
import type { PaxosLog } from './log.ts'
import type { AcceptMessage, Ballot, Entry, Message, PrepareMessage, Value } from './types.ts'

function dataBytes (value: Value): number {
  return value.kind === 'data' ? value.data.byteLength : 0
}

export class Acceptor {
  private readonly id: string
  private readonly log: PaxosLog
  private readonly maxCatchup: number
  private readonly maxCatchupBytes: number
  /** Changed in place by Paxos.setMaxUndecidedBytes (a node shares one budget among chains). */
  maxUndecidedBytes: number
  /** Accepts that got no vote for want of room (hasRoomFor), since this node started. */
  withheld = 0
  /** Accepts that got no vote: another value under the ballot this acceptor accepted one under at that slot. */
  conflicting = 0
  promised: Ballot
  /** Set when promised changed since the hard state was last persisted. */
  dirty = false

  constructor (id: string, log: PaxosLog, promised: Ballot, maxCatchup: number, maxCatchupBytes: number, maxUndecidedBytes = Number.POSITIVE_INFINITY) {
    this.id = id
    this.log = log
    this.maxCatchup = maxCatchup
    this.maxCatchupBytes = maxCatchupBytes
    this.maxUndecidedBytes = maxUndecidedBytes
    this.promised = promised
  }

  onPrepare (msg: PrepareMessage): Message {
    if (compareBallots(msg.ballot, this.promised) < 0) {
      return this.nack(msg.from, msg.ballot)
    }
    this.raise(msg.ballot)
    const after = Math.max(this.log.commit, msg.slot - 1)
    // decided values the candidate lacks come along (bounded), so it can
    // serve them without a catch-up round trip; and one it decided too: at
    // prepare.slot - 1, or our last decided slot when the candidate decided
    // past it. One that differs tells it that one of our two histories was
    // lost (Divergence). Not only prepare.slot - 1: a vehicle that lost its
    // database and decided more slots alone than its old booth had asked past
    // their last one, saw no value, and committed alone on top of its block
    // (a CI run under load)
    const overlap = Math.min(msg.slot - 1, this.log.commit)
    const known = this.log.decidedFrom(Math.max(1, overlap), this.maxCatchup, this.maxCatchupBytes).map((d): Entry => {
      const e: Entry = { slot: d.slot, ballot: ZERO_BALLOT, value: d.value, booth: d.booth, decided: true }
      if (d.proof != null) e.proof = d.proof
      return e
    })
    return {
      type: 'promise',
      from: this.id,
      to: msg.from,
      ballot: copyBallot(msg.ballot),
      commit: this.log.commit,
      booths: this.log.epochsAtCommit(),
      entries: [...known, ...this.log.entriesAbove(after)]
    }
  }

  /** The reply, or undefined: no vote, the value would take more room than undecided values may (maxUndecidedBytes). */
  onAccept (msg: AcceptMessage): Message | undefined {
    if (compareBallots(msg.ballot, this.promised) < 0) {
      return this.nack(msg.from, msg.ballot)
    }
    if (!this.hasRoomFor(msg)) {
      this.withheld++
      return undefined
    }
    // A ballot proposes one value per slot. Another under the same one is a
    // second process that runs the proposer's identity (a copied data dir:
    // protocols/paxos/clones.ts): voting for both could let both be chosen
    const held = this.log.get(msg.slot)
    if (held != null && compareBallots(held.ballot, msg.ballot) === 0 && !valuesEqual(held.value, msg.value)) {
      this.conflicting++
      return undefined
    }
    this.raise(msg.ballot)
    // A decided or compacted slot keeps its value; by safety it equals msg.value,
    // so acknowledging is harmless and lets a recovering leader finish.
    this.log.accept(msg.slot, copyBallot(msg.ballot), msg.value, [...msg.booth], msg.proof == null ? undefined : { round: msg.ballot.round, signature: msg.proof })
    return { type: 'accepted', from: this.id, to: msg.from, ballot: copyBallot(msg.ballot), slot: msg.slot }
  }

  /** Whether accepting msg keeps the undecided data values held within maxUndecidedBytes (a value replaced at its slot frees its bytes). */
  private hasRoomFor (msg: AcceptMessage): boolean {
    const size = dataBytes(msg.value)
    if (size === 0 || this.maxUndecidedBytes === Number.POSITIVE_INFINITY || msg.slot <= this.log.commit || this.log.get(msg.slot)?.decided === true) return true
    return size + this.log.undecidedDataBytes(msg.slot) <= this.maxUndecidedBytes
  }

  private raise (ballot: Ballot): void {
    if (compareBallots(ballot, this.promised) > 0) {
      this.promised = copyBallot(ballot)
      this.dirty = true
    }
  }

  private nack (to: string, ballot: Ballot): Message {
    return { type: 'nack', from: this.id, to, ballot: copyBallot(ballot), promised: copyBallot(this.promised) }
  }
}
