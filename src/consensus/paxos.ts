/**
 * The Multi-Paxos node: acceptor, proposer (campaign and leadership),
 * learner and election timer in one pure state machine, driven like etcd
 * raft's RawNode: `step`, `tick`, `propose`, `campaign`, then `ready` and
 * `advance`. It does no I/O: outgoing messages, state to persist and decided
 * values are collected and handed out in a Ready.
 *
 * This file is the API and the dispatch. What the node holds between inputs
 * is node-state.ts; the messages and timeouts are handled in the files of
 * their job: senders.ts, candidacy.ts, phase1.ts, leading.ts, following.ts.
 *
 * Guarantees, given a driver that follows the Ready contract (persist, then
 * send, then apply, then advance) and restarts a node from its persisted
 * state only:
 * - no slot is ever decided with two different values, on any node;
 * - every node applies the same values in slot order, each exactly once
 *   (across restarts, given `applied`);
 * - with a majority of each relevant booth connected and a single leader,
 *   every proposal the leader queued is decided.
 */
import { ballotEquals, copyBallot } from './ballot.ts'
import { sameMembers, validateBooth } from './booth.ts'
import { rankOf } from './election.ts'
import { DuplicateProposalError, ElectionDisabledError, InvalidProposalError, NotLeaderError, PaxosConfigError, ProposalDroppedError, ReadyStateError } from './errors.ts'
import { validateCandidates } from './config.ts'
import { answerCatchup, answeredTo } from './catchup.ts'
import { announce } from './announce.ts'
import { divergedAt } from './promise-checks.ts'
import { MAX_ID_LENGTH, validateMessage, validateProposal } from './validate.ts'
import { NodeState } from './node-state.ts'
import { checkProofs, checkSender, mayTeach, mayLead, isAcceptor } from './senders.ts'
import { onPrePrepare, onPrePromise, mayTakeOver, startTakeover, electionTimedOut, noteRound, preVoteBooth, sendPrePrepares, startCampaign, sendPrepares } from './candidacy.ts'
import { onPrepare, onPromise, noteDivergence, tryLead, onNack } from './phase1.ts'
import { settleLeader, phase1IfNeeded, heartbeat } from './leading.ts'
import { onAccept, onHeartbeat, onDecided } from './following.ts'
import type { Candidate, Decided, Message, PaxosConfig, PaxosStatus, PersistedState, PromiseMessage, Proposal, Ready, SnapshotRequest } from './types.ts'

/** Messages only a node that may lead the chain sends (checkSender): their ballots count whoever we know. */
const LEADER_TYPES = new Set<Message['type']>(['prePrepare', 'prepare', 'accept', 'heartbeat'])

/** Creates a node: brand new without `persisted`, else restarted from exactly that state. */
export function createPaxos (config: PaxosConfig, persisted?: PersistedState): Paxos {
  return new Paxos(config, persisted)
}

export class Paxos {
  /** What this node holds between inputs, shared with the handlers of node-state.ts and the files beside it. */
  private readonly n: NodeState
  /** The Ready handed out and not advanced yet. */
  private outstanding?: Ready

  constructor (config: PaxosConfig, persisted?: PersistedState) {
    this.n = new NodeState(config, persisted)
  }

  // ---------------------------------------------------------------- inputs

  /** Feeds one message from the network. Throws InvalidMessageError (changing nothing) on bad input. */
  step (message: Message): void {
    const msg = validateMessage(message, this.n.s.id)
    checkSender(this.n, msg)
    if (this.n.s.proofs != null && (msg.type === 'promise' || msg.type === 'decided')) checkProofs(this.n, msg, this.n.s.proofs)
    this.handle(msg)
    this.flush()
  }

  /** Advances logical time by one tick. */
  tick (): void {
    this.n.catchupAnswers.tick()
    this.n.heartbeatElapsed++
    if (this.n.role === 'leader') {
      if (this.n.leadership != null && this.n.quorumCheck != null) {
        this.n.quorumCheck.tick()
        const current = this.n.log.boothFor(this.n.leadership.nextSlot)
        if (this.n.quorumCheck.lost([current, this.n.leadership.lastBooth(current)])) {
          this.n.damping.lost()
          this.n.stepDown()
          this.flush()
          return
        }
      }
      this.n.damping.ledTick()
      // a read no majority confirms in this time fails (the driver may retry)
      this.n.reads.tick(2 * this.n.s.electionTicks)
      if (this.n.heartbeatElapsed >= this.heartbeatInterval()) {
        this.n.heartbeatElapsed = 0
        heartbeat(this.n)
        this.n.leadership?.retransmit(this.n.ctx)
        if (this.n.leadership != null) this.n.leadership.askExtension(this.n.ctx)
      }
      this.flush()
      return
    }
    this.n.electionElapsed++
    this.n.catchup.tick()
    if (this.n.role === 'candidate') {
      const c = this.n.campaignState
      if (c != null && [...c.promises.keys()].some(id => id !== this.n.s.id)) c.answeredTicks++
      if (this.n.electionElapsed >= this.n.timeout) {
        electionTimedOut(this.n)
      } else if (this.n.heartbeatElapsed >= this.n.s.heartbeatTicks) {
        this.n.heartbeatElapsed = 0
        sendPrepares(this.n, this.n.campaignState?.silent() ?? [])
        this.n.catchup.rearm()
        tryLead(this.n)
      }
    } else if (this.n.mayCampaign()) {
      if (this.n.leaderId != null && this.n.electionElapsed < this.n.s.electionTicks) this.n.followedTicks++
      // the fixed proposer takes its chain at once; elected candidates wait their timeout
      if (this.n.s.mode === 'fixed' || this.n.electionElapsed >= this.n.timeout) {
        electionTimedOut(this.n)
      } else if (mayTakeOver(this.n)) {
        startTakeover(this.n)
      } else if (this.n.preVote != null && this.n.heartbeatElapsed >= this.n.s.heartbeatTicks) {
        // members that refused because they still heard the old leader grant once their own timeout passed
        this.n.heartbeatElapsed = 0
        sendPrePrepares(this.n, this.n.preVote.waiting(preVoteBooth(this.n)))
      }
    }
    this.flush()
  }

  /**
   * Queues a proposal on the leader. Throws NotLeaderError (with the leader
   * when known), DuplicateProposalError, ProposalDroppedError (queue full)
   * or InvalidProposalError; nothing changes when it throws.
   */
  propose (proposal: Proposal): void {
    const p = validateProposal(proposal)
    const lead = this.n.leadership
    if (this.n.role !== 'leader' || lead == null) {
      throw new NotLeaderError('not the leader', this.n.leaderId === this.n.s.id ? undefined : this.n.leaderId)
    }
    const known = lead.lookup(p.id)
    const slot = known.known ? known.slot : this.n.log.slotOfId(p.id)
    if (known.known || slot != null) {
      throw new DuplicateProposalError(`proposal ${p.id} is already ${slot == null ? 'queued' : `at slot ${slot}`}`, p.id, slot)
    }
    if (lead.pending >= this.n.s.maxPending) {
      throw new ProposalDroppedError(`${lead.pending} proposals already queued`)
    }
    lead.enqueue(p.id, p.data)
    settleLeader(this.n)
    this.flush()
  }

  /**
   * Leader only: starts a leader read (see reads.ts). Its ReadState (or
   * FailedRead) comes in a later Ready under `ctx`. Throws NotLeaderError
   * (with the leader when known) or ProposalDroppedError (too many reads
   * waiting); nothing changes when it throws.
   */
  readIndex (ctx: string): void {
    if (typeof ctx !== 'string' || ctx.length === 0 || ctx.length > MAX_ID_LENGTH) {
      throw new InvalidProposalError(`a read context is a string of 1..${MAX_ID_LENGTH} characters`)
    }
    const lead = this.n.leadership
    if (this.n.role !== 'leader' || lead == null) {
      throw new NotLeaderError('not the leader', this.n.leaderId === this.n.s.id ? undefined : this.n.leaderId)
    }
    if (this.n.reads.size >= this.n.s.maxPending) {
      throw new ProposalDroppedError(`${this.n.reads.size} leader reads already waiting`)
    }
    // A fixed proposer is its chain's only leader: what it proposed and has not decided was acknowledged
    // to nobody, and nobody else can have decided anything, so the index is what it decided and what
    // phase 1 recovered. The slots in flight would make a read wait for writes a booth that lost its
    // majority cannot decide (a probe's own-chain leader read failed so, its booth frozen). An elected
    // leader keeps the stricter index: every slot it assigned, chosen or not
    const index = this.n.s.mode === 'fixed'
      ? Math.max(this.n.log.commit, lead.recoveredThrough)
      : Math.max(this.n.log.commit, lead.readIndex())
    // every booth that could decide a slot above the index: the epochs in
    // force from index + 1 on, and whatever this leadership has in play. A
    // fixed proposer needs none: nobody else can lead its chain, so nobody
    // else decided anything (a restarted one leads only after phase 1, and
    // its index covers what that recovered)
    const booths = this.n.s.mode === 'fixed'
      ? []
      : this.n.log.epochs.filter((e, i) => i === this.n.log.epochs.length - 1 || this.n.log.epochs[i + 1].slot > index + 1).map(e => e.members)
    if (this.n.s.mode !== 'fixed') booths.push(...lead.boothsInPlay())
    const seq = this.n.reads.add(ctx, index, booths, this.n.s.id)
    if (this.n.reads.waiting() === seq) {
      for (const to of this.n.reads.askees(this.n.s.id)) {
        this.n.send({ type: 'heartbeat', from: this.n.s.id, to, ballot: lead.ballot, commit: this.n.log.commit, read: seq })
      }
    }
    this.flush()
  }

  /**
   * Leader only: moves the chain to a new booth. The change is a value of its
   * own slot k; it governs slots ≥ k + window (window - 1 noops follow it,
   * so the next client value already uses the new booth).
   */
  changeBooth (members: string[]): void {
    const booth = validateBooth(members)
    const lead = this.n.leadership
    if (this.n.role !== 'leader' || lead == null) {
      throw new NotLeaderError('not the leader', this.n.leaderId === this.n.s.id ? undefined : this.n.leaderId)
    }
    if (sameMembers(lead.lastBooth(this.n.log.boothFor(lead.nextSlot)), booth)) {
      return
    }
    lead.enqueueBooth(booth, this.n.s.window)
    settleLeader(this.n)
    this.flush()
  }

  /** Starts phase 1 now with a fresh ballot; it may displace a live leader this node outranks (a takeover). Throws ElectionDisabledError when this node may not lead. */
  campaign (): void {
    if (!this.n.mayCampaign()) {
      throw new ElectionDisabledError(`${this.n.s.id} may not campaign`)
    }
    // asked for: it displaces a live leader it outranks, as a takeover does
    startCampaign(this.n, true)
    this.flush()
  }

  // ---------------------------------------------------------- ready cycle

  hasReady (): boolean {
    return this.outstanding == null && (
      this.n.outbox.length > 0 || this.n.dropped.length > 0 || this.n.diverged.length > 0 || this.n.snapshotRequest != null || this.n.reads.hasOutput() ||
      this.n.hardDirty() || this.n.log.hasDirty() || this.n.log.commit > this.n.handedOut)
  }

  /**
   * The next batch of work, or undefined when there is none or the previous
   * Ready was not advanced yet. Persist `persist`, then send `messages`, then
   * apply `decided`, then call advance().
   */
  ready (): Ready | undefined {
    if (!this.hasReady()) {
      return undefined
    }
    const dirty = this.n.log.takeDirty()
    const persist: Ready['persist'] = { entries: dirty.entries }
    if (dirty.compactTo != null) {
      persist.compactTo = dirty.compactTo
    }
    if (this.n.hardDirty()) {
      persist.hardState = this.n.hardState()
      this.n.log.hardDirty = false
      this.n.acceptor.dirty = false
      this.n.roundDirty = false
      this.n.commitProofs.dirty = false
    }
    const decided: Decided[] = this.n.log.decidedFrom(this.n.handedOut + 1, this.n.s.maxDecidedPerReady)
    if (decided.length > 0) {
      this.n.handedOut = decided[decided.length - 1].slot
    }
    const ready: Ready = { persist, messages: this.n.outbox, decided, dropped: this.n.dropped, ...this.n.reads.take() }
    if (this.n.snapshotRequest != null) {
      ready.snapshot = this.n.snapshotRequest
    }
    if (this.n.diverged.length > 0) {
      ready.diverged = this.n.diverged
      this.n.diverged = []
    }
    this.n.outbox = []
    this.n.dropped = []
    this.n.snapshotRequest = undefined
    this.outstanding = ready
    return ready
  }

  /** Acknowledges a Ready: persisted, sent and applied. */
  advance (ready: Ready): void {
    if (ready !== this.outstanding) {
      throw new ReadyStateError('advance() must get the Ready returned by the last ready()')
    }
    this.outstanding = undefined
    this.n.applied = this.n.handedOut
  }

  /**
   * An elected chain's candidates changed (a vehicle joined or left, or
   * changed its priority). Safety never rests on them — ballots do — only
   * whose prepares and accepts are heard, whom a leader heartbeats and how
   * long each waits before campaigning. So they change in place: a leader
   * keeps leading and a follower keeps its leader (rebuilding the state
   * machine here used to cost an election per joining vehicle).
   *
   * @throws PaxosConfigError on a fixed-proposer chain or a bad list (nothing changes)
   */
  setCandidates (candidates: readonly Candidate[]): void {
    if (this.n.s.mode !== 'elected') {
      throw new PaxosConfigError('a chain with a fixed proposer has no candidates')
    }
    const next = validateCandidates(candidates)
    const rank = rankOf(this.n.s.candidates, this.n.s.id)
    this.n.s = { ...this.n.s, candidates: next }
    // a new rank waits its own time: with a better candidate new in the list, the old countdown would campaign before it
    if (this.n.role !== 'leader' && rankOf(next, this.n.s.id) !== rank) this.n.timeout = this.n.newTimeout()
  }

  /**
   * Decided values held from `from` on, in slot order, at most `max` (fewer
   * where the log has a gap or ends at commit). Reads only: a booth member
   * that applies nothing works out from them where the chain stood.
   */
  decided (from: number, max: number): Decided[] {
    return this.n.log.decidedFrom(from, max)
  }

  /**
   * The application durably applied every slot ≤ slot: forget those entries
   * (in memory now, on disk with the next Ready). Peers that later ask for
   * them get a snapshot answer instead.
   */
  compact (slot: number): void {
    if (this.outstanding != null) {
      throw new ReadyStateError('compact() between ready() and advance()')
    }
    if (!Number.isSafeInteger(slot) || slot > this.n.applied) {
      throw new ReadyStateError(`cannot compact slot ${slot}: applied is ${this.n.applied}`)
    }
    this.n.log.compact(slot)
  }

  /**
   * The driver learned that the booth counts this node's votes again after
   * it lost them (config.forgotVotes): every slot it may have voted for
   * before is decided here. Its own promise counts again, as a member's that
   * counted it again would (else, with only a bare majority present, it could
   * never lead, and as the best-ranked candidate no one else would: a review).
   */
  restoreVotes (): void {
    if (!this.n.s.forgotVotes) return
    this.n.s = { ...this.n.s, forgotVotes: false }
    this.flush()
  }

  /**
   * The driver learned elsewhere that `peer` decided past `slot` (a slot
   * this node has not decided): ask it for the decided values. For a node
   * that hears nothing from the leader it would follow (the driver drops the
   * messages of a member that lost its database, and that member may lead).
   */
  catchUpFrom (peer: string, slot: number): void {
    if (peer === this.n.s.id || slot <= this.n.log.commit) return
    this.n.heardCommit = Math.max(this.n.heardCommit, slot)
    this.n.requestCatchup(peer)
    this.flush()
  }

  /**
   * The driver found, by what it holds beside the values, that `peer`'s
   * history and ours went apart at or below `slot`, and proved it: the values
   * its promise shows tell nothing (compacted away at the slot compared, or
   * the same no-op there), but the chain point it names is not ours.
   * Reported as a Divergence, as one a promise's values show (fatal on
   * a chain with one proposer: what it queued is dropped, never sent).
   */
  reportDivergence (peer: string, slot: number): void {
    noteDivergence(this.n, peer, slot, this.n.role === 'candidate' ? this.n.campaignState : undefined)
    this.flush()
  }

  /**
   * The first slot where a promise names a value decided other than the one
   * decided here (a Divergence its step would report), if any. Reads only:
   * for a driver that checks the promise beside its values.
   */
  divergenceIn (msg: PromiseMessage): number | undefined {
    return divergedAt(this.n.log, msg)
  }

  /** Whether a promise or refusal of `peer` would count here (see senders.ts isAcceptor). Reads only. */
  countsVotesOf (peer: string): boolean {
    return isAcceptor(this.n, peer)
  }

  /** Whether decided values and snapshots of `peer` would be taken here (see senders.ts mayTeach). Reads only. */
  learnsFrom (peer: string): boolean {
    return mayTeach(this.n, peer)
  }

  /**
   * The application now holds the state of every slot ≤ snapshot.slot
   * (fetched after a Ready's `snapshot`): skip to it.
   */
  installSnapshot (snapshot: SnapshotRequest): void {
    if (this.outstanding != null) {
      throw new ReadyStateError('installSnapshot() between ready() and advance()')
    }
    if (!Number.isSafeInteger(snapshot.slot) || snapshot.slot < 1) {
      throw new ReadyStateError('snapshot slot must be a positive integer')
    }
    // decisions held here and never handed out (a slot below them was
    // missing) reach the application only inside the snapshot: a proposal of
    // ours among them is never decided nor dropped here, so it is reported
    // `unknown` (its writers waited out their deadline; found by the simulation)
    for (const e of this.n.log.entriesAbove(this.n.handedOut)) {
      if (e.slot <= snapshot.slot && e.decided && e.value.kind === 'data') this.n.dropped.push({ id: e.value.id, unknown: true })
    }
    // the application state covers ≤ slot even when commit got there meanwhile:
    // never hand those slots out again
    this.n.log.restore(snapshot.slot, snapshot.booths)
    this.n.applied = this.n.handedOut = Math.max(this.n.applied, snapshot.slot)
    settleLeader(this.n)
    tryLead(this.n)
    this.flush()
  }

  status (): PaxosStatus {
    const ballot = this.n.leadership?.ballot ?? this.n.campaignState?.ballot ?? this.n.leaderBallot
    return {
      id: this.n.s.id,
      role: this.n.role,
      ballot: copyBallot(ballot),
      promised: copyBallot(this.n.acceptor.promised),
      leader: this.n.leaderId,
      commit: this.n.log.commit,
      heard: Math.max(this.n.heardCommit, this.n.log.commit),
      applied: this.n.applied,
      compacted: this.n.log.compacted,
      booth: [...this.n.log.boothFor(this.n.log.commit + 1)],
      inflight: this.n.leadership?.inflight.size ?? 0,
      pending: this.n.leadership?.pending ?? 0
    }
  }

  /** Bytes of the data values accepted here and not decided: what maxUndecidedBytes bounds. */
  undecidedBytes (): number {
    return this.n.log.undecidedDataBytes(0)
  }

  /** Accepts that got no vote because they would pass maxUndecidedBytes, since this node started. */
  get votesWithheld (): number {
    return this.n.acceptor.withheld
  }

  /**
   * Changes the bound on undecided values (PaxosConfig.maxUndecidedBytes) in
   * place: a driver shares one budget among the chains it is a member of. A
   * lower bound drops nothing held; it only withholds votes, which is never
   * unsafe.
   *
   * @throws PaxosConfigError for a bound that is not a positive number
   */
  setMaxUndecidedBytes (bytes: number): void {
    if (!(bytes > 0)) throw new PaxosConfigError('maxUndecidedBytes must be a positive number')
    this.n.acceptor.maxUndecidedBytes = bytes
  }

  /** The highest slot this node holds a value of, accepted or decided (or compacted). */
  lastHeld (): number {
    return this.n.log.last()
  }

  /**
   * Whether this node counts no promise of its own until it leads again: its
   * votes were lost (config.forgotVotes) or found older than ones it cast.
   * The driver keeps it durable across restarts.
   */
  get votesForgotten (): boolean {
    return this.n.s.forgotVotes
  }

  // ------------------------------------------------------------ internals

  /** Handles messages to self, then announces commit progress. */
  private flush (): void {
    let guard = 0
    while (this.n.local.length > 0) {
      if (++guard > 100_000) {
        throw new Error('local message loop')
      }
      const msg = this.n.local.shift() as Message
      this.handle(msg)
    }
    this.n.orphans.settle(this.n.log, this.n.leaderId, this.n.dropped)
    const lead = this.n.leadership
    if (this.n.role === 'leader' && lead != null && this.n.log.commit > lead.announced) {
      announce(this.n.log, this.n.s, lead, this.n.ctx.send)
    }
  }

  private handle (msg: Message): void {
    // what a peer that takes no part in this chain says changes nothing here (senders.ts mayTeach, isAcceptor)
    if ('ballot' in msg && (LEADER_TYPES.has(msg.type) || isAcceptor(this.n, msg.from))) {
      noteRound(this.n, msg.ballot.round)
    }
    this.n.commitProofs.note(msg)
    switch (msg.type) {
      case 'prePrepare': onPrePrepare(this.n, msg); break
      case 'prePromise': onPrePromise(this.n, msg); break
      case 'prepare': onPrepare(this.n, msg); break
      case 'promise': onPromise(this.n, msg); break
      case 'nack': onNack(this.n, msg); break
      case 'accept': onAccept(this.n, msg); break
      case 'accepted':
        if (this.n.leadership != null && ballotEquals(msg.ballot, this.n.leadership.ballot)) {
          this.n.quorumCheck?.heard(msg.from)
          if (this.n.leadership.onAccepted(this.n.ctx, msg)) phase1IfNeeded(this.n)
          else this.n.stepDown()
        }
        break
      case 'heartbeat': onHeartbeat(this.n, msg); break
      case 'heartbeatAck':
        if (this.n.leadership != null && ballotEquals(msg.ballot, this.n.leadership.ballot)) {
          this.n.quorumCheck?.heard(msg.from)
          if (msg.read > 0) this.n.reads.ack(msg.from, msg.read)
          // an orphan is a value of a node that led: nobody else has slots to fill
          if (msg.fill != null && mayLead(this.n, msg.from) && this.n.leadership.fillTo(msg.fill)) settleLeader(this.n)
        }
        break
      case 'catchup': {
        // half the pace askers keep (requestCatchup): an ask repeated because its answer was lost is answered
        if (!this.n.catchupAnswers.mayAnswer(msg.from, msg.slot, this.n.s.heartbeatTicks)) break
        const answer = answerCatchup(this.n.log, this.n.s, msg)
        if (answer == null) break
        this.n.catchupAnswers.answered(msg.from, answeredTo(answer))
        this.n.send(answer)
        break
      }
      case 'decided':
        if (mayTeach(this.n, msg.from)) onDecided(this.n, msg)
        break
      case 'snapshot':
        if (!mayTeach(this.n, msg.from)) break
        this.n.heardCommit = Math.max(this.n.heardCommit, msg.slot)
        if (msg.slot > this.n.log.commit) {
          this.n.snapshotRequest = { from: msg.from, slot: msg.slot, booths: msg.booths }
        }
        break
    }
  }

  /**
   * Ticks between the leader's heartbeats. An idle fixed proposer (a
   * vehicle's own chain with nothing to say) slows down to
   * idleHeartbeatTicks: its heartbeats time nothing out, and at ten a second
   * to every member of every vehicle's booth they were most of what an idle
   * swarm spent its CPU on. Anything that waits on the booth (a slot in
   * flight, a queued value, a read, a phase 1 under way, a commit the booth
   * has not heard) keeps the fast cadence, so retransmissions and the news
   * of a decision are as prompt as before.
   */
  private heartbeatInterval (): number {
    const lead = this.n.leadership
    if (this.n.s.mode !== 'fixed' || lead == null) {
      return this.n.s.heartbeatTicks
    }
    const idle = lead.inflight.size === 0 && lead.pending === 0 && lead.extending == null && !lead.needsPhase1 &&
      this.n.reads.waiting() === 0 && this.n.heartbeatCommit >= this.n.log.commit
    return idle ? this.n.s.idleHeartbeatTicks : this.n.s.heartbeatTicks
  }
}
