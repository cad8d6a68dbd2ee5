/**
 * One chain's consensus on this node: the pure Paxos state machine, its
 * durable state, and the loop that drives it (persist → send → apply →
 * advance, never out of that order).
 *
 * Three kinds:
 * - `own`: this vehicle's chain. We are its fixed proposer: writes are
 *   batched into blocks, proposed, and — once decided — appended to the chain
 *   store and replicated to k backups (VGuardDB) before the writers resolve.
 * - `member`: another vehicle's chain whose booth we sit in. We are an
 *   acceptor (and learner of decisions) only; its blocks are the owner's to
 *   apply and replicate, so we keep no copy (storage efficiency, VGuardDB).
 * - `shared`: the network's chain. Its leader is elected; every replica
 *   applies every decided block.
 *
 * Slots and heights: every decided DATA slot becomes one block, at the next
 * height of the chain; noop and booth-change slots make no block. The
 * "cursor" (last applied slot, and the height and hash reached) is what maps
 * one onto the other; it is stored with the consensus state, and replaying
 * slots after a crash is harmless: a block already in the store is
 * recognised by its hash.
 *
 * This file keeps the loop and the replica's public face; the jobs it hands
 * out lie beside it: where a replica starts (replica-start.ts), its meta
 * record (replica-meta.ts), where its chain stands (replica-position.ts),
 * the books of its writes (write-ledger.ts), proposing them
 * (proposal-pump.ts), applying decided blocks (replica-apply.ts), snapshots
 * (replica-snapshots.ts), compaction (replica-compaction.ts), what its
 * messages carry (replica-envelope.ts), and an own chain's guard against
 * going two ways (own-chain-guard.ts, chain-points.ts).
 */
import { createPaxos, PaxosConfigError, quorumSize } from '../consensus/index.ts'
import type {
  Decided, Divergence, ElectionConfig, Message, Paxos, Ready
} from '../consensus/index.ts'
import type { LevelPaxosStorage } from '../storage/paxos-store.ts'
import type { ChainPoint, SnapshotPoint } from '../protocols/paxos/index.ts'
import type { AppliedWriteId } from '../protocols/sync/index.ts'
import type { EncodedWrite, WriteRef } from './batch.ts'
import { WRITE_MEMORY } from './recent-writes.ts'
import { DiskFullError } from '../storage/errors.ts'
import { ChainRecoveryError, CommitTimeoutError, ConsensusStoppedError, NoQuorumError, NotProposerError, retryAdvice } from './consensus-errors.ts'
import { withinMs } from '../protocols/time-limit.ts'
import { MemberHold } from './member-hold.ts'
import { LeaderReadWaiters } from './leader-reads.ts'
import { ReplicaWaiters } from './replica-waiters.ts'
import { phase1Reason, stoppedBy, unappliedReason } from './replica-reasons.ts'
import { HeldValues } from './held-values.ts'
import { readMeta, writeMeta } from './replica-meta.ts'
import { OwnChainGuard } from './own-chain-guard.ts'
import { wrapMessage } from './replica-envelope.ts'
import { DecidedApplier } from './replica-apply.ts'
import { SnapshotInstaller } from './replica-snapshots.ts'
import { ProposalPump } from './proposal-pump.ts'
import { ReplicaCompaction } from './replica-compaction.ts'
import { ReplicaPosition } from './replica-position.ts'
import type { FetchGate } from './chain-points.ts'
import { WriteLedger } from './write-ledger.ts'
import type { PendingWrite } from './write-ledger.ts'
import { openState, paxosConfig } from './replica-start.ts'
import type { OpenState } from './replica-start.ts'
import type { CommitResult, Landing, ReplicaDeps, ReplicaKind, ReplicaSetup, ReplicaStatus, SubmitOptions } from './replica-types.ts'

/**
 * The cursor is written at most this often while blocks are applied (and
 * synced before every compaction): after a crash the slots after the stored
 * cursor are applied again, and each block is recognised by its hash.
 */
const META_INTERVAL = 250

/** Decided values up to this size are applied before the Ready's save, bigger ones alongside it (see drain). */
const APPLY_FIRST_BYTES = 64 * 1024

function decidedBytes (decided: Decided[]): number {
  let n = 0
  for (const d of decided) n += d.value.kind === 'data' ? d.value.data.byteLength : 0
  return n
}

/** Messages that may leave before their Ready is persisted (see drain); a pre-vote changes and vouches for nothing. */
const EARLY = new Set<Message['type']>(['accept', 'heartbeat', 'decided', 'catchup', 'snapshot', 'prePrepare', 'prePromise'])

export class ChainReplica {
  readonly chainId: string
  readonly kind: ReplicaKind
  private readonly d: ReplicaDeps
  /** Now on the monotonic clock every deadline here is on. */
  private readonly elapsed: () => number
  private setup: ReplicaSetup
  private readonly paxos: Paxos
  /** Where the chain stands against the log: the cursor, the recent history, what the store holds, the compaction point. */
  private readonly position: ReplicaPosition
  /** Every write given to this replica, until answered, and the write ids it applied. */
  private readonly writes: WriteLedger
  /** Turns waiting writes into proposals while this replica leads, and answers those that will not be decided. */
  private readonly proposals: ProposalPump
  private readonly reads: LeaderReadWaiters
  /** Callers waiting for this replica to lead (own chain: its phase 1) or to catch up. */
  private readonly waiters = new ReplicaWaiters()
  /** The leadership (ballot) whose earlier values are known applied here, once confirmed. */
  private settled?: { ballot: string, done: Promise<void> }
  private draining = false
  private again = false
  /** Bytes of the decided values the log holds in memory until compacted (ReplicaCompaction). */
  private readonly heldValues = new HeldValues()
  /** Applies decided values to the chain store and answers their writers. */
  private readonly applier: DecidedApplier
  private closed = false
  private broken?: Error
  /** The snapshots its booth sends, and installing them (what an own chain's catch-up waits on: `stall`). */
  private readonly snapshots: SnapshotInstaller
  /** own: its votes were lost and it has not led since (PaxosConfig.forgotVotes; saved in the meta until it leads). */
  private forgotVotes = false
  /** own: no fetch of the chain from its holders before this time (a failed one waits OWN_FETCH_RETRY). */
  private readonly fetchGate: FetchGate = { notBefore: 0 }
  /** own: records its booth outside the database, and tells and proves chain points of another history. */
  private readonly ownChain: OwnChainGuard
  /** member: where the vehicle said its chain stood (ChainMessage.chainAt: what our snapshots name) and how far its backups hold it. */
  private readonly hold: MemberHold
  /** When the log forgets applied slots, and at which point. */
  private readonly compaction: ReplicaCompaction
  private idle: Promise<void> = Promise.resolve()
  /** When the cursor was last written (it is written at most every META_INTERVAL; a replay from an older one is harmless). */
  private metaSavedAt = 0

  private constructor (d: ReplicaDeps, start: OpenState, paxos: Paxos) {
    this.d = d
    this.elapsed = d.clock ?? performance.now.bind(performance)
    this.chainId = d.chainId
    this.kind = d.kind
    this.setup = start.setup
    this.paxos = paxos
    this.position = new ReplicaPosition(start.cursor, start.compactPoint)
    this.hold = d.kind === 'member' ? MemberHold.restored(start.ownerPoint, start.ownerHeld) : new MemberHold()
    this.forgotVotes = start.forgotVotes
    this.writes = new WriteLedger(d.chainId)
    this.ownChain = new OwnChainGuard(d, this.position, this.fetchGate, this.elapsed, start.startPoint)
    // the decided values a reopened log brought back into memory (from disk)
    const st = paxos.status()
    this.heldValues.note(paxos.decided(st.compacted + 1, st.commit - st.compacted))
    // and the undecided ones a member reopened (retired, or after a restart) holds again
    d.undecided?.note(d.chainId, paxos.undecidedBytes())
    const nonce = Math.floor(d.random() * 2 ** 32).toString(36)
    this.reads = new LeaderReadWaiters(`${nonce}:read`)
    this.proposals = new ProposalPump(d, paxos, this.writes, nonce, {
      hasQuorum: (booth?: string[]) => this.hasQuorum(booth),
      stall: () => this.snapshots.stall,
      memoryNow: () => this.memoryNow()
    })
    this.applier = new DecidedApplier(d, this.position, this.writes, this.reads, {
      memoryNow: () => this.memoryNow(),
      metaDue: () => this.elapsed() - this.metaSavedAt >= META_INTERVAL,
      saveMeta: (sync: boolean) => this.saveMeta(sync),
      closed: () => this.closed,
      broken: () => this.broken != null,
      halt: (err: Error) => { this.halt(err) }
    })
    this.snapshots = new SnapshotInstaller(d, paxos, this.position, this.writes, this.reads, this.fetchGate, this.elapsed, {
      applying: () => this.applier.running,
      saveMeta: (sync: boolean) => this.saveMeta(sync)
    })
    this.compaction = new ReplicaCompaction(d, paxos, this.position, this.heldValues, this.hold, {
      saveMeta: (sync: boolean) => this.saveMeta(sync)
    })
  }

  /**
   * Whether a member's stored state holds values its retirement drops:
   * decided slots above the compacted one, or slots below a point its
   * vehicle named above its commit (ReplicaCompaction.skipUnfilledGap).
   */
  static async retirable (storage: LevelPaxosStorage): Promise<boolean> {
    const hs = await storage.hardState()
    if (hs == null) return false
    if (hs.commit > hs.compacted) return true
    const named = (await readMeta(storage))?.ownerPoint
    return named != null && named.slot > hs.commit
  }

  /**
   * Opens a replica from its stored state (a restart), or creates it. A new
   * own chain starts its cursor where consensus began on it (consensusStart):
   * at the tip when VGuard appended its blocks (endOfBooth) alone, which stay,
   * and consensus continues the chain from there.
   */
  static async open (d: ReplicaDeps, setup: ReplicaSetup): Promise<ChainReplica> {
    const start = await openState(d, setup)
    const paxos = createPaxos({ ...paxosConfig(d, start.setup, start.persisted, start.cursor), forgotVotes: start.forgotVotes }, start.persisted)
    const replica = new ChainReplica(d, start, paxos)
    if (d.kind !== 'member') {
      const now = (d.memoryNow ?? d.now)()
      replica.writes.restore(await d.storage.recentWrites(now - WRITE_MEMORY.ttl, WRITE_MEMORY.total), now)
    }
    return replica
  }

  // ------------------------------------------------------------ inputs

  tick (): void {
    // even a broken replica lets its waiters go at their deadline
    this.settleCatchup()
    if (this.closed || this.broken != null) return
    this.paxos.tick()
    this.expire()
    this.kick()
  }

  /** A message from the network (already authenticated and shape-checked by the transport). */
  step (message: Message, point?: SnapshotPoint, chainAt?: ChainPoint, held?: number): void {
    if (this.closed || this.broken != null) return
    // only the point of a snapshot the state machine would take: any member's 64 made-up ones pushed out the real one
    if (message.type === 'snapshot' && point != null && this.paxos.learnsFrom(message.from)) this.snapshots.notePoint(message.from, message.slot, point)
    // a promise its values show to diverge goes to the state machine, which stops on it at once. One whose vote would
    // not count here asks no proof: a member outside the booth had us fetch the chain it made up (a review)
    if (message.type === 'promise' && chainAt != null && this.ownChain.divergesAt(chainAt) && this.paxos.divergenceIn(message) == null) {
      if (!this.paxos.countsVotesOf(message.from)) return
      // not counted; a proof is asked for (the loop runs it: PointProof)
      if (this.ownChain.proof.ask(message.from, chainAt)) this.kick()
      return
    }
    if (message.type === 'catchup' && chainAt != null && this.ownChain.divergesAt(chainAt)) {
      // what we decided would be applied on top of another history: the member's log then ran on
      // with ours, its promise showed our values at the slot compared, and was counted (a CI run:
      // a vehicle that lost its database and wrote alone committed beside its old chain)
      this.d.log('%s: %s asks to catch up on a history where the chain stood at height %d at slot %d, not ours: not taught', this.chainId, message.from, chainAt.height, chainAt.slot)
      return
    }
    if (chainAt != null) this.noteOwnerPoint(message.from, chainAt)
    if (held != null) this.noteOwnerHeld(message.from, held)
    // what the node's other member chains left of its budget (what this one holds counts as its own)
    if (this.d.undecided != null && message.type === 'accept' && message.value.kind === 'data') this.paxos.setMaxUndecidedBytes(this.d.undecided.limitFor(this.chainId))
    try {
      this.paxos.step(message)
    } catch (err) {
      this.d.log('%s: dropped %s from %s: %s', this.chainId, message.type, message.from, (err as Error).message)
      return
    }
    this.kick()
  }

  /** Shared chain: the known candidates changed (hellos), in place — a leader keeps leading (Paxos.setCandidates). */
  updateElection (election: ElectionConfig): void {
    if (JSON.stringify(election) === JSON.stringify(this.setup.election)) return
    if (election.mode !== 'elected') throw new PaxosConfigError(`chain ${this.chainId}: only an elected chain's candidates change`)
    this.paxos.setCandidates(election.candidates)
    this.setup = { ...this.setup, election }
    this.kick()
  }

  /** Shared chain leader: look at the booth again (members came or went). */
  checkBooth (): void {
    this.proposals.checkBooth()
    this.kick()
  }

  /** Our own promise counts again (Paxos.restoreVotes); saved with the next Ready. */
  restoreVotes (): void {
    if (this.closed) return
    this.paxos.restoreVotes()
    this.kick()
  }

  /** Asks `peer`, said to have decided past `slot`, for the decided values (Paxos.catchUpFrom). */
  catchUpFrom (peer: string, slot: number): void {
    if (this.closed) return
    this.paxos.catchUpFrom(peer, slot)
    this.kick()
  }

  /** Starts phase 1 now (the shared chain's founder). */
  campaign (): void {
    try {
      this.paxos.campaign()
    } catch (err) {
      this.d.log('%s: cannot campaign: %s', this.chainId, (err as Error).message)
    }
    this.kick()
  }

  /**
   * Queues one write for the next batch. Resolves once its block is decided
   * and applied (and, unless told otherwise, replicated to the backups).
   *
   * @throws NotProposerError (shared chain, not the leader), NoQuorumError, CommitTimeoutError, ConsensusStoppedError
   */
  async submit (write: EncodedWrite, options: SubmitOptions): Promise<CommitResult> {
    if (this.closed) throw new ConsensusStoppedError(`consensus of ${this.chainId} is stopped`)
    if (this.broken != null) throw this.stoppedBy(this.broken)
    if (this.kind === 'member') throw new NotProposerError(`${this.d.self} does not propose chain ${this.chainId}`, this.chainId)
    if (this.kind === 'shared') {
      const st = this.paxos.status()
      if (st.role !== 'leader') throw new NotProposerError(`not the leader of the shared chain${st.leader != null ? `; ${st.leader} is` : ''}`, st.leader)
    }
    // its holders hold another chain than ours (fetchTo): waiting changes nothing
    const conflict = this.kind === 'own' && !this.isLeader() ? this.snapshots.stall?.conflict : undefined
    if (conflict != null) throw conflict
    return await new Promise<CommitResult>((resolve, reject) => {
      this.writes.enqueue({
        write,
        deadline: this.elapsed() + options.timeout,
        waitForReplication: options.waitForReplication !== false,
        replicate: options.replicate !== false,
        settled: false,
        resolve,
        reject
      })
      this.kick()
    })
  }

  /**
   * A leader read's gate: resolves once a majority of the booth confirmed
   * that this node still leads the chain, and the chain store applied
   * everything chosen before the call. Reading the store then returns every
   * write acknowledged before the call, wherever it was made.
   *
   * @throws NotProposerError (not the leader; names it when known), NoQuorumError (no majority confirmed in time), ConsensusStoppedError
   */
  async confirmLeader (timeout: number, what = `leader read of ${this.chainId}`): Promise<void> {
    if (this.closed) throw new ConsensusStoppedError(`consensus of ${this.chainId} is stopped`)
    if (this.broken != null) throw this.stoppedBy(this.broken)
    const deadline = this.elapsed() + timeout
    // a vehicle's own chain is led by this node alone: until its phase 1
    // completes (just opened or restarted) the read waits, as a write would
    if (this.kind === 'own' && !this.isLeader()) await this.untilLeader(deadline)
    const ctx = this.reads.nextContext()
    try {
      this.paxos.readIndex(ctx)
    } catch (err) {
      const e = err as Error & { leader?: string }
      if (e.name === 'NotLeaderError') throw new NotProposerError(`${this.d.self} does not lead chain ${this.chainId}${e.leader != null ? `; ${e.leader} does` : ''}`, e.leader)
      if (e.name === 'ProposalDroppedError') throw new NoQuorumError(`${what}: not started: ${e.message}`)
      throw err
    }
    const done = this.reads.wait(ctx, deadline, what)
    this.kick()
    await done
  }

  /** Resolves once this replica leads; NoQuorumError at the deadline. */
  private async untilLeader (deadline: number): Promise<void> {
    const leading = this.waiters.untilLeader(deadline)
    this.kick()
    await leading
  }

  /**
   * Resolves once this replica follows a leader and has decided every slot
   * it had heard was decided elsewhere by then (its booth is then the
   * chain's current one, not an old one it knew before catching up — the
   * genesis booth, for a replica just opened), or after `timeout` ms: then
   * the caller goes on with what it knows. Never rejects.
   */
  async caughtUp (timeout: number): Promise<void> {
    if (this.closed) return
    const done = this.waiters.caughtUp(this.elapsed() + timeout)
    this.settleCatchup()
    await done
  }

  private settleCatchup (): void {
    this.waiters.settle(() => this.paxos.status(), this.elapsed(), this.closed)
  }

  /**
   * Resolves true once the chain store holds every slot this replica had
   * accepted (or learned decided) by the call, false if it still does not
   * after `timeout` ms. Never rejects. A holder asked in a quorum read
   * answers after it: a write is acknowledged once a majority accepted it,
   * and a member of that majority that has not learned or applied the
   * decision yet would answer the value before it — as would every other
   * holder asked, so Nr stale answers would agree. Past the wait it does not
   * answer at all (a leader that died before the decision reached it: its
   * slot is decided again only by an election, which may take longer; a
   * probe, 2026-12-03).
   */
  async heldAccepted (timeout: number): Promise<boolean> {
    if (this.closed || this.broken != null) return true
    const slot = this.paxos.lastHeld()
    if (slot <= this.position.storedSlot) return true
    return await this.reads.waitApplied(slot, this.elapsed() + timeout).then(() => true, () => false)
  }

  /**
   * A retry of a write with an id (`ref`) whose earlier attempt this
   * replica proposed and has not seen decided: that attempt was answered
   * CommitTimeoutError at its deadline, but its proposal may still be
   * chosen, and proposing the write again could commit it twice. Or whose
   * earlier attempt still waits here to be proposed (the write memory,
   * RecentWrites, let it go before it was answered). Resolves 'landed' once
   * neither the buffer nor a proposal of this replica holds the write any
   * more (it was decided and applied, see appliedWrite, or answered
   * unproposed, or it can never be chosen),
   * 'in flight' if one still does after `timeout` ms, 'stopped' if the
   * replica stopped meanwhile, 'unknown' if this replica cannot learn
   * whether it was chosen (see ProposalPump.onDropped). (Attempts that overlap in time
   * are joined before they get here, by RecentWrites.once, or else run one
   * after the other: attemptOnce.)
   */
  async landed (ref: WriteRef, timeout: number): Promise<Landing> {
    return await this.writes.landed(ref, this.elapsed() + timeout)
  }

  /**
   * Runs `run`, an attempt of the write `ref` names (submitOnce), after the
   * attempts of it under way here: one at a time, so a later one finds what
   * the earlier committed (see WriteLedger.attempt). CommitTimeoutError if
   * they have not settled within `timeout` ms: the earlier may still commit.
   */
  async attemptOnce<T> (ref: WriteRef, timeout: number, run: () => Promise<T>): Promise<T> {
    const late = (): Error => new CommitTimeoutError(`an earlier attempt of this write to ${this.chainId} is under way on this node and has not ended in time; ` +
      `it commits whole or not at all ${retryAdvice(ref.carrier != null)}`)
    return await this.writes.attempt(ref, async (earlier) => { await withinMs(earlier, timeout, late) }, run)
  }

  /**
   * Whether an earlier attempt of the write `ref` names may still commit
   * here: it waits to be proposed, or a proposal of this replica holds it, undecided (also one sent
   * before this node stopped leading: phase 1 of the next leader may
   * recover it), or its fate is unknown (see landed).
   */
  mayStillCommit (ref: WriteRef): boolean {
    return this.writes.mayStillCommit(ref)
  }

  /**
   * A write a retry names (its sender and id), if this replica applied it:
   * the block it went into. Call settleLeadership first on a leader, so that
   * what earlier leaders got chosen has been applied here.
   */
  appliedWrite (ref: WriteRef): CommitResult | undefined {
    return this.writes.appliedWrite(ref)
  }

  /**
   * As appliedWrite, and past it what the disk remembers: memory keeps 4,096
   * writes per writer (a keyed write's is the node that carried it), so a
   * retry that came after that many other writes through the same node (12 s
   * at a busy gateway: a probe) was proposed again, and committed twice. The
   * disk keeps every write for the ttl (10 minutes), found by its key.
   * 'unknown': its fate could not be learned here (see landed).
   */
  async rememberedWrite (ref: WriteRef): Promise<CommitResult | 'unknown' | undefined> {
    const inMemory = this.writes.appliedWrite(ref)
    if (inMemory != null) return inMemory
    return this.writes.outcomeOf(await this.d.storage.findWrite(this.writes.keyOf(ref)), this.memoryNow())
  }

  /** The write ids this replica applied (or learned with a snapshot) in blocks `from`..`to` and remembers, oldest first. */
  writeIdsBetween (from: number, to: number): AppliedWriteId[] {
    return this.writes.writeIdsBetween(from, to)
  }

  /**
   * Leader only: resolves once every value chosen before this leadership
   * began is applied here (one leader read per leadership, see
   * confirmLeader), so appliedWrite knows every write an earlier leader
   * committed. Later values are this leader's own.
   *
   * @throws NotProposerError, NoQuorumError, ConsensusStoppedError (as confirmLeader)
   */
  async settleLeadership (timeout: number): Promise<void> {
    const ballot = this.paxos.status()
    const key = `${ballot.ballot.round}.${ballot.ballot.proposer}`
    if (ballot.role !== 'leader' || this.settled?.ballot !== key) {
      // the caller's write hears why it waited (it heard of a "leader read" it never asked for)
      const done = this.confirmLeader(timeout, `write to ${this.chainId} not proposed (as the chain's new leader, this node first confirms its leadership ` +
        'with its booth and applies what earlier leaders chose)').catch((err: Error) => {
        throw err.name === 'NoQuorumError' ? new NoQuorumError(`${err.message}; nothing was written`) : err
      })
      this.settled = { ballot: key, done }
      // a failed confirmation is asked again by the next write
      done.catch(() => { if (this.settled?.done === done) this.settled = undefined })
    }
    await this.settled?.done
  }

  status (): ReplicaStatus {
    const st = this.paxos.status()
    return {
      chainId: this.chainId,
      kind: this.kind,
      role: st.role,
      booth: st.booth,
      ballot: st.ballot,
      leader: this.kind === 'shared' ? (st.leader ?? null) : this.chainId,
      decided: st.commit,
      applied: this.kind === 'member' ? st.applied : this.position.cursor.slot,
      compacted: st.compacted,
      height: this.position.cursor.height,
      valueBytes: this.heldValues.bytes,
      undecidedBytes: this.paxos.undecidedBytes(),
      votesWithheld: this.paxos.votesWithheld,
      pending: this.writes.buffer.length,
      outstanding: this.writes.outstanding.size,
      ...(this.broken != null ? { failed: this.broken.message } : {})
    }
  }

  /** The last block consensus applied here: what this node knows the chain to be, up to where. */
  appliedTip (): { height: number, hash: Uint8Array } {
    return { height: this.position.cursor.height, hash: this.position.cursor.hash }
  }

  /** Resolves once the loop has nothing in hand (what it was handed is persisted, sent and applied). */
  async whenIdle (): Promise<void> {
    await this.idle
    await this.applier.running
  }

  /** The leader this replica follows (itself included), if known. */
  leader (): string | undefined {
    return this.paxos.status().leader
  }

  /** The vehicles this replica accepts as the chain's leader now (it drops prepares and accepts from anyone else). */
  candidates (): string[] {
    const election = this.setup.election
    return election.mode === 'fixed' ? [election.proposer] : election.candidates.map(c => c.id)
  }

  isLeader (): boolean {
    return this.paxos.status().role === 'leader'
  }

  /**
   * True when a majority of the booth in force is this node or connected
   * (not counting `uncounted`: members whose votes are held back).
   */
  hasQuorum (booth = this.paxos.status().booth, uncounted: string[] = []): boolean {
    const connected = new Set(this.d.connected())
    for (const m of uncounted) connected.delete(m)
    const live = booth.filter(m => m === this.d.self || connected.has(m)).length
    return live >= quorumSize(booth)
  }

  /** Stops the loop and fails every waiting writer; resolves when the loop is idle. */
  async close (): Promise<void> {
    this.closed = true
    this.d.undecided?.forget(this.chainId)
    const err = new ConsensusStoppedError(`consensus of ${this.chainId} stopped`)
    const unproposed = new ConsensusStoppedError(`consensus of ${this.chainId} stopped before the write was proposed: nothing was written`)
    this.writes.failWaiting(unproposed)
    // committed already: stopping only ends their wait for the round
    this.writes.endReplicationWaits()
    this.reads.rejectAll(err)
    this.waiters.rejectLeaders(err)
    this.settleCatchup()
    await this.idle
    await this.applier.running
    // proposed writes: the round and the apply under way answer those they decide; the
    // rest may still be decided by the booth without us, so they are not said to have failed
    const undecided = (w: PendingWrite): Error => new ConsensusStoppedError(`consensus of ${this.chainId} stopped while the write was proposed but not decided: it may still commit, whole or not at all ${retryAdvice(w.write.ref?.carrier != null)}`, true)
    this.writes.failProposed(undecided)
    // the round under way put back what a dropped or lost proposal held: never sent, or never chosen
    this.writes.failWaiting(unproposed)
    if ((this.kind !== 'member' || this.hold.toMeta().point != null) && this.broken == null) await this.saveMeta(false).catch(() => {})
  }

  /**
   * A booth member whose proposer went quiet: forgets the decided values it
   * kept for laggards, then stops. Nothing Paxos needs goes: the proposer
   * decided each of those slots only after its own acceptance was durable
   * (it never needs ours again), and the promise and the entries of
   * undecided slots stay on disk, so a proposer that comes back finds every
   * vote it was given when the replica is reopened.
   */
  async retire (): Promise<void> {
    try {
      await this.untilDrained()
      if (this.kind !== 'member' || this.broken != null || this.closed) return
      // the slots above the gap it knew decided are committed now: handed out before compacting
      if (await this.compaction.skipUnfilledGap()) {
        this.kick()
        await this.untilDrained()
      }
      const st = this.paxos.status()
      if (this.broken == null && st.applied > st.compacted) await this.compaction.compactMember(st.applied)
      this.kick()
      await this.untilDrained()
    } finally {
      // a save that failed on the way (a full disk) still leaves the replica closed, its files let go
      await this.close()
    }
  }

  // ------------------------------------------------------------ the loop

  /** Waits out the loop, including the rounds it re-runs for what came meanwhile. */
  private async untilDrained (): Promise<void> {
    while (this.draining) await this.idle
  }

  /** What remembered writes are stamped and aged by (ReplicaDeps.memoryNow). */
  private memoryNow (): number {
    return (this.d.memoryNow ?? this.d.now)()
  }

  private kick (): void {
    if (this.draining) {
      this.again = true
      return
    }
    if (this.closed || this.broken != null) return
    this.draining = true
    // drained in a microtask: every message of the frame being read (and
    // every write submitted in this turn) goes into one Ready, so one save
    this.idle = Promise.resolve().then(async () => { await this.drain() })
      .catch((err: Error) => {
        // a failed save leaves the Ready outstanding: this replica cannot go on safely
        this.halt(err)
      })
      .finally(() => {
        this.draining = false
        if (this.again && !this.closed) {
          this.again = false
          this.kick()
        }
      })
  }

  /** Stops this replica for good: every write and read waiting on it fails with why. */
  private halt (err: Error): void {
    if (this.broken != null) return
    this.broken = err
    this.d.log.error('%s: consensus stopped: %e', this.chainId, err)
    // failed while closing: close() settles the waiters, and must not save a cursor ahead of the store
    if (this.closed) return
    // the writes that found the disk full say so (507, as the chain store's appends do); later ones that consensus stopped
    const diskFull = err.name === 'DiskFullError'
    const restart = `consensus of ${this.chainId} stopped (restart the node once there is room: nothing acknowledged was lost)`
    const failure = diskFull ? new DiskFullError(`${err.message}: the write was not proposed; ${restart}`) : this.stoppedBy(err)
    this.writes.failWaiting(failure)
    // a proposal already out may be decided by the rest of the booth (one whose block failed on the disk as it was
    // applied was: the restarted replica applies it from the log), so its writer hears how to retry it safely (a test)
    this.writes.failProposed((w) => {
      const advice = retryAdvice(w.write.ref?.carrier != null)
      if (diskFull) return new DiskFullError(`${err.message}: the write was proposed and may still commit, whole or not at all ${advice}; ${restart}`, true)
      return this.stoppedBy(err, advice)
    })
    // a read waiting on it is no write: it hears that consensus stopped, and why
    this.reads.rejectAll(this.stoppedBy(err))
  }

  /** Why writes and reads fail once a save failed or the chain diverged (stoppedBy, replica-reasons.ts). */
  private stoppedBy (err: Error, proposed: boolean | string = false): Error {
    return stoppedBy(this.chainId, err, proposed)
  }

  private async drain (): Promise<void> {
    while (!this.closed) {
      this.again = false
      if (this.ownChain.proof.due) {
        const proven = await this.ownChain.proof.run()
        // the state machine drops what it queued (never sent), and the loop stops on it (onDiverged)
        if (proven != null) this.paxos.reportDivergence(proven.from, proven.slot)
      }
      if (this.broken != null) return
      this.proposals.pump()
      const rd = this.paxos.ready()
      if (rd == null) return
      // A leader's accepts, heartbeats and decided values vouch for nothing
      // this Ready persists: they may leave while it is written (the leader
      // writes its own acceptance in parallel with its followers, as in
      // Raft's §10.2.1). Every decision they lead to shows only in a later
      // Ready, handed out after this one is durable.
      if (rd.persist.hardState != null && this.kind === 'own') await this.ownChain.noteBooth(rd.persist.hardState.booths)
      const early = rd.messages.filter(m => EARLY.has(m.type))
      if (early.length > 0) this.d.send(early.map(m => wrapMessage(this.d, this.position, this.hold, m)))
      // Decided values whose acceptance is already durable here (written by
      // an earlier, completed save: only their decided flag is new in this
      // one, and it can be learned again) are chosen by a durable majority:
      // they are applied while this Ready is written. A value accepted in
      // this very Ready (a booth of one decides at once) waits for the save.
      if (rd.decided.length > 0) this.heldValues.note(rd.decided)
      const applyNow = rd.decided.length > 0 && this.d.storage.holdsDurably(rd.persist, rd.decided.map(d => d.slot))
      if (applyNow) {
        this.applier.enqueue(rd.decided)
        // small blocks are written before this save: LevelDB queues writes,
        // and an append behind a synced write waits for its fsync; big ones
        // (building them is CPU work) overlap the save instead
        if (decidedBytes(rd.decided) <= APPLY_FIRST_BYTES) await this.applier.running
      }
      // 1. durable before any reply (promise, accepted, nack) or prepare leaves
      await this.d.storage.save(rd.persist)
      // our votes found lost (or counting again, once we lead): durable before the next prepare leaves
      if (this.paxos.votesForgotten !== this.forgotVotes) {
        this.forgotVotes = this.paxos.votesForgotten
        if (this.forgotVotes) this.d.log('%s: a member holds votes of ours this data dir lost (restored from an older copy?): our own promise counts again once we lead', this.chainId)
        await this.saveMeta(true)
      }
      // 2. send
      const late = early.length === 0 ? rd.messages : rd.messages.filter(m => !EARLY.has(m.type))
      if (late.length > 0) this.d.send(late.map(m => wrapMessage(this.d, this.position, this.hold, m)))
      // 3. apply, in slot order, overlapping the next round: the cursor (not
      // the state machine's `applied`) says what reached the chain store, and
      // compaction and restarts go by the cursor
      if (rd.decided.length > 0 && !applyNow) this.applier.enqueue(rd.decided)
      for (const p of rd.dropped) this.proposals.onDropped(p)
      if (rd.diverged != null) await this.onDiverged(rd.diverged)
      // unsynced, as the writes applied are: a crash that loses a mark leaves the gap it closes
      const marks = this.writes.takeUncertainMarks()
      if (marks.length > 0) await this.d.storage.rememberWrites(marks)
      this.settleReads(rd)
      if (this.waiters.awaitLeader && this.isLeader()) this.waiters.leading()
      // 4. advance
      this.paxos.advance(rd)
      // what it holds undecided changes only with entries accepted, decided or compacted
      if (this.d.undecided != null && (rd.persist.entries.length > 0 || rd.persist.compactTo != null)) this.d.undecided.note(this.chainId, this.paxos.undecidedBytes())
      if (rd.snapshot != null) await this.snapshots.install(rd.snapshot)
      this.settleCatchup()
      await this.compaction.maybeCompact()
      const save = this.kind === 'member' ? this.hold.takeSave() : undefined
      if (save != null) await this.saveMeta(save === 'synced')
    }
  }

  private settleReads (rd: Ready): void {
    if (rd.reads.length > 0) this.reads.confirmed(rd.reads, this.appliedSlot())
    this.reads.failed(rd.failedReads, (r, what) => r.reason === 'timeout'
      ? new NoQuorumError(`${what}: no majority of the booth confirmed this node's leadership in time`)
      : new NotProposerError(`${this.d.self} no longer leads chain ${this.chainId}`, this.paxos.status().leader))
  }

  /** The last slot the chain store holds (members apply nothing: their commit). */
  private appliedSlot (): number {
    // not the cursor: it runs ahead of the store while a run of blocks is written
    return this.kind === 'member' ? this.paxos.status().commit : this.position.storedSlot
  }

  /**
   * A member keeps no blocks of the vehicle's chain, so it cannot say by
   * itself where the chain stood at a slot; the vehicle tells it with its
   * accepts and heartbeats. Compaction then stops at such a point and our
   * snapshots name it: a vehicle that lost its chain (a restored or wiped
   * data dir) learns from them up to where to fetch it from its backups.
   */
  private noteOwnerPoint (from: string, at: ChainPoint): void {
    if (this.kind !== 'member' || from !== this.chainId) return
    if (this.hold.notePoint(at)) this.kick()
  }

  /** What no backup of the vehicle holds is kept in this member's log (MemberHold). */
  private noteOwnerHeld (from: string, held: number): void {
    if (this.kind !== 'member' || from !== this.chainId) return
    if (this.hold.noteHeld(held)) this.kick()
  }

  /**
   * The booth the next batch would get (pump's choice, from the vehicles
   * connected now): a replication round of our chain without a write offers
   * it to these first, since the next write's round offers it to them.
   */
  nextBooth (current: readonly string[] = this.paxos.status().booth): string[] {
    return this.proposals.nextBooth(current)
  }

  /**
   * Booth members decided other values of this chain than we did
   * (OwnChainGuard.divergenceError): on our own chain this replica stops.
   */
  private async onDiverged (found: Divergence[]): Promise<void> {
    const err = this.ownChain.divergenceError(found)
    if (err == null) return
    // the recovery keeps own-chain.json: its record must not name this chain's booth (OwnChainMarker.clearConsensus)
    await this.d.consensusRecord?.clear()
    this.writes.failWaiting(err)
    this.halt(err)
  }

  /** Waiters past their deadline: for leadership, leader reads, and writes (ProposalPump.expire). */
  private expire (): void {
    const now = this.elapsed()
    this.waiters.expire(now, () => this.snapshots.stall?.fetchFailed != null ? new ChainRecoveryError(`${this.chainId}: ${phase1Reason(this.snapshots.stall)}`) : new NoQuorumError(`${this.chainId}: ${phase1Reason(this.snapshots.stall)}`))
    this.reads.expire(now, (confirmed, what) => new NoQuorumError(confirmed ? unappliedReason(what, this.kind === 'own' ? 0 : this.paxos.status().inflight, this.hasQuorum()) : `${what}: no majority of the booth confirmed this node's leadership in time`))
    this.proposals.expire(now)
  }

  private async saveMeta (sync: boolean): Promise<void> {
    this.metaSavedAt = this.elapsed()
    const { point, held } = this.hold.toMeta()
    await writeMeta(this.d.storage, {
      cursor: this.position.cursor,
      ...(this.position.compactPoint != null ? { compactPoint: this.position.compactPoint } : {}),
      ...(point != null ? { ownerPoint: point } : {}),
      ...(this.forgotVotes ? { forgotVotes: true } : {}),
      ...(held != null ? { ownerHeld: held } : {})
    }, { sync })
  }
}
