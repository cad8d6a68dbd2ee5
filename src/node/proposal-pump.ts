/**
 * Turning a chain's waiting writes into proposals, where this replica leads
 * (own and shared chains): booth upkeep first, then batches while the
 * pipeline has room (group commit for small writes, big ones spread over the
 * free slots). And what becomes of a write that waits or was proposed and
 * will not be decided here: its deadline passed, its proposal was dropped,
 * or the shared chain's lead moved on.
 */
import type { DroppedProposal, Paxos, PaxosStatus } from '../consensus/index.ts'
import { encodeBatch } from './batch.ts'
import type { WriteRef } from './batch.ts'
import { sameBooth, selectBooth } from './booth-select.ts'
import { ChainRecoveryError, CommitTimeoutError, NoQuorumError, NotProposerError } from './consensus-errors.ts'
import { PAXOS_TIMING } from './paxos-constants.ts'
import { lostLeadReason, phase1Reason } from './replica-reasons.ts'
import type { SnapshotStall } from './replica-reasons.ts'
import { settle } from './write-ledger.ts'
import type { Outstanding, WriteLedger } from './write-ledger.ts'
import type { ReplicaDeps } from './replica-types.ts'

/**
 * A batch is cut smaller than a block only when it carries at least this
 * much (see proposeBatch); below it, queued writes count as small.
 */
const SPLIT_BYTES = 256 * 1024

/** Batches of small writes in flight at once (see pump): more gather in the next batch meanwhile. */
const SMALL_INFLIGHT = 1

type PumpDeps = Pick<ReplicaDeps, 'chainId' | 'kind' | 'self' | 'now' | 'log' | 'connected' | 'refused' | 'boothSize'>

/** What the pump asks of its replica. */
export interface PumpHooks {
  /** Whether a majority of `booth` (by default the booth in force) is this node or connected. */
  hasQuorum: (booth?: string[]) => boolean
  /** What an own chain's catch-up waits on, for the writes that give up meanwhile. */
  stall: () => SnapshotStall | undefined
  /** What remembered writes are stamped and aged by (ReplicaDeps.memoryNow). */
  memoryNow: () => number
}

export class ProposalPump {
  /** The booth a change we proposed moves to: no batch goes out until it is in force. */
  private boothTarget?: string[]
  private boothCheckDue = false
  /** Proposal ids: this node, the replica's nonce, and this count. */
  private seq = 0

  constructor (
    private readonly d: PumpDeps,
    private readonly paxos: Paxos,
    private readonly writes: WriteLedger,
    private readonly nonce: string,
    private readonly hooks: PumpHooks
  ) {}

  /** The booth the next batch would get, from the vehicles connected now (ChainReplica.nextBooth). */
  nextBooth (current: readonly string[]): string[] {
    return selectBooth({ chainId: this.d.chainId, self: this.d.self, current, connected: this.d.connected(), refused: this.d.refused?.(), size: this.d.boothSize })
  }

  /** Shared chain leader: look at the booth again with the next pump (members came or went). */
  checkBooth (): void {
    this.boothCheckDue = true
  }

  /** Booth upkeep, then new batches while the pipeline has room. */
  pump (): void {
    if (this.d.kind === 'member') return
    if (this.writes.buffer.length === 0 && !this.boothCheckDue) return
    const st = this.paxos.status()
    if (st.role !== 'leader') {
      this.boothTarget = undefined
      if (this.d.kind === 'shared') this.redirectBuffered(st.leader)
      return
    }
    this.boothCheckDue = false
    if (this.boothTarget != null) {
      if (!sameBooth(st.booth, this.boothTarget)) return
      this.boothTarget = undefined
    }
    const desired = this.nextBooth(st.booth)
    if (!sameBooth(desired, st.booth)) {
      // the change is decided by the booth in force: without a majority of it here it could not be, and, the
      // one change in flight, it would stand in the way of a better one once members came back (the next
      // pump looks again: checkBooth on every connect and disconnect)
      if (!this.hooks.hasQuorum(st.booth)) {
        this.boothCheckDue = true
        return
      }
      // the next block gets the new booth
      try {
        this.paxos.changeBooth(desired)
        this.boothTarget = desired
        this.d.log('%s: booth → %s', this.d.chainId, desired.join(','))
      } catch (err) {
        this.d.log('%s: booth change refused: %s', this.d.chainId, (err as Error).message)
      }
      return
    }
    if (!this.hooks.hasQuorum(st.booth)) return
    let buffered = 0
    for (const w of this.writes.buffer) buffered += w.settled ? 0 : w.write.payload.byteLength
    // Group commit: while a batch of small writes is in flight, the next
    // ones gather into one batch instead of a slot (a block, a synced write
    // on every acceptor, a message to each) per arrival; a big backlog
    // fills the pipeline (see proposeBatch)
    const limit = buffered >= SPLIT_BYTES ? PAXOS_TIMING.maxInflight : SMALL_INFLIGHT
    while (this.writes.outstanding.size < limit && this.writes.buffer.length > 0) {
      const size = this.proposeBatch(st, buffered)
      if (size === 0) return
      buffered -= size
    }
  }

  /**
   * Shared chain: writes taken while this node led and never proposed when it
   * lost the lead (a candidate of higher rank took over). They are the new
   * leader's to order: the caller forwards them there at once (never proposed,
   * so nothing can commit twice), instead of waiting here for their deadline.
   * (A shared chain's proposed writes with an id never come back to the
   * buffer: a dropped proposal fails them, see onDropped; until 2026-12-03
   * they did while this node led again. One without an id, only ever
   * proposed here, does then.)
   */
  private redirectBuffered (leader: string | undefined): void {
    if (this.writes.buffer.length === 0) return
    const err = new NotProposerError(`no longer the leader of ${this.d.chainId}${leader != null && leader !== this.d.self ? `; ${leader} is` : ''}`, leader === this.d.self ? undefined : leader)
    this.writes.failWaiting(err)
  }

  /** Proposes the next batch; returns its payload bytes (0: nothing proposed). */
  private proposeBatch (st: PaxosStatus, buffered: number): number {
    // big writes are spread over the free slots, so several blocks move
    // through disk, network and apply at once instead of one huge block
    // (small writes still share a block: a slot costs a block of its own)
    const free = Math.max(1, PAXOS_TIMING.maxInflight - this.writes.outstanding.size)
    const { writes, bytes } = this.writes.takeBatch(Math.max(SPLIT_BYTES, Math.ceil(buffered / free)))
    if (writes.length === 0) return 0
    const id = `${this.d.self.slice(-8)}.${this.nonce}.${++this.seq}`
    const refs: WriteRef[] = []
    for (const w of writes) if (w.write.ref != null) refs.push(w.write.ref)
    const data = encodeBatch({ proposer: this.d.self, ballot: st.ballot, timestamp: this.d.now(), payloads: writes.map(w => w.write.payload), writes: refs })
    try {
      this.paxos.propose({ id, data })
    } catch (err) {
      // not the leader any more, or its queue is full: the writes wait for the next try
      this.writes.buffer.unshift(...writes)
      this.d.log.trace('%s: proposal deferred: %s', this.d.chainId, (err as Error).message)
      return 0
    }
    this.writes.outstanding.set(id, { writes })
    return bytes
  }

  /** Writers past their deadline: never proposed → NoQuorumError; proposed → CommitTimeoutError. */
  expire (now: number): void {
    const buffer = this.writes.buffer
    for (let i = 0; i < buffer.length; i++) {
      const w = buffer[i]
      if (w.settled || now < w.deadline) continue
      buffer.splice(i--, 1)
      const conflict = this.isLeader() ? undefined : this.hooks.stall()?.conflict
      // a shared chain's buffer fills only while this node leads: not leading, it stepped down (in this tick)
      const reason = this.isLeader()
        ? (this.hooks.hasQuorum() ? 'the booth did not take it in time' : 'no majority of its booth is connected')
        : this.d.kind === 'shared' ? lostLeadReason(this.paxos.status().leader, this.hooks.hasQuorum()) : phase1Reason(this.hooks.stall())
      const message = `write to ${this.d.chainId} not proposed: ${reason}; nothing was written`
      // its booth answered, and the chain it decided is what no holder handed over: no quorum is missing
      const unfetched = !this.isLeader() && this.hooks.stall()?.fetchFailed != null
      settle(w, conflict ?? (unfetched ? new ChainRecoveryError(message) : new NoQuorumError(message)))
    }
    // proposed: CommitTimeoutError; committed: a slow replication round does not hold the answer past the write's deadline
    this.writes.expire(now, () => this.paxos.status().booth)
  }

  /**
   * A proposal that will never be decided (never sent, or its slot chose
   * another value): its writers go again, here when this node leads or will
   * (its own chain), else to the shared chain's leader. Only this report
   * frees them: a proposal a later leadership of ours did not recover may
   * still be chosen by another leader that meets the minority holding it,
   * and proposing its writes again on that guess committed them twice (in
   * review: scenario 36).
   *
   * A shared-chain write with an id goes back to its caller even while this
   * node leads again: while its proposal waited here, its writer may have
   * committed it through another leader (a forwarding vehicle moves its
   * write, id and all, to the leader elected meanwhile; a client retries
   * under its key), and the caller's next attempt (submitOnce) looks the id
   * up once this leadership applied what earlier ones chose, before it
   * proposes anything. Put back in the buffer, such a write committed twice
   * (a probe, 2026-12-03: shared-chain-dropped-retry.spec.ts).
   */
  onDropped (p: DroppedProposal): void {
    const o = this.writes.outstanding.get(p.id)
    if (o == null) return
    if (p.unknown === true) {
      this.forgetUncertain(p.id, o)
      return
    }
    this.writes.forgetOutstanding([p.id])
    if (this.d.kind === 'shared' && !this.isLeader()) {
      // the leadership moved: the caller forwards to the new leader
      const err = new NotProposerError(`leadership of ${this.d.chainId} moved${p.leader != null ? ` to ${p.leader}` : ''}`, p.leader)
      o.writes.forEach(w => { settle(w, err) })
      return
    }
    const lookedUp = this.d.kind === 'shared' ? o.writes.filter(w => w.write.ref != null) : []
    if (lookedUp.length > 0) {
      const err = new NotProposerError(`the proposal of this write to ${this.d.chainId} was not chosen (its slot chose another value); it may have committed through another leader since, so it is looked up before it is proposed again`)
      lookedUp.forEach(w => { settle(w, err) })
    }
    this.writes.buffer.unshift(...o.writes.filter(w => !w.settled))
  }

  /**
   * A proposal whose slot this node learned only through a snapshot: the
   * chain it fetched may hold its writes or not, and blocks do not carry
   * write ids. Kept in flight, it held every keyed
   * retry of its writes and, once this node led again, the pipeline's only
   * slot for small writes, for good (found in review). So its writers hear
   * CommitTimeoutError now, and a retry of one that reaches this node while
   * it leads is refused, not proposed again (that could commit it twice),
   * as long as write ids are remembered, unless this node applies it
   * meanwhile, also after a restart (the keys are kept with the write
   * memory, at a height no block has). A write the snapshot's write ids
   * name (learnWriteIds) is answered with its block instead.
   */
  private forgetUncertain (id: string, o: Outstanding): void {
    const err = new CommitTimeoutError(`write to ${this.d.chainId} was proposed, then this node caught up on the chain from a snapshot that may or may not hold it: ` +
      'whether it committed is not known here; it is not proposed again (that could commit it twice): read the key to see')
    // the others' fate is kept on disk with the write memory (the drive loop writes the marks): a restart within its time still refuses their retries
    this.writes.forgetUncertain(id, o, err, this.hooks.memoryNow())
  }

  private isLeader (): boolean {
    return this.paxos.status().role === 'leader'
  }
}
