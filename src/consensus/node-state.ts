/**
 * What a Paxos node holds between inputs, shared by the parts that handle
 * them (senders.ts, candidacy.ts, phase1.ts, leading.ts, following.ts), and
 * the moves all of them make: send, step down, ask for a catch-up. Paxos
 * (paxos.ts) owns one and hands it to no one else: none of it is public API.
 */
import { Acceptor } from './acceptor.ts'
import { ZERO_BALLOT, copyBallot } from './ballot.ts'
import { validateBooth } from './booth.ts'
import { electionTimeout, outranks, rankOf } from './election.ts'
import { PaxosConfigError } from './errors.ts'
import { settings } from './config.ts'
import { PaxosLog } from './log.ts'
import { LeaderReads } from './reads.ts'
import { TakeoverDamping } from './takeover-damping.ts'
import { Orphans } from './orphans.ts'
import { CatchupAnswers, CatchupAsks } from './catchup.ts'
import { CommitProofs } from './proofs.ts'
import type { Campaign, Leadership, ProposerContext } from './proposer.ts'
import type { QuorumCheck } from './check-quorum.ts'
import type { PreVote } from './pre-vote.ts'
import type { Settings } from './config.ts'
import type { Ballot, Divergence, DroppedProposal, HardState, Message, PaxosConfig, PersistedState, Proposal, Role, SnapshotRequest } from './types.ts'

/** An elected leader steps down once no majority of its booth answered for this many election timeouts (check-quorum.ts). */
export const QUORUM_CHECK_TIMEOUTS = 2

/** A takeover's added wait grows to at most this many election timeouts (takeover-damping.ts). */
const MAX_TAKEOVER_DAMPING_TIMEOUTS = 32

export class NodeState {
  s: Settings
  readonly log: PaxosLog
  readonly acceptor: Acceptor
  readonly ctx: ProposerContext
  role: Role = 'follower'
  round: number
  roundDirty = false
  readonly commitProofs: CommitProofs
  maxSeenRound = 0
  campaignState?: Campaign
  leadership?: Leadership
  /** The leader this node follows (or itself), and its ballot. */
  leaderId?: string
  leaderBallot: Ballot = ZERO_BALLOT
  electionElapsed = 0
  /** Ticks this node has followed the same live leader (see candidacy.ts mayTakeOver). */
  followedTicks = 0
  /** A longer wait before a takeover after a leadership this node could not keep (takeover-damping.ts). */
  readonly damping: TakeoverDamping
  heartbeatElapsed = 0
  /** The commit the leader's last heartbeat round carried. */
  heartbeatCommit = 0
  /** The highest commit a peer said was decided (a leader's heartbeat or accept, a catch-up answer, a snapshot). */
  heardCommit = 0
  timeout: number
  applied: number
  /** Highest slot handed to the application in a Ready not yet advanced. */
  handedOut: number
  /** Peers this node asked to catch it up: their decided values and snapshots are answers (see senders.ts mayTeach). */
  readonly catchup = new CatchupAsks()
  readonly catchupAnswers = new CatchupAnswers()
  outbox: Message[] = []
  local: Message[] = []
  dropped: DroppedProposal[] = []
  /** Promises not counted since the last Ready: their peer's history and ours went two ways. */
  diverged: Divergence[] = []
  snapshotRequest?: SnapshotRequest
  readonly reads = new LeaderReads()
  readonly orphans = new Orphans()
  /** Client proposals a leader took into its second phase 1 (see leading.ts phase1IfNeeded): proposed once it leads again. */
  carried: Proposal[] = []
  /** An elected leader's check that a majority of its booth is still there (check-quorum.ts). */
  quorumCheck?: QuorumCheck
  /** An elected node asking its booth whether it would win before it campaigns (pre-vote.ts). */
  preVote?: PreVote
  /**
   * A fixed proposer restarted from persisted state, until it first leads:
   * its first phase 1 hears its whole booth before counting its own promise
   * (see phase1.ts awaitsSilentMembers).
   */
  restarted: boolean

  constructor (config: PaxosConfig, persisted?: PersistedState) {
    this.s = settings(config)
    this.damping = new TakeoverDamping(2 * this.s.electionTicks, MAX_TAKEOVER_DAMPING_TIMEOUTS * this.s.electionTicks, QUORUM_CHECK_TIMEOUTS * this.s.electionTicks)
    let genesis: string[]
    try {
      genesis = validateBooth(config.booth, 'booth')
    } catch (err) {
      throw new PaxosConfigError((err as Error).message)
    }
    const hs: HardState = persisted?.hardState ?? {
      promised: ZERO_BALLOT,
      round: 0,
      commit: 0,
      compacted: 0,
      booths: [{ slot: 1, members: genesis }]
    }
    if (hs.booths.length === 0 || hs.commit < hs.compacted) {
      throw new PaxosConfigError('persisted hard state is inconsistent')
    }
    this.log = new PaxosLog(this.s.window, hs.booths.map(e => ({ slot: e.slot, members: [...e.members] })), hs.commit, hs.compacted, persisted?.entries ?? [])
    // a brand-new node writes its genesis hard state with its first Ready
    this.log.hardDirty = persisted == null
    this.acceptor = new Acceptor(this.s.id, this.log, copyBallot(hs.promised), this.s.maxCatchup, this.s.maxCatchupBytes, this.s.maxUndecidedBytes)
    this.round = hs.round
    this.commitProofs = new CommitProofs(this.s.id, this.s.proposer, this.s.proofs, hs.commitProof)
    this.maxSeenRound = Math.max(hs.round, hs.promised.round)
    const applied = config.applied ?? hs.compacted
    if (!Number.isSafeInteger(applied) || applied < hs.compacted || applied > this.log.commit) {
      throw new PaxosConfigError(`applied must lie between the compacted slot ${hs.compacted} and the commit ${this.log.commit}`)
    }
    this.applied = applied
    this.handedOut = applied
    this.ctx = {
      id: this.s.id,
      log: this.log,
      maxInflight: this.s.maxInflight,
      send: (msg) => { this.send(msg) },
      prove: this.s.proofs?.sign
    }
    this.timeout = this.newTimeout()
    this.restarted = persisted != null && this.alone()
  }

  hardDirty (): boolean {
    return this.log.hardDirty || this.acceptor.dirty || this.roundDirty || this.commitProofs.dirty
  }

  hardState (): HardState {
    return {
      promised: copyBallot(this.acceptor.promised),
      round: this.round,
      commit: this.log.commit,
      compacted: this.log.compacted,
      booths: this.log.epochs.map(e => ({ slot: e.slot, members: [...e.members] })),
      ...(this.commitProofs.held != null ? { commitProof: { ...this.commitProofs.held } } : {})
    }
  }

  send (msg: Message): void {
    this.commitProofs.attach(msg)
    if (msg.to === this.s.id) {
      this.local.push(msg)
    } else {
      this.outbox.push(msg)
    }
  }

  mayCampaign (): boolean {
    return this.s.mode === 'fixed' ? this.s.proposer === this.s.id : rankOf(this.s.candidates, this.s.id) >= 0
  }

  newTimeout (): number {
    return electionTimeout({
      electionTicks: this.s.electionTicks,
      rankTicks: this.s.rankTicks,
      jitterTicks: this.s.jitterTicks,
      rank: rankOf(this.s.candidates, this.s.id),
      random: this.s.random
    })
  }

  /** This node's own ballot when it campaigns or leads. */
  ownBallot (): Ballot | undefined {
    return this.leadership?.ballot ?? this.campaignState?.ballot
  }

  /** This node alone proposes on this chain (a vehicle's own chain, and this is the vehicle). */
  alone (): boolean {
    return this.s.mode === 'fixed' && this.s.proposer === this.s.id
  }

  /** Stops campaigning or leading; queued client proposals are reported dropped. */
  stepDown (): void {
    if (this.leadership != null) {
      this.orphans.adopt(this.leadership.proposedData())
      for (const id of this.leadership.drain()) {
        this.dropped.push({ id })
      }
    }
    // a campaign that carried proposals ended without leading
    for (const p of this.carried.splice(0)) {
      this.dropped.push({ id: p.id })
    }
    this.leadership = undefined
    this.quorumCheck = undefined
    this.preVote = undefined
    this.campaignState = undefined
    this.reads.failAll()
    if (this.role !== 'follower') {
      this.role = 'follower'
      this.leaderId = undefined
      this.electionElapsed = 0
      this.timeout = this.newTimeout()
    }
  }

  /**
   * Our leadership ends for a ballot of `by`'s. Members only take a lower
   * candidate's ballot once they stopped hearing us for an election timeout,
   * so unless `by` outranks us (a Bully takeover) we could not keep our booth:
   * our next takeover waits longer (takeover-damping.ts).
   */
  deposedBy (by: string): void {
    if (this.role === 'leader' && this.s.mode === 'elected' && !outranks(this.s.candidates, by, this.s.id)) this.damping.lost()
  }

  requestCatchup (from: string): void {
    const slot = this.log.commit + 1
    if (this.catchup.ask(from, slot, 2 * this.s.heartbeatTicks)) this.send({ type: 'catchup', from: this.s.id, to: from, slot })
  }
}
